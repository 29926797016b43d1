package io.peregrine.consumer;

import io.peregrine.transport.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A message as a {@link Consumer} hands it over: a view of the frame it came in, valid only while the handler runs.
 * Nothing is copied and nothing allocated, except by {@link #topic()} and {@link #msgId()}, which make Strings.
 */
public final class ConsumedMessage
{
    private final UnsafeBuffer topic = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer body = new UnsafeBuffer(0, 0);
    private long index;
    private long producerId;
    private long sequence;
    private long receivedEpochNs;
    private long storedEpochNs;

    void set(final long index, final long producerId, final long sequence, final long receivedEpochNs, final long storedEpochNs)
    {
        this.index = index;
        this.producerId = producerId;
        this.sequence = sequence;
        this.receivedEpochNs = receivedEpochNs;
        this.storedEpochNs = storedEpochNs;
    }

    UnsafeBuffer topicBuffer()
    {
        return topic;
    }

    UnsafeBuffer bodyBuffer()
    {
        return body;
    }

    /**
     * @return the journal index the broker stored it at (the SendResult's journalIndex).
     */
    public long index()
    {
        return index;
    }

    /**
     * @return the id of the producer that sent it.
     */
    public long producerId()
    {
        return producerId;
    }

    /**
     * @return its sequence within the producer.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return the message id the producer's SendResult carried (allocates).
     */
    public String msgId()
    {
        return Protocol.msgId(producerId, sequence);
    }

    /**
     * @return the topic (allocates).
     */
    public String topic()
    {
        return topic.getStringWithoutLengthAscii(0, topic.capacity());
    }

    /**
     * @return the topic's US-ASCII bytes, from offset 0 to its capacity, in place.
     */
    public DirectBuffer topicBytes()
    {
        return topic;
    }

    /**
     * @return when the broker received it, ns since the epoch.
     */
    public long receivedEpochNs()
    {
        return receivedEpochNs;
    }

    /**
     * @return when the broker stored it, ns since the epoch.
     */
    public long storedEpochNs()
    {
        return storedEpochNs;
    }

    /**
     * @return the body, from offset 0 to {@link #bodyLength()}, in place in the received frame.
     */
    public DirectBuffer body()
    {
        return body;
    }

    /**
     * @return the body's length in bytes.
     */
    public int bodyLength()
    {
        return body.capacity();
    }
}
