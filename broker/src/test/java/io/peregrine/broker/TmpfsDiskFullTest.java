package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store on a real 64 MiB tmpfs that another file fills up: the broker refuses sends (no SIGBUS), stays
 * up, and takes sends again once the filler is gone. Needs root to mount; skipped with the reason otherwise.
 */
@Timeout(180)
class TmpfsDiskFullTest
{
    @TempDir
    Path dir;

    private static int run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return -1;
        }
        if (process.exitValue() != 0)
        {
            System.out.println(String.join(" ", command) + ": " + output.strip());
        }
        return process.exitValue();
    }

    @Test
    void shouldRefuseSendsOnAFullFilesystemAndResumeWhenSpaceIsFreed() throws Exception
    {
        final Path mount = Files.createDirectories(dir.resolve("tmpfs"));
        final int mounted = run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString());
        Assumptions.assumeTrue(mounted == 0, "skipped: cannot mount a tmpfs here (needs root), exit " + mounted);
        try
        {
            final Path filler = mount.resolve("filler");
            try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
                .set(BrokerContext.STORE_PATH_ROOT_DIR, mount.resolve("store").toString())
                .set(BrokerContext.MAX_MESSAGE_SIZE, "65536")
                .set(BrokerContext.DISK_SPACE_FLOOR, "16m"));
                Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())
                    .maxMessageSize(65536).retryTimesWhenSendFailed(0)))
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("before").body(new byte[1000]), 20_000).status());

                // fill the filesystem to below the floor
                final long free = mount.toFile().getUsableSpace();
                try (RandomAccessFile file = new RandomAccessFile(filler.toFile(), "rw"))
                {
                    final byte[] block = new byte[1 << 20];
                    for (long written = 0; written < free - (8L << 20); written += block.length)
                    {
                        file.write(block);
                    }
                }
                awaitTrue("refused as store full", () ->
                {
                    try
                    {
                        producer.send(new Message().topic("probe").body(new byte[1000]), 20_000);
                        return false;
                    }
                    catch (final SendException ex)
                    {
                        assertEquals(ErrorKind.STORE_FULL, ex.kind(), ex.getMessage());
                        return true;
                    }
                });

                Files.delete(filler);
                awaitTrue("taking sends again", () ->
                {
                    try
                    {
                        return producer.send(new Message().topic("after").body(new byte[1000]), 20_000).status() == SendStatus.SEND_OK;
                    }
                    catch (final SendException ex)
                    {
                        return false;
                    }
                });
            }
            final List<String> topics = BrokerTestSupport.readJournal(mount).stream().map(BrokerTestSupport.Stored::topic).toList();
            assertEquals("before", topics.get(0));
            assertEquals("after", topics.get(topics.size() - 1));
        }
        finally
        {
            // Chronicle releases its mappings on a background thread: retry a while, then detach lazily
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (run("umount", mount.toString()) != 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    run("umount", "-l", mount.toString());
                    break;
                }
                Thread.yield();
            }
        }
    }
}
