package io.peregrine.broker;

import org.agrona.BitUtil;

/**
 * Sends waiting for a journal watermark, in journal-index order, as parallel arrays so nothing is
 * allocated per send. Each entry keeps its own deadline: deadlines are not in index order.
 */
final class PendingResponses
{
    private final long[] index;
    private final long[] producerId;
    private final long[] sequence;
    private final long[] deadlineNs;
    private final int[] slot;
    private final int[] generation;
    private final int mask;
    private long head;
    private long tail;

    PendingResponses(final int capacity)
    {
        final int size = BitUtil.findNextPositivePowerOfTwo(capacity);
        index = new long[size];
        producerId = new long[size];
        sequence = new long[size];
        deadlineNs = new long[size];
        slot = new int[size];
        generation = new int[size];
        mask = size - 1;
    }

    int remainingCapacity()
    {
        return mask + 1 - (int)(tail - head);
    }

    boolean isEmpty()
    {
        return tail == head;
    }

    int size()
    {
        return (int)(tail - head);
    }

    void add(
        final long journalIndex,
        final long producerId,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration)
    {
        final int i = (int)tail & mask;
        this.index[i] = journalIndex;
        this.producerId[i] = producerId;
        this.sequence[i] = sequence;
        this.deadlineNs[i] = deadlineNs;
        this.slot[i] = sessionSlot;
        this.generation[i] = sessionGeneration;
        tail++;
    }

    /**
     * Release every entry whose index the watermark has passed, oldest first.
     *
     * @param watermark highest journal index that satisfies the policy.
     * @param handler   called for each released entry.
     * @return number released.
     */
    int release(final long watermark, final Handler handler)
    {
        int released = 0;
        while (head < tail)
        {
            final int i = (int)head & mask;
            if (index[i] > watermark)
            {
                break;
            }
            handler.onReleased(index[i], producerId[i], sequence[i], deadlineNs[i], slot[i], generation[i]);
            head++;
            released++;
        }
        return released;
    }

    /**
     * Receives released entries.
     */
    @FunctionalInterface
    interface Handler
    {
        void onReleased(long journalIndex, long producerId, long sequence, long deadlineNs, int sessionSlot, int sessionGeneration);
    }
}
