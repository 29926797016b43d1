package io.peregrine.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.ConnectAckDecoder;
import io.peregrine.transport.codec.ConnectEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendRequestEncoder;
import io.peregrine.transport.codec.SendResponseDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A hand-driven protocol client for tests that must send what a real producer never would:
 * garbage, wrong versions, oversized or malformed requests.
 */
final class RawClient implements AutoCloseable
{
    final long producerId;
    final Publication publication;
    final Subscription subscription;
    final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    final List<String> responses = new ArrayList<>();
    private final int responseSessionId = ThreadLocalRandom.current().nextInt();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final SendResponseDecoder responseDecoder = new SendResponseDecoder();
    private final ConnectAckDecoder ackDecoder = new ConnectAckDecoder();
    private final FragmentAssembler assembler = new FragmentAssembler(this::onResponse);

    RawClient(final Aeron aeron, final String brokerChannel)
    {
        this(aeron, brokerChannel, ThreadLocalRandom.current().nextLong());
    }

    RawClient(final Aeron aeron, final String brokerChannel, final long producerId)
    {
        this.producerId = producerId;
        subscription = aeron.addSubscription(Channels.responseSubscription(false, "127.0.0.1", responseSessionId, 128 * 1024),
            Protocol.RESPONSE_STREAM_ID);
        publication = aeron.addPublication(brokerChannel, Protocol.REQUEST_STREAM_ID);
        BrokerTestSupport.awaitTrue("raw client publication connected", publication::isConnected);
        BrokerTestSupport.awaitTrue("response endpoint resolved", () -> null != subscription.resolvedEndpoint());
    }

    void connect()
    {
        final ConnectEncoder encoder = new ConnectEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .producerId(producerId)
            .responseStreamId(Protocol.RESPONSE_STREAM_ID)
            .responseSessionId(responseSessionId)
            .maxMessageSize(1024 * 1024)
            .responseWindow(128 * 1024)
            .producerGroup("raw")
            .instanceName("raw-" + Long.toHexString(producerId))
            .responseEndpoint(subscription.resolvedEndpoint())
            .clientVersion("test");
        offer(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        awaitResponse("connect ack", (r) -> r.startsWith("ACK "));
    }

    /**
     * Encode a send request; the caller may corrupt it before offering.
     *
     * @return its length.
     */
    int encodeSend(final long sequence, final String topic, final byte[] body)
    {
        final SendRequestEncoder encoder = new SendRequestEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .producerId(producerId)
            .sequence(sequence)
            .timeBudgetMs(3000);
        encoder.flags().clear().waitStoreMsgOK(true);
        encoder
            .topic(topic)
            .putBody(body, 0, body.length);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    void offer(final DirectBuffer frame, final int length)
    {
        BrokerTestSupport.awaitTrue("offer accepted", () -> publication.offer(frame, 0, length) > 0);
    }

    String awaitResponse(final String what, final java.util.function.Predicate<String> match)
    {
        final String[] found = new String[1];
        BrokerTestSupport.awaitTrue(what, () ->
        {
            subscription.poll(assembler, 10);
            for (final String response : responses)
            {
                if (match.test(response))
                {
                    found[0] = response;
                    return true;
                }
            }
            return false;
        });
        responses.remove(found[0]);
        return found[0];
    }

    /**
     * Read what answers have arrived.
     *
     * @return fragments read.
     */
    int poll()
    {
        return subscription.poll(assembler, 100);
    }

    private void onResponse(final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header header)
    {
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.templateId() == SendResponseDecoder.TEMPLATE_ID)
        {
            responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            final long sequence = responseDecoder.sequence();
            final ErrorCode code = responseDecoder.errorCode();
            final String status = responseDecoder.status().name();
            final long index = responseDecoder.journalIndex();
            responses.add("RESPONSE " + sequence + " " + (code == ErrorCode.NONE ? status + " " + index : code + " " +
                responseDecoder.errorText()));
        }
        else if (headerDecoder.templateId() == ConnectAckDecoder.TEMPLATE_ID)
        {
            ackDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            responses.add("ACK " + ackDecoder.errorCode());
        }
    }

    public void close()
    {
        CloseHelper.closeAll(publication, subscription);
    }
}
