package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker deletes journal files older than fileReservedTime, keeping the current one. The broker's
 * clock (which also decides the journal's cycles) is moved by the test.
 */
@Timeout(120)
class RetentionTest
{
    @TempDir
    Path dir;

    @Test
    void shouldDeleteRolledFilesOlderThanFileReservedTime()
    {
        final long fiveMinutes = TimeUnit.MINUTES.toMillis(5);
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update((1_800_000_000_000L / fiveMinutes) * fiveMinutes + 1000);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.ROLL_CYCLE, "FIVE_MINUTELY")
            .set(BrokerContext.FILE_RESERVED_TIME, "1")
            .set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "3600000") // five-minute jumps must not drop the producer
            .epochClock(clock)))
        {
            try (Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
            {
                for (int cycle = 0; cycle < 3; cycle++)
                {
                    assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("old").body(new byte[16]), 20_000).status());
                    clock.advance(fiveMinutes);
                }
            }
            awaitTrue("three cycle files", () -> journalFiles().size() == 3);

            clock.advance(TimeUnit.HOURS.toMillis(2)); // the three cycles ended more than an hour ago
            try (Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("new").body(new byte[16]), 20_000).status());
            }
            clock.advance(TimeUnit.SECONDS.toMillis(11)); // the next housekeeping pass (every 10 s)
            awaitTrue("old cycles deleted, current kept", () -> journalFiles().size() == 1);
        }
        assertEquals(List.of("new"), BrokerTestSupport.readJournal(dir).stream().map(BrokerTestSupport.Stored::topic).toList());
    }

    private List<File> journalFiles()
    {
        return java.util.Arrays.stream(Objects.requireNonNull(dir.resolve("store/journal").toFile().listFiles()))
            .filter((f) -> f.getName().endsWith(".cq4"))
            .toList();
    }
}
