package io.peregrine.broker;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.BatchSendRequestDecoder;
import io.peregrine.transport.codec.ConnectDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.SendRequestDecoder;
import org.agrona.DirectBuffer;

/**
 * Checks the variable part of a request frame against the frame's own length before anything reads it, so no
 * decoder ever reads past a frame (which with Agrona's bounds checks off would read whatever follows it in the
 * term). Pure: no I/O, no allocation unless a check fails (then {@link #errorText()} says why). One instance per
 * receiving thread; the positions of the last frame checked stay valid until the next check.
 *
 * <p>The SBE header and the fixed block are checked before this by {@code WireFrames.check} and the block length
 * check of the receiver.
 */
final class RequestFrames
{
    private static final int VAR_STRING_HEADER_LENGTH = 2;
    private static final int GROUP_HEADER_LENGTH = 4;
    private static final int BODY_LENGTH_PREFIX = 4;
    private static final int CONNECT_STRINGS = 4;

    private static final int OK = 0;
    private static final int TRUNCATED = 1;
    private static final int BODY_MISMATCH = 2;
    private static final int BAD_TOPIC = 3;
    private static final int TOO_LARGE = 4;
    private static final int NO_MESSAGES = 5;
    private static final int TOPIC_NOT_AT_END = 6;

    private int reason;
    private boolean batch;
    private DirectBuffer buffer;
    private int length;
    private int maxMessageSize;
    private int topicOffset;
    private int topicLength;
    private int bodyOffset;
    private int bodyLength;
    private int count;
    private int entryBlockLength;
    private int firstEntryOffset;
    private int failedMessage;

    /**
     * Check a SendRequest: topic and body lengths, topic characters, body against the broker's limit.
     *
     * @return {@link ErrorCode#NONE} if valid; then {@link #topicOffset()}, {@link #topicLength()}, {@link #bodyOffset()}
     * and {@link #bodyLength()} locate its parts.
     */
    ErrorCode checkSend(final DirectBuffer buffer, final int offset, final int length, final int maxMessageSize)
    {
        reset(false, buffer, length, maxMessageSize);
        final int end = offset + length;
        final int topicLengthOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH + SendRequestDecoder.BLOCK_LENGTH;
        topicOffset = topicLengthOffset + SendRequestDecoder.topicHeaderLength();
        if (topicOffset > end)
        {
            return fail(TRUNCATED);
        }
        topicLength = buffer.getShort(topicLengthOffset, LITTLE_ENDIAN) & 0xFFFF;
        final int bodyLengthOffset = topicOffset + topicLength;
        if (bodyLengthOffset + SendRequestDecoder.bodyHeaderLength() > end)
        {
            return fail(TRUNCATED);
        }
        if (!Protocol.isValidTopic(buffer, topicOffset, topicLength))
        {
            return fail(BAD_TOPIC);
        }
        bodyLength = buffer.getInt(bodyLengthOffset, LITTLE_ENDIAN);
        bodyOffset = bodyLengthOffset + SendRequestDecoder.bodyHeaderLength();
        if (bodyLength < 0 || bodyOffset + (long)bodyLength != end)
        {
            return fail(BODY_MISMATCH);
        }
        return bodyLength > maxMessageSize ? fail(TOO_LARGE) : ErrorCode.NONE;
    }

    /**
     * Check a BatchSendRequest: walk every message's length against the frame once, then the topic that ends it.
     *
     * @return {@link ErrorCode#NONE} if valid; then {@link #count()}, {@link #firstEntryOffset()},
     * {@link #entryBlockLength()} and the topic's position describe it.
     */
    ErrorCode checkBatch(final DirectBuffer buffer, final int offset, final int length, final int maxMessageSize)
    {
        reset(true, buffer, length, maxMessageSize);
        final int end = offset + length;
        final int groupOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH + BatchSendRequestDecoder.BLOCK_LENGTH;
        if (groupOffset + GROUP_HEADER_LENGTH > end)
        {
            return fail(TRUNCATED);
        }
        entryBlockLength = buffer.getShort(groupOffset, LITTLE_ENDIAN) & 0xFFFF;
        final int messages = buffer.getShort(groupOffset + 2, LITTLE_ENDIAN) & 0xFFFF;
        if (messages == 0)
        {
            return fail(NO_MESSAGES);
        }
        count = messages;
        firstEntryOffset = groupOffset + GROUP_HEADER_LENGTH;
        int position = firstEntryOffset;
        for (int i = 0; i < messages; i++)
        {
            failedMessage = i;
            position += entryBlockLength;
            if (position + BODY_LENGTH_PREFIX > end)
            {
                return fail(TRUNCATED);
            }
            bodyLength = buffer.getInt(position, LITTLE_ENDIAN);
            if (bodyLength < 0 || position + BODY_LENGTH_PREFIX + (long)bodyLength > end)
            {
                return fail(BODY_MISMATCH);
            }
            if (bodyLength > maxMessageSize)
            {
                return fail(TOO_LARGE);
            }
            position += BODY_LENGTH_PREFIX + bodyLength;
        }
        failedMessage = -1;
        bodyLength = 0;
        topicOffset = position + BatchSendRequestDecoder.topicHeaderLength();
        topicLength = topicOffset > end ? -1 : buffer.getShort(position, LITTLE_ENDIAN) & 0xFFFF;
        if (topicLength < 0 || topicOffset + topicLength != end)
        {
            return fail(TOPIC_NOT_AT_END);
        }
        if (!Protocol.isValidTopic(buffer, topicOffset, topicLength))
        {
            return fail(BAD_TOPIC);
        }
        return ErrorCode.NONE;
    }

    /**
     * Check that a Connect's four strings (group, instance, response endpoint, client version) lie inside the frame,
     * so the decoder may read them.
     *
     * @return true if it may be decoded.
     */
    boolean checkConnect(final DirectBuffer buffer, final int offset, final int length)
    {
        reset(false, buffer, length, 0);
        final int end = offset + length;
        int position = offset + MessageHeaderDecoder.ENCODED_LENGTH + ConnectDecoder.BLOCK_LENGTH;
        for (int i = 0; i < CONNECT_STRINGS; i++)
        {
            if (position + VAR_STRING_HEADER_LENGTH > end)
            {
                fail(TRUNCATED);
                return false;
            }
            position += VAR_STRING_HEADER_LENGTH + (buffer.getShort(position, LITTLE_ENDIAN) & 0xFFFF);
        }
        if (position > end)
        {
            fail(TRUNCATED);
            return false;
        }
        return true;
    }

    private void reset(final boolean batch, final DirectBuffer buffer, final int length, final int maxMessageSize)
    {
        this.batch = batch;
        this.buffer = buffer;
        this.length = length;
        this.maxMessageSize = maxMessageSize;
        reason = OK;
        count = 1;
        topicOffset = 0;
        topicLength = 0;
        bodyOffset = 0;
        bodyLength = 0;
        failedMessage = -1;
    }

    private ErrorCode fail(final int reason)
    {
        this.reason = reason;
        return reason == BAD_TOPIC ? ErrorCode.INVALID_TOPIC : reason == TOO_LARGE ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.INVALID_REQUEST;
    }

    /**
     * Words for why the last check failed, built only when asked (a refusal), before the next check.
     *
     * @return the reason, or an empty string if it passed.
     */
    String errorText()
    {
        final String what = batch ? "batch" : "request";
        switch (reason)
        {
            case TRUNCATED:
                return what + " of " + length + " bytes is truncated" + (failedMessage >= 0 ? " at message " + failedMessage : "");
            case BODY_MISMATCH:
                return batch ?
                    "body length " + Integer.toUnsignedString(bodyLength) + " of message " + failedMessage + " does not fit a batch of " +
                        length + " bytes" :
                    "body length " + Integer.toUnsignedString(bodyLength) + " does not match a frame of " + length + " bytes";
            case BAD_TOPIC:
                return Protocol.validateTopic(buffer.getStringWithoutLengthAscii(topicOffset, topicLength));
            case TOO_LARGE:
                return (batch ? "message " + failedMessage + " of the batch has " + bodyLength + " bytes," :
                    "message body of " + bodyLength + " bytes is") + " over the broker's maxMessageSize of " + maxMessageSize + " bytes";
            case NO_MESSAGES:
                return "batch has no messages";
            case TOPIC_NOT_AT_END:
                return "batch topic does not end the frame";
            default:
                return "";
        }
    }

    int topicOffset()
    {
        return topicOffset;
    }

    int topicLength()
    {
        return topicLength;
    }

    int bodyOffset()
    {
        return bodyOffset;
    }

    int bodyLength()
    {
        return bodyLength;
    }

    /**
     * @return messages in the last batch checked (at least 1, also when it failed, so each can be refused).
     */
    int count()
    {
        return count;
    }

    int entryBlockLength()
    {
        return entryBlockLength;
    }

    int firstEntryOffset()
    {
        return firstEntryOffset;
    }
}
