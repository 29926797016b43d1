package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.logbuffer.Header;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import io.peregrine.producer.SendTimeoutException;
import io.peregrine.transport.Channels;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.ConnectAckEncoder;
import io.peregrine.transport.codec.ConnectDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendRequestDecoder;
import io.peregrine.transport.codec.SendResponseEncoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker that stops reading: Aeron's flow control pushes back, sendAsync reports BACK_PRESSURED instead
 * of queueing without bound or dropping, a blocking send times out naming the back-pressure, and once the
 * broker reads again every accepted send is answered.
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
        final Subscription requests = aeron.addSubscription(
            Channels.requestSubscription("aeron:udp?endpoint=127.0.0.1:0|rcv-wnd=128k"), Protocol.REQUEST_STREAM_ID);
        final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        final UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
        final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
        Publication responses;
        long answered;

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
                final long producerId = connect.producerId();
                final int window = connect.responseWindow();
                connect.producerGroup();
                connect.instanceName();
                final String endpoint = connect.responseEndpoint();
                responses = aeron.addPublication(Channels.responsePublication(endpoint, 0, window), Protocol.RESPONSE_STREAM_ID);
                awaitTrue("response stream connected", responses::isConnected);
                final ConnectAckEncoder ack = new ConnectAckEncoder().wrapAndApplyHeader(out, 0, headerEncoder)
                    .producerId(producerId).errorCode(ErrorCode.NONE).maxMessageSize(1 << 20)
                    .heartbeatIntervalMs(1000).livenessTimeoutMs(10_000).brokerVersion("stalling").reason("");
                final int ackLength = MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength();
                awaitTrue("ack sent", () -> responses.offer(out, 0, ackLength) > 0);
            }
            else if (headerDecoder.templateId() == SendRequestDecoder.TEMPLATE_ID)
            {
                final SendRequestDecoder request = new SendRequestDecoder().wrapAndApplyHeader(buffer, offset, headerDecoder);
                final SendResponseEncoder response = new SendResponseEncoder().wrapAndApplyHeader(out, 0, headerEncoder)
                    .producerId(request.producerId()).sequence(request.sequence()).journalIndex(answered)
                    .status(io.peregrine.transport.codec.SendStatus.SEND_OK).errorCode(ErrorCode.NONE).errorText("");
                final int responseLength = MessageHeaderEncoder.ENCODED_LENGTH + response.encodedLength();
                awaitTrue("response sent", () -> responses.offer(out, 0, responseLength) > 0);
                answered++;
            }
        }

        public void close()
        {
            CloseHelper.closeAll(responses, requests, aeron, driver);
        }
    }

    @Test
    void shouldReportBackPressureWhileTheBrokerStallsAndAnswerEverySendAfterwards()
    {
        try (StallingBroker broker = new StallingBroker();
            Producer producer = Producer.start(new Producer.Context()
                .brokerChannel(broker.channel())
                .maxMessageSize(64 * 1024)
                .sendQueueLength(64 * 1024)
                .maxInFlight(10_000)))
        {
            awaitTrue("handshake", () ->
            {
                broker.poll();
                return producer.isConnected();
            });

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
            assertTrue(accepted >= 64, "the window and the queue took what fits: " + accepted);

            final SendTimeoutException timeout = assertThrows(SendTimeoutException.class,
                () -> producer.send(message, 200));
            assertTrue(timeout.getMessage().contains("back-pressured") || timeout.getMessage().contains("no response"),
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
