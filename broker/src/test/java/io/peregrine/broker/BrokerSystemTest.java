package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Producer → broker → journal with a real embedded media driver and Chronicle journal in a temp dir.
 */
@Timeout(180)
class BrokerSystemTest
{
    @TempDir
    Path dir;

    private Broker broker;
    private Producer producer;

    @BeforeEach
    void start()
    {
        broker = Broker.launch(BrokerTestSupport.context(dir));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(producer, broker);
    }

    private Producer.Context producerContext(final String via)
    {
        return new Producer.Context()
            .brokerChannel(via.equals("udp") ? broker.udpChannel() : "aeron:ipc")
            .aeronDirectoryName(via.equals("udp") ? null : broker.aeronDirectoryName())
            .maxMessageSize(1024 * 1024);
    }

    @ParameterizedTest
    @ValueSource(strings = { "udp", "ipc" })
    void shouldStoreMixedSizesByteExactInOrder(final String via)
    {
        producer = Producer.start(producerContext(via));
        final int[] sizes = { 0, 1, 64, 1000, 1500, 4096, 65536, 100_000, 512 * 1024, 7, 300_000 };
        final List<byte[]> bodies = new ArrayList<>();
        final List<SendResult> results = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++)
        {
            final byte[] body = new byte[sizes[i]];
            for (int j = 0; j < body.length; j++)
            {
                body[j] = (byte)(j * 31 + i);
            }
            bodies.add(body);
            final SendResult result = producer.send(new Message().topic("mixed.sizes").body(body), 20_000);
            assertEquals(SendStatus.SEND_OK, result.status());
            results.add(result);
        }
        broker.close();

        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(sizes.length, stored.size());
        for (int i = 0; i < sizes.length; i++)
        {
            final BrokerTestSupport.Stored record = stored.get(i);
            assertEquals(results.get(i).journalIndex(), record.index());
            assertEquals(producer.producerId(), record.producerId());
            assertEquals(results.get(i).sequence(), record.sequence());
            assertEquals("mixed.sizes", record.topic());
            assertArrayEquals(bodies.get(i), record.body(), "body of message " + i + " (" + sizes[i] + " bytes)");
        }
    }

    @Test
    void shouldKeepOneThreadsOrderWhenQueuedAndDirectlyOfferedFramesMix() throws Exception
    {
        // bodies over an eighth of the 4 MiB send queue bypass it; they must still follow what was queued before
        producer = Producer.start(producerContext("udp"));
        final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        final io.peregrine.producer.SendCallback callback = new io.peregrine.producer.SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                answered.incrementAndGet();
            }

            public void onError(final long sequence, final io.peregrine.producer.SendException error)
            {
                answered.incrementAndGet();
            }
        };
        BrokerTestSupport.awaitTrue("connected", producer::isConnected);
        final Message message = new Message().topic("order");
        for (int i = 0; i < 40; i++)
        {
            final byte[] body = new byte[i % 4 == 3 ? 600 * 1024 : 100];
            body[0] = (byte)i;
            message.body(body);
            while (producer.sendAsync(message, 20_000, callback) < 0)
            {
                Thread.yield();
            }
        }
        BrokerTestSupport.awaitTrue("all answered", () -> answered.get() == 40);
        broker.close();
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(40, stored.size());
        for (int i = 0; i < 40; i++)
        {
            assertEquals((byte)i, stored.get(i).body()[0], "message " + i + " in send order");
            assertEquals(i % 4 == 3 ? 600 * 1024 : 100, stored.get(i).body().length);
        }
    }

    @Test
    void shouldStoreEverySendOfFourConcurrentThreadsOnce() throws Exception
    {
        producer = Producer.start(producerContext("udp"));
        final int threads = 4;
        final int perThread = 500;
        final ExecutorService executor = Executors.newFixedThreadPool(threads);
        final List<Future<List<SendResult>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            futures.add(executor.submit(() ->
            {
                final List<SendResult> results = new ArrayList<>();
                final Message message = new Message().topic("thread-" + thread);
                for (int i = 0; i < perThread; i++)
                {
                    final byte[] body = (thread + ":" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    results.add(producer.send(message.body(body), 20_000));
                }
                return results;
            }));
        }
        final Map<Long, String> expectedBodyBySequence = new HashMap<>();
        for (int t = 0; t < threads; t++)
        {
            final List<SendResult> results = futures.get(t).get(120, TimeUnit.SECONDS);
            for (int i = 0; i < perThread; i++)
            {
                assertEquals(SendStatus.SEND_OK, results.get(i).status());
                expectedBodyBySequence.put(results.get(i).sequence(), t + ":" + i);
            }
        }
        executor.shutdown();
        broker.close();

        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(threads * perThread, stored.size());
        assertEquals(threads * perThread, expectedBodyBySequence.size(), "sequences are unique");
        final int[] nextPerThread = new int[threads];
        long previousIndex = -1;
        for (final BrokerTestSupport.Stored record : stored)
        {
            assertTrue(record.index() > previousIndex, "journal indices strictly increase");
            previousIndex = record.index();
            final String body = new String(record.body(), java.nio.charset.StandardCharsets.US_ASCII);
            assertEquals(expectedBodyBySequence.get(record.sequence()), body);
            final int thread = Integer.parseInt(body.substring(0, body.indexOf(':')));
            assertEquals("thread-" + thread, record.topic());
            assertEquals(nextPerThread[thread]++, Integer.parseInt(body.substring(body.indexOf(':') + 1)),
                "each thread's messages are stored in the order it sent them");
        }
    }

    @Test
    void shouldRefuseBodyOverBrokerLimitBeforeSendingAndKeepServing()
    {
        producer = Producer.start(producerContext("udp").maxMessageSize(16 * 1024 * 1024 - 1024));
        final byte[] eightMiB = new byte[8 * 1024 * 1024];
        final SendException ex = assertThrows(SendException.class, () -> producer.send(new Message().topic("big").body(eightMiB)));
        assertEquals(ErrorKind.MESSAGE_TOO_LARGE, ex.kind());
        assertTrue(ex.getMessage().contains("8388608") && ex.getMessage().contains("4194304"), ex.getMessage());
        assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("small").body(new byte[10])).status());
        broker.close();
        assertEquals(List.of("small"), BrokerTestSupport.readJournal(dir).stream().map(BrokerTestSupport.Stored::topic).toList());
    }

    @Test
    void shouldRefuseInvalidTopicWithoutSending()
    {
        producer = Producer.start(producerContext("udp"));
        final SendException ex = assertThrows(SendException.class,
            () -> producer.send(new Message().topic("no spaces allowed").body(new byte[1])));
        assertEquals(ErrorKind.INVALID_TOPIC, ex.kind());
        assertTrue(ex.getMessage().contains("' '"), ex.getMessage());
        broker.close();
        assertTrue(BrokerTestSupport.readJournal(dir).isEmpty());
    }

    @Test
    void shouldRefuseSecondBrokerOnTheSameStore()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.AERON_DIR, dir.resolve("aeron-second").toString())));
        assertTrue(ex.getMessage().contains("locked by another broker (pid " + ProcessHandle.current().pid() + ")"), ex.getMessage());
    }

    @Test
    void shouldContinueJournalIndicesAfterRestart()
    {
        producer = Producer.start(producerContext("udp"));
        final long first = producer.send(new Message().topic("before").body(new byte[8])).journalIndex();
        producer.close();
        broker.close();

        broker = Broker.launch(BrokerTestSupport.context(dir));
        producer = Producer.start(producerContext("udp"));
        final long second = producer.send(new Message().topic("after").body(new byte[8])).journalIndex();
        assertTrue(second > first, "index after restart " + second + " > " + first);
        broker.close();
        assertEquals(List.of("before", "after"), BrokerTestSupport.readJournal(dir).stream().map(BrokerTestSupport.Stored::topic).toList());
    }
}
