package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.peregrine.consumer.ConsumedMessage;
import io.peregrine.consumer.Consumer;
import io.peregrine.consumer.ConsumerException;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.TailFrom;
import io.peregrine.transport.codec.TailSubscribeEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network tail against a real broker over UDP on loopback: a consumer started mid-stream from index 0 catches up
 * and goes on live with no gap and no repeat at the switch; a named consumer resumes after what it committed, and a
 * second one of the same name is refused while the first is connected; a consumer that stops reading is not buffered
 * for (the broker reads for it only what its stream takes) and gets everything once it reads again.
 */
@Timeout(180)
class TailTest
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
     * A message as consumed: where it was stored, its id, topic and the CRC32C of its body.
     */
    private record Consumed(long index, String msgId, String topic, long crc, int length)
    {
        static Consumed of(final ConsumedMessage message)
        {
            final byte[] body = new byte[message.bodyLength()];
            message.body().getBytes(0, body);
            return new Consumed(message.index(), message.msgId(), message.topic(), TailTest.crc(body), body.length);
        }
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Message i's body: sizes from empty to 96 KiB, so that batches, single large frames and fragmented ones all occur.
     */
    private static byte[] body(final int i)
    {
        final byte[] body = new byte[i % 97 == 0 ? 96 * 1024 : (i * 37) % 3000];
        for (int b = 0; b < body.length; b++)
        {
            body[b] = (byte)(i * 31 + b);
        }
        return body;
    }

    private static Consumer.Context consumer(final Broker broker)
    {
        return new Consumer.Context().brokerChannel(broker.udpChannel());
    }

    @Test
    void shouldCatchUpFromIndexZeroMidStreamAndGoOnLiveWithoutGapOrRepeat() throws Exception
    {
        final int count = 4000;
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            awaitTrue("producer connected", producer::isConnected);
            final Map<Long, Long> indexBySequence = new ConcurrentHashMap<>();
            final Map<Long, Integer> messageBySequence = new ConcurrentHashMap<>();
            final SendCallback callback = new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    indexBySequence.put(sequence, status == SendStatus.SEND_OK ? journalIndex : -1);
                }

                public void onError(final long sequence, final SendException error)
                {
                    indexBySequence.put(sequence, -2L);
                }
            };
            // the producer keeps sending while the consumer joins: the first half is stored before it connects
            final Future<?> sending = executor.submit(() ->
            {
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
                return null;
            });
            awaitTrue("half stored", () -> broker.sendsStored() >= count / 2);

            final List<Consumed> consumed = new ArrayList<>();
            try (Consumer consumer = Consumer.connect(consumer(broker).fromIndex(0)))
            {
                awaitTrue("every message consumed", () ->
                {
                    consumer.poll((message) -> consumed.add(Consumed.of(message)), 10);
                    return consumed.size() >= count;
                });
                assertEquals(0, consumer.resubscribes());
            }
            sending.get(60, TimeUnit.SECONDS);
            awaitTrue("every send answered", () -> indexBySequence.size() == count);

            assertEquals(count, consumed.size());
            for (int c = 0; c < count; c++)
            {
                final Consumed message = consumed.get(c);
                assertTrue(c == 0 || message.index() > consumed.get(c - 1).index(), "index order, each once: " + message.index());
                final long sequence = Long.parseLong(message.msgId().substring(17), 16);
                final int i = messageBySequence.get(sequence);
                assertEquals(Protocol.msgId(producer.producerId(), sequence), message.msgId());
                assertEquals(indexBySequence.get(sequence), message.index(), "at the index its SEND_OK named");
                assertEquals(i % 3 == 0 ? "orders" : "audit", message.topic());
                assertEquals(body(i).length, message.length(), "length of message " + i);
                assertEquals(crc(body(i)), message.crc(), "body of message " + i);
            }
        }
    }

    @Test
    void shouldResumeANamedConsumerAfterWhatItCommittedAndRefuseASecondOfTheSameName() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            final List<Long> stored = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                stored.add(producer.send(new Message().topic(i % 2 == 0 ? "orders" : "audit").body(body(i)), 20_000).journalIndex());
            }
            final List<Long> orders = new ArrayList<>();
            for (int i = 0; i < stored.size(); i += 2)
            {
                orders.add(stored.get(i));
            }
            final List<Long> first = new ArrayList<>();
            try (Consumer consumer = Consumer.connect(consumer(broker).name("billing").topic("orders")))
            {
                // what was tried: the same name again while the first is connected
                final ConsumerException refused = assertThrows(ConsumerException.class,
                    () -> Consumer.connect(consumer(broker).name("billing")).close());
                assertTrue(refused.getMessage().contains("'billing' is connected already"), refused.getMessage());

                awaitTrue("every order delivered", () ->
                {
                    consumer.poll((message) ->
                    {
                        first.add(message.index());
                        if (first.size() <= 4)
                        {
                            consumer.commit(); // the first four are handled, each committed after it is
                        }
                    }, 10);
                    return first.size() >= orders.size();
                });
                // the consumer leaves without handling the rest: they were delivered, not committed
            }
            assertEquals(orders, first);
            awaitTrue("name released", () -> broker.consumersConnected() == 0);
            final List<Long> second = new ArrayList<>();
            try (Consumer consumer = Consumer.connect(consumer(broker).name("billing").topic("orders")))
            {
                awaitTrue("the rest", () ->
                {
                    consumer.poll((message) -> second.add(message.index()), 10);
                    return second.size() >= orders.size() - 4;
                });
                consumer.commit();
            }
            assertEquals(orders.subList(4, orders.size()), second, "resumed after the last committed: none lost, none committed again");
        }
    }

    @Test
    void shouldNotBufferForAConsumerThatStopsReadingAndDeliverEverythingWhenItReadsAgain() throws Exception
    {
        final int count = 400;
        final int size = 128 * 1024; // 50 MiB in all, far beyond what the consumer's stream holds
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()));
            Consumer consumer = Consumer.connect(consumer(broker)))
        {
            final byte[] body = new byte[size];
            final List<Long> stored = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                body[0] = (byte)i;
                final var result = producer.send(new Message().topic("bulk").body(body), 20_000);
                assertEquals(SendStatus.SEND_OK, result.status(), "the stalled consumer does not hold up producers");
                stored.add(result.journalIndex());
            }
            // what the broker reads for the stalled consumer is what its stream holds: the consumer's receiver window
            // (2 MiB), the publication's window beyond what was sent (2 MiB) and a frame in hand, not the 50 MiB stored;
            // waiting until it has filled the receiver window makes sure the tail thread did not just lag
            awaitTrue("the consumer's receiver window filled", () -> broker.consumerMessagesSent() * size >= 2L * 1024 * 1024);
            final long sentWhileStalled = broker.consumerMessagesSent();
            assertTrue(sentWhileStalled * size <= 6L * 1024 * 1024,
                "sent " + sentWhileStalled + " messages of " + size + " bytes to a consumer that read none");

            final List<Long> consumed = new ArrayList<>();
            awaitTrue("everything once it reads", () ->
            {
                consumer.poll((message) ->
                {
                    assertEquals(size, message.bodyLength());
                    assertEquals((byte)consumed.size(), message.body().getByte(0));
                    consumed.add(message.index());
                }, 10);
                return consumed.size() >= count;
            });
            assertEquals(stored, consumed);
        }
    }

    @Test
    void shouldSubscribeAgainAfterTheLastMessageWhenTheBrokerDropsASilentConsumer() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "300"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()));
            Consumer consumer = Consumer.connect(consumer(broker)))
        {
            final List<Long> stored = new ArrayList<>();
            final List<Long> consumed = new ArrayList<>();
            for (int i = 0; i < 5; i++)
            {
                stored.add(producer.send(new Message().topic("t").body(body(i)), 20_000).journalIndex());
            }
            awaitTrue("first five", () ->
            {
                consumer.poll((message) -> consumed.add(message.index()), 10);
                return consumed.size() == 5;
            });
            // the consumer stops polling (so it stops heartbeating): the broker gives it up; what is stored after that
            // comes on the stream it subscribes again on
            awaitTrue("dropped by the broker", () -> broker.consumersConnected() == 0);
            for (int i = 5; i < 10; i++)
            {
                stored.add(producer.send(new Message().topic("t").body(body(i)), 20_000).journalIndex());
            }
            awaitTrue("the rest after it subscribes again", () ->
            {
                consumer.poll((message) -> consumed.add(message.index()), 10);
                return consumed.size() >= 10;
            });
            assertEquals(stored, consumed, "nothing missed or repeated across the new subscription");
            assertTrue(consumer.resubscribes() >= 1, "subscribed again");
        }
    }

    @Test
    void shouldResumeANamedConsumerOnANewStreamAfterWhatItHasAndKeepWhatItCommitsThere() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "300"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            final List<Long> stored = new ArrayList<>();
            final List<Long> consumed = new ArrayList<>();
            try (Consumer consumer = Consumer.connect(consumer(broker).name("billing")))
            {
                for (int i = 0; i < 5; i++)
                {
                    stored.add(producer.send(new Message().topic("t").body(body(i)), 20_000).journalIndex());
                }
                awaitTrue("first five", () ->
                {
                    consumer.poll((message) -> consumed.add(message.index()), 10);
                    return consumed.size() == 5;
                });
                consumer.commit(stored.get(1)); // the broker keeps the second; the consumer has five
                awaitTrue("second kept", () -> stored.get(1).equals(keptPosition("billing")));
                // silent past the liveness timeout: the broker drops it, keeping the second
                awaitTrue("dropped by the broker", () -> broker.consumersConnected() == 0);
                // on the new stream, with nothing new stored, it commits the fifth: kept, though the broker's reader on
                // that stream has read nothing (it goes on after what the consumer has)
                awaitTrue("subscribed again", () ->
                {
                    consumer.poll((message) -> consumed.add(message.index()), 10);
                    return consumer.isConnected() && consumer.resubscribes() >= 1;
                });
                consumer.commit();
                awaitTrue("fifth kept", () ->
                {
                    consumer.poll((message) -> consumed.add(message.index()), 10);
                    return stored.get(4).equals(keptPosition("billing"));
                });
                for (int i = 5; i < 10; i++)
                {
                    stored.add(producer.send(new Message().topic("t").body(body(i)), 20_000).journalIndex());
                }
                awaitTrue("the rest", () ->
                {
                    consumer.poll((message) -> consumed.add(message.index()), 10);
                    consumer.commit();
                    return consumed.size() >= 10;
                });
                assertTrue(consumer.resubscribes() >= 1, "subscribed again");
            }
            assertEquals(stored, consumed, "nothing missed or repeated across the new stream");
            assertEquals(stored.get(9), keptPosition("billing"), "what it committed on the new stream is kept");
        }
    }

    @Test
    void shouldNotMissWhatIsStoredWhileAConsumerFromTheEndSubscribesAgainBeforeItsFirstMessage() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "300"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            producer.send(new Message().topic("t").body(body(0)), 20_000); // before the consumer: not for it
            try (Consumer consumer = Consumer.connect(consumer(broker).from(Consumer.Start.END)))
            {
                awaitTrue("dropped by the broker", () -> broker.consumersConnected() == 0);
                final List<Long> stored = new ArrayList<>();
                for (int i = 1; i < 4; i++)
                {
                    stored.add(producer.send(new Message().topic("t").body(body(i)), 20_000).journalIndex());
                }
                final List<Long> consumed = new ArrayList<>();
                awaitTrue("what was stored after it started", () ->
                {
                    consumer.poll((message) -> consumed.add(message.index()), 10);
                    return consumed.size() >= 3;
                });
                assertEquals(stored, consumed, "it goes on from where its first stream started, not from the new end");
            }
        }
    }

    @Test
    void shouldRejectAndCountBadTailFramesAndGoOnServingConsumers() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(broker.aeronDirectoryName()));
            Publication raw = aeron.addPublication(broker.udpChannel(), Protocol.TAIL_REQUEST_STREAM_ID);
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            awaitTrue("raw publication connected", raw::isConnected);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[256]);
            // what was tried: a frame shorter than a header, a header of another schema, and a subscribe cut off
            // before its strings end
            awaitTrue("short frame taken", () -> raw.offer(frame, 0, 3) > 0);
            new MessageHeaderEncoder().wrap(frame, 0).blockLength(8).templateId(30).schemaId(9999).version(1);
            awaitTrue("other schema taken", () -> raw.offer(frame, 0, 16) > 0);
            final TailSubscribeEncoder subscribe = new TailSubscribeEncoder().wrapAndApplyHeader(frame, 0, new MessageHeaderEncoder());
            subscribe.consumerId(1).from(TailFrom.START).fromValue(0).readCommitted((short)1).dataSessionId(0)
                .name("cut").topic("").dataEndpoint("127.0.0.1:9").clientVersion(Protocol.VERSION);
            final int cut = MessageHeaderEncoder.ENCODED_LENGTH + TailSubscribeEncoder.BLOCK_LENGTH + 2;
            awaitTrue("cut subscribe taken", () -> raw.offer(frame, 0, cut) > 0);
            awaitTrue("three frames rejected", () -> broker.tailFramesRejected() == 3);
            assertEquals(0, broker.consumersConnected(), "nothing was subscribed");

            try (Consumer consumer = Consumer.connect(consumer(broker)))
            {
                final long index = producer.send(new Message().topic("t").body(body(1)), 20_000).journalIndex();
                final List<Long> consumed = new ArrayList<>();
                awaitTrue("a real consumer is served", () -> consumer.poll((message) -> consumed.add(message.index()), 10) > 0);
                assertEquals(List.of(index), consumed);
            }
        }
    }

    private Long keptPosition(final String name)
    {
        try
        {
            final Path file = dir.resolve("store/readers/" + name + ".position");
            final String text = Files.isRegularFile(file) ? Files.readString(file).trim() : "";
            return text.isEmpty() ? null : Long.valueOf(text); // empty: the name is in use, nothing committed yet
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void shouldTailOverIpcOnTheBrokersDriver() throws Exception
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Producer producer = Producer.start(new Producer.Context().brokerChannel("aeron:ipc").aeronDirectoryName(broker.aeronDirectoryName()));
            Consumer consumer = Consumer.connect(new Consumer.Context().brokerChannel("aeron:ipc")
                .aeronDirectoryName(broker.aeronDirectoryName()).from(Consumer.Start.END)))
        {
            final List<Long> stored = new ArrayList<>();
            for (int i = 0; i < 50; i++)
            {
                stored.add(producer.send(new Message().topic("ipc").body(body(i)), 20_000).journalIndex());
            }
            final List<Long> consumed = new ArrayList<>();
            awaitTrue("every message", () ->
            {
                consumer.poll((message) ->
                {
                    assertEquals(crc(body(consumed.size())), crc(bytes(message)));
                    consumed.add(message.index());
                }, 10);
                return consumed.size() >= stored.size();
            });
            assertEquals(stored, consumed);
        }
    }

    private static byte[] bytes(final ConsumedMessage message)
    {
        final byte[] body = new byte[message.bodyLength()];
        message.body().getBytes(0, body);
        return body;
    }
}
