package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With pretouch on, the journal file's blocks are allocated well ahead of what was written (so the writer
 * meets no allocation faults); with it off they are not; records stay intact either way. Allocation is read
 * with du, which counts a sparse file's allocated blocks.
 */
@Timeout(120)
class PreTouchTest
{
    @TempDir
    Path dir;

    private static long allocatedBytes(final File file) throws Exception
    {
        final Process du = new ProcessBuilder("du", "--block-size=1", file.getPath()).redirectErrorStream(true).start();
        final String out = new String(du.getInputStream().readAllBytes()).trim();
        du.waitFor(10, TimeUnit.SECONDS);
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private File journalFile()
    {
        return Arrays.stream(Objects.requireNonNull(dir.resolve("store/journal").toFile().listFiles()))
            .filter((f) -> f.getName().endsWith(".cq4")).findFirst().orElseThrow();
    }

    private long sendAndMeasure(final boolean pretouch) throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.PRETOUCH, Boolean.toString(pretouch)));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            for (int i = 0; i < 20; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("t").body(new byte[1000]), 20_000).status());
            }
            if (pretouch)
            {
                awaitTrue("pages touched ahead", () -> broker.pagesPreTouched() >= 1000);
            }
            else
            {
                assertEquals(0, broker.pagesPreTouched());
            }
            return allocatedBytes(journalFile());
        }
    }

    @Test
    void shouldAllocateJournalPagesAheadOfTheWriterOnlyWhenEnabled() throws Exception
    {
        final long without = sendAndMeasure(false);
        final List<BrokerTestSupport.Stored> first = BrokerTestSupport.readJournal(dir);
        assertEquals(20, first.size());

        final long with = sendAndMeasure(true);
        assertEquals(40, BrokerTestSupport.readJournal(dir).size(), "records intact after pre-touching");
        assertTrue(with >= without + (4L << 20),
            "pre-touch allocated at least 4 MiB ahead: " + with + " bytes allocated with, " + without + " without");
    }
}
