package io.peregrine.journal;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A message as a {@link JournalReader} hands it over: a view of the stored record, valid only while the handler runs.
 * Nothing is copied and nothing allocated, except by {@link #topic()} and {@link #msgId()}, which make Strings
 * ({@link #topicBytes()} does not).
 */
public final class StoredMessage
{
    private final UnsafeBuffer body = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer topicBytes = new UnsafeBuffer(0, 0);
    private RecordView record;

    StoredMessage wrap(final RecordView record)
    {
        this.record = record;
        body.wrap(record.buffer(), record.bodyOffset(), record.bodyLength());
        topicBytes.wrap(record.buffer(), record.topicOffset(), record.topicLength());
        return this;
    }

    /**
     * @return the journal index the broker stored it at (the SendResult's journalIndex).
     */
    public long index()
    {
        return record.index();
    }

    /**
     * @return the id of the producer that sent it.
     */
    public long producerId()
    {
        return record.producerId();
    }

    /**
     * @return its sequence within the producer.
     */
    public long sequence()
    {
        return record.sequence();
    }

    /**
     * @return the message id the producer's SendResult carried, as {@code <producerId>-<sequence>} in hex (allocates).
     */
    public String msgId()
    {
        return hex(producerId()) + "-" + hex(sequence());
    }

    /**
     * @return the topic (allocates a String).
     */
    public String topic()
    {
        return record.topic();
    }

    /**
     * @return the topic's US-ASCII bytes, from offset 0 to its capacity, read in place (no String made).
     */
    public DirectBuffer topicBytes()
    {
        return topicBytes;
    }

    /**
     * @return when the broker received it, ns since the epoch.
     */
    public long receivedEpochNs()
    {
        return record.receivedEpochNs();
    }

    /**
     * @return when the broker stored it, ns since the epoch.
     */
    public long storedEpochNs()
    {
        return record.appendedEpochNs();
    }

    /**
     * @return the body, from offset 0 to {@link #bodyLength()}, read in place from the journal's mapped file.
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

    private static String hex(final long value)
    {
        final String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }
}
