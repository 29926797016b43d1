package io.peregrine.producer;

import io.peregrine.transport.Protocol;

/**
 * The outcomes of one blocking send or batch, in the order of its messages: a reusable holder, so that
 * {@link Producer#send(Message, long, SendResults)} and {@link Producer#sendBatch(java.util.List, long, SendResults)}
 * allocate nothing in steady state (the forms returning {@link SendResult} allocate one per message). Filled by the
 * call; valid until the holder is passed to the next one. Not thread-safe: one per sending thread.
 */
public final class SendResults
{
    private SendStatus[] statuses;
    private long[] sequences;
    private long[] journalIndices;
    private long producerId;
    private int count;

    /**
     * @param capacity messages to hold without growing (1 for single sends; it grows once if a larger batch comes).
     */
    public SendResults(final int capacity)
    {
        statuses = new SendStatus[capacity];
        sequences = new long[capacity];
        journalIndices = new long[capacity];
    }

    void reset(final long producerId, final int count)
    {
        if (count > statuses.length)
        {
            statuses = new SendStatus[count];
            sequences = new long[count];
            journalIndices = new long[count];
        }
        this.producerId = producerId;
        this.count = count;
    }

    void set(final int i, final SendStatus status, final long sequence, final long journalIndex)
    {
        statuses[i] = status;
        sequences[i] = sequence;
        journalIndices[i] = journalIndex;
    }

    /**
     * @return messages the last send or batch had.
     */
    public int count()
    {
        return count;
    }

    /**
     * @param i position of the message in the batch.
     * @return what the broker did with it.
     */
    public SendStatus status(final int i)
    {
        return statuses[checkIndex(i)];
    }

    /**
     * @param i position of the message in the batch.
     * @return its sequence, the second part of its message id.
     */
    public long sequence(final int i)
    {
        return sequences[checkIndex(i)];
    }

    /**
     * @param i position of the message in the batch.
     * @return the journal index the broker stored it at.
     */
    public long journalIndex(final int i)
    {
        return journalIndices[checkIndex(i)];
    }

    /**
     * @param i position of the message in the batch.
     * @return its message id, as every Peregrine tool prints it (allocates the string).
     */
    public String msgId(final int i)
    {
        return Protocol.msgId(producerId, sequences[checkIndex(i)]);
    }

    /**
     * @param i position of the message in the batch.
     * @return a {@link SendResult} of it (allocates).
     */
    public SendResult result(final int i)
    {
        return new SendResult(statuses[checkIndex(i)], producerId, sequences[i], journalIndices[i]);
    }

    private int checkIndex(final int i)
    {
        if (i < 0 || i >= count)
        {
            throw new IndexOutOfBoundsException("message " + i + " of a batch of " + count);
        }
        return i;
    }
}
