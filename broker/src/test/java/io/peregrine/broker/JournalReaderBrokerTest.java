package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.peregrine.journal.JournalReader;
import io.peregrine.journal.StoredMessage;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JournalReader} beside a running broker: every record once, in index order, with the bodies sent; a named
 * reader stopped between a message and its commit gets that message again and nothing twice that it committed; a
 * readCommitted reader under SYNC_FLUSH sees nothing the broker has not flushed.
 */
@Timeout(120)
class JournalReaderBrokerTest
{
    @TempDir
    Path dir;

    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop()
    {
        executor.shutdownNow();
    }

    /**
     * A message as read: its index, id and a copy of its body.
     */
    private record Read(long index, String msgId, String topic, byte[] body)
    {
        static Read of(final StoredMessage message)
        {
            final byte[] body = new byte[message.bodyLength()];
            message.body().getBytes(0, body);
            return new Read(message.index(), message.msgId(), message.topic(), body);
        }
    }

    private static byte[] body(final int i)
    {
        final byte[] body = new byte[(i * 37) % 3000];
        for (int b = 0; b < body.length; b++)
        {
            body[b] = (byte)(i * 31 + b);
        }
        return body;
    }

    @Test
    void shouldSeeEveryRecordOnceInIndexOrderWithItsBodyBesideABrokerUnderAsyncLoad() throws Exception
    {
        final int count = 3000;
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            final File store = dir.resolve("store").toFile();
            final AtomicBoolean stop = new AtomicBoolean();
            // the reader starts on an empty journal and follows the broker's appends as they happen
            final Future<List<Read>> reading = executor.submit(() ->
            {
                final List<Read> read = new ArrayList<>();
                try (JournalReader reader = JournalReader.open(new JournalReader.Context().storeDir(store)))
                {
                    while (read.size() < count && !stop.get())
                    {
                        if (reader.poll((message) -> read.add(Read.of(message)), 64) == 0)
                        {
                            Thread.yield();
                        }
                    }
                    assertEquals(0, reader.damagedSkipped());
                    assertEquals(0, reader.voidedSkipped());
                }
                return read;
            });
            awaitTrue("producer connected", producer::isConnected);
            final Map<Long, Long> indexBySequence = new ConcurrentHashMap<>();
            final SendCallback callback = new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    assertEquals(SendStatus.SEND_OK, status);
                    indexBySequence.put(sequence, journalIndex);
                }

                public void onError(final long sequence, final SendException error)
                {
                    stop.set(true);
                }
            };
            final Map<Long, Integer> messageBySequence = new ConcurrentHashMap<>();
            for (int i = 0; i < count; i++)
            {
                final Message message = new Message().topic(i % 3 == 0 ? "orders" : "audit").body(body(i));
                long sequence;
                while ((sequence = producer.sendAsync(message, 30_000, callback)) < 0)
                {
                    Thread.yield();
                }
                messageBySequence.put(sequence, i);
            }
            awaitTrue("every send answered", () -> indexBySequence.size() == count);
            final List<Read> read = reading.get(60, TimeUnit.SECONDS);

            assertEquals(count, read.size());
            for (int r = 0; r < count; r++)
            {
                final Read message = read.get(r);
                assertTrue(r == 0 || message.index() > read.get(r - 1).index(), "index order, each once: " + message.index());
                final long sequence = Long.parseLong(message.msgId().substring(17), 16);
                final int i = messageBySequence.get(sequence);
                assertEquals(Protocol.msgId(producer.producerId(), sequence), message.msgId());
                assertEquals(indexBySequence.get(sequence), message.index(), "at the index its SEND_OK named");
                assertEquals(i % 3 == 0 ? "orders" : "audit", message.topic());
                assertArrayEquals(body(i), message.body(), "body of message " + i);
            }
        }
    }

    @Test
    void shouldResumeANamedReaderAfterWhatItCommittedAndHandOverWhatItHadNot() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            final List<Long> stored = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                stored.add(producer.send(new Message().topic("orders").body(body(i)), 20_000).journalIndex());
            }
            final JournalReader.Context named = new JournalReader.Context().storeDir(dir.resolve("store").toFile()).name("billing");
            final List<Long> handled = new ArrayList<>();
            try (JournalReader reader = JournalReader.open(named))
            {
                for (int i = 0; i < 7; i++)
                {
                    assertEquals(1, reader.poll((message) -> handled.add(message.index()), 1));
                    reader.commit(); // after handling each message: at-least-once, in order
                }
                // the consumer dies after taking the 8th message and before committing it
                assertEquals(1, reader.poll((message) -> { }, 1));
            }
            try (JournalReader reader = JournalReader.open(named))
            {
                while (reader.poll((message) -> handled.add(message.index()), 5) > 0)
                {
                    reader.commit();
                }
            }
            assertEquals(stored, handled, "every message handled once in order: none lost, none committed handled twice");
        }
    }

    @Test
    void shouldHoldBackWhatIsNotFlushedUnderSyncFlushWhenReadingCommitted() throws Exception
    {
        final FlushPolicyTest.HeldFlusher held = new FlushPolicyTest.HeldFlusher();
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").flushListener(held));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()));
            JournalReader committed = JournalReader.open(new JournalReader.Context().storeDir(dir.resolve("store").toFile())
                .readCommitted(true));
            JournalReader all = JournalReader.open(new JournalReader.Context().storeDir(dir.resolve("store").toFile())))
        {
            awaitTrue("producer connected", producer::isConnected);
            final Future<SendStatus> send = executor.submit(() -> producer.send(new Message().topic("held").body(new byte[10]), 60_000).status());
            awaitTrue("stored", () -> broker.sendsStored() == 1);
            awaitTrue("its flush started and is held", () -> held.flushesStarted.get() > 0);
            final List<Long> seen = new ArrayList<>();
            awaitTrue("the plain reader sees the appended record", () -> all.poll((message) -> seen.add(message.index()), 10) > 0);
            assertEquals(0, committed.poll((message) -> seen.add(message.index()), 10), "not flushed: not handed over");

            held.release.countDown();
            assertEquals(SendStatus.SEND_OK, send.get(30, TimeUnit.SECONDS));
            awaitTrue("handed over once flushed", () -> committed.poll((message) -> seen.add(message.index()), 10) > 0);
            assertEquals(2, seen.size());
            assertEquals(seen.get(0), seen.get(1));
        }
    }
}
