package io.peregrine.broker;

/**
 * One producer's answers that its full response stream could not take yet, oldest first, so that answers to
 * other producers need not wait behind them. Fixed capacity, allocated the first time the producer's stream
 * fills up; nothing is allocated per answer.
 */
final class DeferredAnswers
{
    /**
     * Answers one producer may have deferred; beyond it they wait at the head of the shared queue as before.
     */
    static final int CAPACITY = 4096;
    private static final int STRIDE = 4;

    private final long[] entries = new long[CAPACITY * STRIDE];
    private int head;
    private int size;

    boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * @return false if full.
     */
    boolean add(final long sequence, final long journalIndex, final long deadlineNs, final int status)
    {
        if (size == CAPACITY)
        {
            return false;
        }
        final int at = ((head + size) % CAPACITY) * STRIDE;
        entries[at] = sequence;
        entries[at + 1] = journalIndex;
        entries[at + 2] = deadlineNs;
        entries[at + 3] = status;
        size++;
        return true;
    }

    long sequence()
    {
        return entries[head * STRIDE];
    }

    long journalIndex()
    {
        return entries[head * STRIDE + 1];
    }

    long deadlineNs()
    {
        return entries[head * STRIDE + 2];
    }

    int status()
    {
        return (int)entries[head * STRIDE + 3];
    }

    void removeOldest()
    {
        head = (head + 1) % CAPACITY;
        size--;
    }

    /**
     * @return how many answers were thrown away.
     */
    int clear()
    {
        final int dropped = size;
        head = 0;
        size = 0;
        return dropped;
    }
}
