package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.peregrine.consumer.Consumer;
import io.peregrine.consumer.ConsumerException;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalReader;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker deletes journal files older than fileReservedTime, keeping the current one, and keeps the last index it
 * deleted: consumers and readers asking for a deleted record are told so. The broker's clock (which also decides the
 * journal's cycles) is moved by the test.
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
            final List<Long> old = new ArrayList<>();
            try (Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
            {
                for (int cycle = 0; cycle < 3; cycle++)
                {
                    final SendResult result = producer.send(new Message().topic("old").body(new byte[16]), 20_000);
                    assertEquals(SendStatus.SEND_OK, result.status());
                    old.add(result.journalIndex());
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
            assertEquals(old.get(2), Journal.deletedThrough(dir.resolve("store/journal").toFile()), "the last record deleted is kept");

            // what was tried: consuming from a deleted record, over the network and on the host; both are refused by name
            final ConsumerException refused = assertThrows(ConsumerException.class, () -> Consumer.connect(
                new Consumer.Context().brokerChannel(broker.udpChannel()).fromIndex(old.get(1))).close());
            assertTrue(refused.getMessage().contains("index " + old.get(1) + " is no longer retained"), refused.getMessage());
            final IllegalStateException onHost = assertThrows(IllegalStateException.class, () -> JournalReader.open(
                new JournalReader.Context().storeDir(dir.resolve("store").toFile()).fromIndex(old.get(2))).close());
            assertTrue(onHost.getMessage().contains("is no longer retained"), onHost.getMessage());
            // from the start is the first retained record, without complaint
            try (Consumer consumer = Consumer.connect(new Consumer.Context().brokerChannel(broker.udpChannel()).fromIndex(0)))
            {
                final List<String> topics = new ArrayList<>();
                awaitTrue("the retained record", () -> consumer.poll((message) -> topics.add(message.topic()), 10) > 0);
                assertEquals(List.of("new"), topics);
            }
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
