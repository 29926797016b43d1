package io.peregrine.transport;

import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.SendRequestEncoder;
import org.agrona.DirectBuffer;

/**
 * Constants of the producer/broker protocol.
 */
public final class Protocol
{
    /**
     * Stream id of requests (connect, send, heartbeat, close) from producers to the broker.
     */
    public static final int REQUEST_STREAM_ID = 1001;

    /**
     * Stream id of responses from the broker to a producer.
     */
    public static final int RESPONSE_STREAM_ID = 1002;

    /**
     * Stream id of a slave's hellos and acks to its master.
     */
    public static final int REPLICA_REQUEST_STREAM_ID = 1003;

    /**
     * Stream id of a master's records and heartbeats to a slave.
     */
    public static final int REPLICA_DATA_STREAM_ID = 1004;

    /**
     * Stream id of consumers' subscribes and acks to the broker, on its listen channel.
     */
    public static final int TAIL_REQUEST_STREAM_ID = 1005;

    /**
     * Stream id of the messages a broker streams to a consumer.
     */
    public static final int TAIL_DATA_STREAM_ID = 1006;

    /**
     * Version string of this build, sent in the handshake.
     */
    public static final String VERSION = "0.1.0";

    /**
     * Most bytes a topic name may have.
     */
    public static final int MAX_TOPIC_LENGTH = 127;

    /**
     * Most bytes of a send request that are not the body: SBE header, fixed block, topic with its
     * length prefix and the body's length prefix.
     */
    public static final int MAX_SEND_REQUEST_OVERHEAD = MessageHeaderDecoder.ENCODED_LENGTH +
        SendRequestEncoder.BLOCK_LENGTH +
        SendRequestEncoder.topicHeaderLength() + MAX_TOPIC_LENGTH +
        SendRequestEncoder.bodyHeaderLength();

    private Protocol()
    {
    }

    /**
     * Check a topic name: 1 to {@link #MAX_TOPIC_LENGTH} characters from {@code [A-Za-z0-9._-]}, so
     * it is safe in file names and in the journal tools' one-line output.
     *
     * @param topic to check.
     * @return null if valid, otherwise why not.
     */
    public static String validateTopic(final CharSequence topic)
    {
        if (null == topic || topic.length() == 0)
        {
            return "topic is empty";
        }
        if (topic.length() > MAX_TOPIC_LENGTH)
        {
            return "topic is " + topic.length() + " characters, more than the limit of " + MAX_TOPIC_LENGTH;
        }
        for (int i = 0, n = topic.length(); i < n; i++)
        {
            final char c = topic.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-'))
            {
                return "topic '" + topic + "' has character '" + c + "' at " + i + "; allowed are A-Z a-z 0-9 . _ -";
            }
        }
        return null;
    }

    /**
     * Allocation-free check of a topic held as ASCII bytes, for the broker's receive path.
     *
     * @param buffer holding the topic.
     * @param offset of the first byte.
     * @param length in bytes.
     * @return true if {@link #validateTopic(CharSequence)} would accept it.
     */
    public static boolean isValidTopic(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length <= 0 || length > MAX_TOPIC_LENGTH)
        {
            return false;
        }
        for (int i = offset, end = offset + length; i < end; i++)
        {
            final byte c = buffer.getByte(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * A message id as printed everywhere: producer id and sequence in fixed-width hex, one token.
     *
     * @param producerId of the sender.
     * @param sequence   of the message within the producer.
     * @return the message id, for example {@code 5f3a09c2d1e4b7a8-0000000000000001}.
     */
    public static String msgId(final long producerId, final long sequence)
    {
        final StringBuilder sb = new StringBuilder(33);
        appendHex(sb, producerId);
        sb.append('-');
        appendHex(sb, sequence);
        return sb.toString();
    }

    private static void appendHex(final StringBuilder sb, final long value)
    {
        for (int shift = 60; shift >= 0; shift -= 4)
        {
            sb.append(Character.forDigit((int)((value >>> shift) & 0xF), 16));
        }
    }
}
