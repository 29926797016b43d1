package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.logbuffer.Header;
import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import io.peregrine.producer.SendTimeoutException;
import io.peregrine.transport.Channels;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.BatchSendRequestDecoder;
import io.peregrine.transport.codec.ConnectAckEncoder;
import io.peregrine.transport.codec.ConnectDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendRequestDecoder;
import io.peregrine.transport.codec.SendResponseEncoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker that stops reading: Aeron's flow control pushes back, sendAsync reports BACK_PRESSURED instead
 * of queueing without bound or dropping, a blocking send times out naming the back-pressure, and once the
 * broker reads again every accepted send is answered. A broker that answers BROKER_BUSY: a blocking send backs
 * off and resends within its timeout.
 */
@Timeout(120)
class BackPressureTest
{
    /**
     * The protocol's broker side by hand, polled only when the test says so.
     */
    static final class StallingBroker implements AutoCloseable
    {
        final MediaDriver driver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        final Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        final Subscription requests;
        final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        final UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
        final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
        volatile Publication responses;
        String responseEndpoint;
        int responseWindow;
        long producerId;
        volatile long answered;
        volatile int busyAnswersLeft;
        volatile boolean ignoreFirstAttempts;
        volatile LongPredicate busyFor = sequence -> true;
        final Long2LongHashMap stored = new Long2LongHashMap(-1);
        final AtomicBoolean polling = new AtomicBoolean(true);
        Thread poller;
        volatile int requestsSeen;
        volatile int resends;

        StallingBroker()
        {
            this(0);
        }

        StallingBroker(final int port)
        {
            requests = aeron.addSubscription(
                Channels.requestSubscription("aeron:udp?endpoint=127.0.0.1:" + port + "|rcv-wnd=128k"), Protocol.REQUEST_STREAM_ID);
        }

        String channel()
        {
            awaitTrue("bound", () -> null != requests.resolvedEndpoint());
            return "aeron:udp?endpoint=" + requests.resolvedEndpoint();
        }

        int poll()
        {
            return requests.poll(assembler, 64);
        }

        private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            headerDecoder.wrap(buffer, offset);
            if (headerDecoder.templateId() == ConnectDecoder.TEMPLATE_ID && null == responses)
            {
                final ConnectDecoder connect = new ConnectDecoder().wrapAndApplyHeader(buffer, offset, headerDecoder);
                producerId = connect.producerId();
                responseWindow = connect.responseWindow();
                connect.producerGroup();
                connect.instanceName();
                responseEndpoint = connect.responseEndpoint();
                responses = newResponseStream(out);
            }
            else if (headerDecoder.templateId() == SendRequestDecoder.TEMPLATE_ID)
            {
                final SendRequestDecoder request = new SendRequestDecoder().wrapAndApplyHeader(buffer, offset, headerDecoder);
                requestsSeen++;
                final boolean resend = request.flags().resend();
                resends += resend ? 1 : 0;
                if (resend || !ignoreFirstAttempts)
                {
                    answer(request.producerId(), request.sequence());
                }
            }
            else if (headerDecoder.templateId() == BatchSendRequestDecoder.TEMPLATE_ID)
            {
                final BatchSendRequestDecoder request =
                    new BatchSendRequestDecoder().wrapAndApplyHeader(buffer, offset, headerDecoder);
                requestsSeen++;
                resends += request.flags().resend() ? 1 : 0;
                final int count = request.messages().count();
                for (int i = 0; i < count; i++)
                {
                    answer(request.producerId(), request.baseSequence() + i);
                }
            }
        }

        /**
         * Open a response stream to the producer (a new Aeron session each time) and send a ConnectAck on it.
         */
        private Publication newResponseStream(final UnsafeBuffer buffer)
        {
            // exclusive: a session of its own each time, as the broker's
            final Publication publication = aeron.addExclusivePublication(
                Channels.responsePublication(responseEndpoint, 0, responseWindow), Protocol.RESPONSE_STREAM_ID);
            awaitTrue("response stream connected", publication::isConnected);
            final ConnectAckEncoder ack = new ConnectAckEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
                .producerId(producerId).errorCode(ErrorCode.NONE).maxMessageSize(1 << 20)
                .heartbeatIntervalMs(1000).livenessTimeoutMs(10_000).brokerVersion("stalling").reason("");
            final int ackLength = MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength();
            awaitTrue("ack sent", () -> publication.offer(buffer, 0, ackLength) > 0);
            return publication;
        }

        /**
         * What a broker that restarted faster than its producers notice looks like: answers come on a new stream
         * (the old one stays open, so the producer never sees the broker go), opened by a ConnectAck.
         */
        void switchToNewResponseStream()
        {
            final Publication old = responses;
            responses = newResponseStream(new UnsafeBuffer(new byte[1024]));
            CloseHelper.close(old);
        }

        /**
         * Answer one message: with the index it was stored at before, BROKER_BUSY if the test says so, or store it.
         */
        private void answer(final long producerId, final long sequence)
        {
            final boolean busy = !stored.containsKey(sequence) && busyAnswersLeft > 0 && busyFor.test(sequence);
            busyAnswersLeft -= busy ? 1 : 0;
            if (!busy && !stored.containsKey(sequence))
            {
                stored.put(sequence, answered++);
            }
            final SendResponseEncoder response = new SendResponseEncoder().wrapAndApplyHeader(out, 0, headerEncoder)
                .producerId(producerId).sequence(sequence).journalIndex(busy ? -1 : stored.get(sequence))
                .status(io.peregrine.transport.codec.SendStatus.SEND_OK)
                .errorCode(busy ? ErrorCode.BROKER_BUSY : ErrorCode.NONE).errorText(busy ? "broker busy" : "");
            final int responseLength = MessageHeaderEncoder.ENCODED_LENGTH + response.encodedLength();
            awaitTrue("response sent", () -> responses.offer(out, 0, responseLength) > 0);
        }

        /**
         * Poll on a thread of its own from now until closed.
         */
        void pollInBackground()
        {
            poller = new Thread(() ->
            {
                while (polling.get())
                {
                    if (poll() == 0)
                    {
                        Thread.yield();
                    }
                }
            }, "stalling-broker");
            poller.start();
        }

        public void close()
        {
            polling.set(false);
            if (null != poller)
            {
                try
                {
                    poller.join(10_000);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            CloseHelper.closeAll(responses, requests, aeron, driver);
        }
    }

    private static Producer connectedProducer(final StallingBroker broker)
    {
        return connected(broker, Producer.start(new Producer.Context()
            .closeTimeoutMs(0) // the scripted broker does not answer Close
            .brokerChannel(broker.channel())
            .maxMessageSize(64 * 1024)
            .sendQueueLength(64 * 1024)
            .maxInFlight(10_000)));
    }

    /**
     * A producer whose clock stands still, so no attempt's time ever runs out, and that may resend an async send once.
     */
    private static Producer frozenClockProducer(final StallingBroker broker)
    {
        return connected(broker, Producer.start(new Producer.Context()
            .closeTimeoutMs(0) // the scripted broker does not answer Close
            .brokerChannel(broker.channel())
            .maxMessageSize(64 * 1024)
            .nanoClock(new org.agrona.concurrent.CachedNanoClock())
            .retryTimesWhenSendAsyncFailed(1)));
    }

    private static Producer connected(final StallingBroker broker, final Producer producer)
    {
        awaitTrue("handshake", () ->
        {
            broker.poll();
            return producer.isConnected();
        });
        return producer;
    }

    @Test
    void shouldBackOffAndResendWhileTheBrokerAnswersBusy() throws Exception
    {
        // tried: a broker that answers BROKER_BUSY (nothing stored) three times, then stores the message
        try (StallingBroker broker = new StallingBroker();
            Producer producer = connectedProducer(broker))
        {
            broker.pollInBackground();
            broker.busyAnswersLeft = 3;
            final SendResult result = producer.send(new Message().topic("busy").body(new byte[100]), 10_000);

            assertEquals(SendStatus.SEND_OK, result.status());
            assertEquals(0, result.journalIndex(), "stored by the fourth request, the broker's first store");
            assertEquals(4, broker.requestsSeen, "the first request and three resends after busy answers");
            assertEquals(3, broker.resends, "every resend is flagged so a broker checks it against what it stored");
            assertEquals(3, producer.retries());
            assertEquals(0, producer.sendersReading(), "the sender counted itself a reader only while it waited");
        }
    }

    @Test
    void shouldResendAnAsyncSendWhoseAnswerDoesNotComeAndCallBackOnce() throws Exception
    {
        // tried: a broker that never answers a first attempt (as if the request or its answer were lost), an async
        // send with retryTimesWhenSendAsyncFailed=2 and 3 s: the resend after its first 1 s is answered
        try (StallingBroker broker = new StallingBroker();
            Producer producer = Producer.start(new Producer.Context()
                .closeTimeoutMs(0) // the scripted broker does not answer Close
                .brokerChannel(broker.channel())
                .maxMessageSize(64 * 1024)
                .retryTimesWhenSendAsyncFailed(2)))
        {
            awaitTrue("handshake", () ->
            {
                broker.poll();
                return producer.isConnected();
            });
            broker.pollInBackground();
            broker.ignoreFirstAttempts = true;
            final AtomicLong completed = new AtomicLong();
            final AtomicLong failed = new AtomicLong();
            final long[] journalIndex = { -2 };
            final long sequence = producer.sendAsync(new Message().topic("lost").body(new byte[100]), 3_000, new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long index)
                {
                    journalIndex[0] = index;
                    completed.incrementAndGet();
                }

                public void onError(final long sequence, final SendException error)
                {
                    failed.incrementAndGet();
                }
            });
            assertTrue(sequence > 0, producer.codeText(sequence));
            awaitTrue("the callback", () -> completed.get() + failed.get() > 0);

            assertEquals(1, completed.get(), "answered by the resend, not timed out");
            assertEquals(0, failed.get());
            assertEquals(0, journalIndex[0]);
            assertEquals(2, broker.requestsSeen, "the unanswered first attempt and one resend");
            assertEquals(1, broker.resends);
            assertEquals(1, producer.retries());
        }
    }

    @Test
    void shouldResendInFlightAsyncSendsToABrokerThatTookOver() throws Exception
    {
        // tried: a broker that never answers first attempts goes away with an async send in flight and another takes
        // its port; the producer's clock stands still, so no attempt's time runs out: only seeing the new broker's
        // response stream can resend it
        StallingBroker broker = new StallingBroker(); // port 0: a free one, bound by the first broker itself
        final Producer producer = frozenClockProducer(broker);
        final String channel = broker.channel();
        final int port = Integer.parseInt(channel.substring(channel.lastIndexOf(':') + 1)); // where the second takes over
        try
        {
            final StallingBroker first = broker;
            first.ignoreFirstAttempts = true;
            first.pollInBackground();
            final AtomicLong completed = new AtomicLong();
            final long sequence = producer.sendAsync(new Message().topic("moved").body(new byte[100]), 60_000, new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    completed.incrementAndGet();
                }

                public void onError(final long sequence, final SendException error)
                {
                    completed.addAndGet(1000);
                }
            });
            assertTrue(sequence > 0, producer.codeText(sequence));
            awaitTrue("the first broker got the send", () -> first.requestsSeen == 1);
            first.close();

            broker = new StallingBroker(port);
            final StallingBroker second = broker;
            second.pollInBackground();
            awaitTrue("the callback", () -> completed.get() > 0);
            assertEquals(1, completed.get(), "SEND_OK from the new broker, once");
            assertEquals(1, second.resends, "the new broker got the send as a resend");
            assertEquals(0, first.resends);
        }
        finally
        {
            CloseHelper.closeAll(producer, broker);
        }
    }

    @Test
    void shouldResendInFlightAsyncSendsWhenTheBrokersResponseStreamChangesWhileConnected() throws Exception
    {
        // tried: the broker never answers an async send's first attempt, then starts answering on a new response stream
        // without the producer ever losing it (a broker restarted faster than liveness notices); the producer's clock
        // stands still, so only the new stream's ConnectAck can make it resend
        try (StallingBroker broker = new StallingBroker())
        {
            final Producer producer = frozenClockProducer(broker);
            try
            {
                broker.ignoreFirstAttempts = true;
                broker.pollInBackground();
                final CompletableFuture<SendResult> result = producer.sendAsync(new Message().topic("same").body(new byte[100]));
                awaitTrue("the broker got the send", () -> broker.requestsSeen == 1);
                assertTrue(producer.isConnected());
                assertFalse(result.isDone(), "unanswered");

                final int sessionId = broker.responses.sessionId();
                broker.switchToNewResponseStream();
                assertTrue(sessionId != broker.responses.sessionId(), "the premise: a new stream");
                final SendResult stored = result.get(30, TimeUnit.SECONDS);
                assertEquals(SendStatus.SEND_OK, stored.status());
                assertEquals(1, broker.resends, "resent once, on the new stream's ConnectAck");
                assertEquals(2, broker.requestsSeen);
            }
            finally
            {
                producer.close();
            }
        }
    }

    @Test
    void shouldResendABatchWhoseMessagesWerePartlyAnsweredBusy() throws Exception
    {
        // tried: a batch of four where the broker stores sequences 1, 3 and 4 and answers 2 with BROKER_BUSY; the resend
        // of the whole batch stores 2 and answers 1, 3 and 4 with the indices they already have
        try (StallingBroker broker = new StallingBroker();
            Producer producer = connectedProducer(broker))
        {
            broker.pollInBackground();
            broker.busyFor = sequence -> sequence == 2;
            broker.busyAnswersLeft = 1;
            final List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 4; i++)
            {
                batch.add(new Message().topic("busy").body(new byte[]{(byte)i}));
            }
            final List<SendResult> results = producer.sendBatch(batch, 10_000);

            assertEquals(4, results.size());
            final long[] indices = results.stream().mapToLong(SendResult::journalIndex).toArray();
            assertArrayEquals(new long[]{0, 3, 1, 2}, indices, "each message stored once, the busy one by the resend");
            assertTrue(results.stream().allMatch(result -> result.status() == SendStatus.SEND_OK));
            assertEquals(2, broker.requestsSeen, "the batch and one resend of it");
            assertEquals(1, broker.resends, "the second request is flagged as a resend");
            assertEquals(0, producer.sendersReading(), "a batch's reader counts the rest of its batch only while it waits");
        }
    }

    @Test
    void shouldBackOffAndResendWhileTheBrokerIsBusyThenStoreOnce() throws Exception
    {
        // tried: a broker that answers the first four attempts with BROKER_BUSY; the producer backs off (1, 2, 4, 8 ms)
        // and resends, flagged, until the fifth is stored
        try (StallingBroker broker = new StallingBroker();
            Producer producer = connectedProducer(broker))
        {
            broker.pollInBackground();
            broker.busyAnswersLeft = 4;
            final SendResult result = producer.send(new Message().topic("busy").body(new byte[100]), 30_000);
            assertEquals(SendStatus.SEND_OK, result.status());
            assertEquals(5, broker.requestsSeen);
            assertEquals(4, broker.resends);
            assertEquals(1, broker.answered, "stored once");
        }
    }

    @Test
    void shouldLeaveNoSenderCountedAsReadingAfterSendsAndBatchesTimeOut() throws Exception
    {
        // tried: three threads send, and one sends a batch of four, to a broker that reads nothing; every send times
        // out. A blocked sender counts itself as reading its answer while it waits (the producer's own thread parks
        // while every send in flight has such a reader): none may stay counted, nor be counted down twice, once the
        // sends have timed out, and the producer thread must still answer what comes after
        try (StallingBroker broker = new StallingBroker();
            Producer producer = connectedProducer(broker))
        {
            final Message message = new Message().topic("readers").body(new byte[100]);
            final AtomicInteger timedOut = new AtomicInteger();
            final List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < 4; t++)
            {
                final boolean batch = t == 3;
                senders.add(new Thread(() ->
                {
                    try
                    {
                        if (batch)
                        {
                            producer.sendBatch(List.of(message, message, message, message), 300);
                        }
                        else
                        {
                            producer.send(message, 300);
                        }
                    }
                    catch (final SendTimeoutException ex)
                    {
                        timedOut.incrementAndGet();
                    }
                }, "sender-" + t));
            }
            senders.forEach(Thread::start);
            for (final Thread sender : senders)
            {
                sender.join(30_000);
                assertFalse(sender.isAlive());
            }
            assertEquals(4, timedOut.get());
            assertEquals(0, producer.sendersReading(), "no reader left counted");
            awaitTrue("every timed-out send let go of its slot", () -> producer.inFlight() == 0);

            broker.pollInBackground(); // the broker reads again: an async send is answered through the producer thread
            final CompletableFuture<SendResult> answer = producer.sendAsync(message);
            assertEquals(SendStatus.SEND_OK, answer.get(30, TimeUnit.SECONDS).status());
            assertEquals(0, producer.sendersReading());
        }
    }

    @Test
    void shouldGiveUpWithBrokerBusyWhenNoTimeIsLeftToBackOff() throws Exception
    {
        // tried: a BROKER_BUSY answer to a send whose time (1 ms, on a clock that stands still) cannot hold the back-off
        // and the resend's answer: the caller hears BROKER_BUSY, with how often, and that nothing was stored
        try (StallingBroker broker = new StallingBroker();
            Producer producer = frozenClockProducer(broker))
        {
            broker.pollInBackground();
            broker.busyAnswersLeft = Integer.MAX_VALUE;
            final SendException error = assertThrows(SendException.class,
                () -> producer.send(new Message().topic("busy").body(new byte[100]), 1));
            assertEquals(ErrorKind.BROKER_BUSY, error.kind(), error.getMessage());
            assertTrue(error.getMessage().contains("answered BROKER_BUSY 1 times"), error.getMessage());
            assertEquals(1, broker.requestsSeen);
            assertEquals(0, broker.answered, "nothing stored");
        }
    }

    @Test
    void shouldReportBackPressureWhileTheBrokerStallsAndAnswerEverySendAfterwards()
    {
        try (StallingBroker broker = new StallingBroker();
            Producer producer = connectedProducer(broker))
        {

            // the broker reads nothing now: the stream's window (128 KiB) and the producer's queue (64 KiB) fill up
            final AtomicLong completed = new AtomicLong();
            final AtomicLong failed = new AtomicLong();
            final SendCallback callback = new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    completed.incrementAndGet();
                }

                public void onError(final long sequence, final SendException error)
                {
                    failed.incrementAndGet();
                }
            };
            final Message message = new Message().topic("pressure").body(new byte[1000]);
            long accepted = 0;
            long backPressured = 0;
            for (int i = 0; i < 1000 && backPressured == 0; i++)
            {
                final long result = producer.sendAsync(message, 60_000, callback);
                if (result > 0)
                {
                    accepted++;
                }
                else
                {
                    assertEquals(Producer.BACK_PRESSURED, result, producer.codeText(result));
                    backPressured++;
                }
            }
            assertTrue(backPressured > 0, "1000 KB into a 128 KiB window and a 64 KiB queue must push back");
            // at least what the 64 KiB queue holds (about 60 frames of ~1 KiB); more once the stream's window is open
            assertTrue(accepted >= 60, "the window and the queue took what fits: " + accepted);

            final SendTimeoutException timeout = assertThrows(SendTimeoutException.class,
                () -> producer.send(message, 200));
            // back-pressured at hand-off, or handed off into the last of the window and never answered: either way the
            // caller hears within its 200 ms which broker did not take it
            assertTrue(timeout.getMessage().contains(broker.channel()) && timeout.getMessage().contains("200 ms"),
                timeout.getMessage());

            final long expected = accepted;
            awaitTrue("every accepted send answered once the broker reads again", () ->
            {
                broker.poll();
                return completed.get() == expected;
            });
            assertEquals(0, failed.get());
        }
    }
}
