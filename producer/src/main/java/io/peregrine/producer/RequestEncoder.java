package io.peregrine.producer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.BatchSendRequestEncoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendFlagsDecoder;
import io.peregrine.transport.codec.SendFlagsEncoder;
import io.peregrine.transport.codec.SendRequestEncoder;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes send requests: one per application thread (it owns its buffers), reused for every send, so encoding
 * allocates nothing. A single send's frame is encoded up to its body's length prefix; the body is copied from the
 * message's own buffer by the send queue, never through this one.
 */
final class RequestEncoder
{
    private static final int FLAGS_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + SendRequestEncoder.flagsEncodingOffset();
    private static final int BUDGET_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + SendRequestEncoder.timeBudgetMsEncodingOffset();

    private final long producerId;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[Protocol.MAX_SEND_REQUEST_OVERHEAD]);
    private final ExpandableDirectByteBuffer batchBuffer = new ExpandableDirectByteBuffer(4096);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SendRequestEncoder requestEncoder = new SendRequestEncoder();
    private final BatchSendRequestEncoder batchEncoder = new BatchSendRequestEncoder();

    RequestEncoder(final long producerId)
    {
        this.producerId = producerId;
    }

    /**
     * @param waitStoreMsgOK answer only once stored as the broker's policy asks.
     * @param oneway         no answer wanted.
     * @return the request's flags.
     */
    static byte flags(final boolean waitStoreMsgOK, final boolean oneway)
    {
        return SendFlagsEncoder.oneway(SendFlagsEncoder.waitStoreMsgOK((byte)0, waitStoreMsgOK), oneway);
    }

    /**
     * @param flags of a request.
     * @return the same flags marked as a resend (the broker checks its duplicate window).
     */
    static byte resend(final byte flags)
    {
        return SendFlagsEncoder.resend(flags, true);
    }

    /**
     * @param remainingNs of the caller's time.
     * @return the time budget a request carries, in ms.
     */
    static int budgetMs(final long remainingNs)
    {
        return (int)Math.max(0, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
    }

    /**
     * Mark an encoded single-send request (header and body, as sent) as a resend with a new time budget.
     *
     * @param request  the request as sent.
     * @param budgetMs what is left of its time.
     */
    static void markResend(final MutableDirectBuffer request, final int budgetMs)
    {
        request.putByte(FLAGS_OFFSET, resend(request.getByte(FLAGS_OFFSET)));
        request.putInt(BUDGET_OFFSET, budgetMs, LITTLE_ENDIAN);
    }

    /**
     * @return the buffer {@link #encode} writes into.
     */
    UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the buffer {@link #encodeBatch} writes into.
     */
    ExpandableDirectByteBuffer batchBuffer()
    {
        return batchBuffer;
    }

    /**
     * Encode a single send up to its body (header, block, topic, body length).
     *
     * @return bytes encoded; the body follows them on the wire.
     */
    int encode(final Message message, final long sequence, final byte flags, final int budgetMs)
    {
        requestEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .producerId(producerId)
            .sequence(sequence)
            .timeBudgetMs(budgetMs);
        requestEncoder.flags().clear()
            .waitStoreMsgOK(SendFlagsDecoder.waitStoreMsgOK(flags))
            .oneway(SendFlagsDecoder.oneway(flags))
            .resend(SendFlagsDecoder.resend(flags));
        requestEncoder.topic(message.topic()); // US-ASCII in the schema: no String encoding, no garbage
        final int bodyLengthOffset = requestEncoder.limit();
        buffer.putInt(bodyLengthOffset, message.bodyLength(), LITTLE_ENDIAN);
        return bodyLengthOffset + SendRequestEncoder.bodyHeaderLength();
    }

    /**
     * Encode a whole batch, bodies included, into the batch buffer.
     *
     * @return bytes encoded.
     */
    int encodeBatch(final List<Message> messages, final long baseSequence, final byte flags, final int budgetMs)
    {
        batchEncoder.wrapAndApplyHeader(batchBuffer, 0, headerEncoder)
            .producerId(producerId)
            .baseSequence(baseSequence)
            .timeBudgetMs(budgetMs);
        batchEncoder.flags().clear()
            .waitStoreMsgOK(SendFlagsDecoder.waitStoreMsgOK(flags))
            .resend(SendFlagsDecoder.resend(flags));
        final BatchSendRequestEncoder.MessagesEncoder group = batchEncoder.messagesCount(messages.size());
        for (int i = 0, size = messages.size(); i < size; i++)
        {
            final Message message = messages.get(i);
            group.next().putBody(message.bodyBuffer(), message.bodyOffset(), message.bodyLength());
        }
        batchEncoder.topic(messages.get(0).topic());
        return MessageHeaderEncoder.ENCODED_LENGTH + batchEncoder.encodedLength();
    }
}
