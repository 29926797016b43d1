package io.peregrine.transport;

import org.agrona.BitUtil;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Sizes that follow from the largest message body a component must carry.
 *
 * <p>Aeron carries a message of at most {@code termLength / 8}, an Agrona ring buffer one of at most
 * {@code capacity / 8}; so both are sized at eight times the largest frame, rounded up to a power of two.
 */
public final class Sizing
{
    /**
     * Smallest term Aeron accepts.
     */
    public static final int MIN_TERM_LENGTH = 64 * 1024;

    /**
     * Largest term Aeron accepts.
     */
    public static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;

    /**
     * Largest message Aeron carries whatever the term length.
     */
    public static final int AERON_MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;

    private Sizing()
    {
    }

    /**
     * Largest wire frame of a send request carrying a body of the given size.
     *
     * @param maxMessageSize largest body.
     * @return largest frame in bytes.
     */
    public static int maxRequestFrameLength(final int maxMessageSize)
    {
        return maxMessageSize + Protocol.MAX_SEND_REQUEST_OVERHEAD;
    }

    /**
     * Term length for a publication carrying send requests with bodies up to maxMessageSize.
     *
     * @param maxMessageSize largest body.
     * @return a power of two between 64 KiB and 1 GiB.
     * @throws IllegalArgumentException if Aeron cannot carry such a message.
     */
    public static int termLength(final int maxMessageSize)
    {
        final int frame = maxRequestFrameLength(maxMessageSize);
        if (frame > AERON_MAX_MESSAGE_LENGTH)
        {
            throw new IllegalArgumentException("maxMessageSize=" + maxMessageSize +
                " cannot be carried by Aeron: a request frame would be " + frame + " bytes, over Aeron's limit of " +
                AERON_MAX_MESSAGE_LENGTH);
        }
        return Math.max(MIN_TERM_LENGTH, BitUtil.findNextPositivePowerOfTwo(8 * frame));
    }

    /**
     * Term length for a master's record stream to a slave, whose largest frame is maxFrameLength: Aeron's largest
     * message is an eighth of a term.
     *
     * @param maxFrameLength largest frame: a batch of records, each up to the largest record.
     * @return a power of two between 64 KiB and 1 GiB.
     */
    public static int replicaTermLength(final int maxFrameLength)
    {
        return (int)Math.min(MAX_TERM_LENGTH, Math.max(MIN_TERM_LENGTH, BitUtil.findNextPositivePowerOfTwo(8L * maxFrameLength)));
    }

    /**
     * Capacity of a many-to-one ring buffer whose messages may be up to maxEntryLength bytes.
     *
     * @param maxEntryLength largest entry.
     * @return capacity including the ring's trailer.
     */
    public static int ringCapacity(final int maxEntryLength)
    {
        return BitUtil.findNextPositivePowerOfTwo(8 * (maxEntryLength + 64)) + RingBufferDescriptor.TRAILER_LENGTH;
    }
}
