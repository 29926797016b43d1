package io.peregrine.broker;

import org.agrona.BitUtil;

/**
 * Sends waiting for a journal watermark, in journal-index order, as parallel arrays so nothing is
 * allocated per send. Each entry keeps its own deadline and the id of the timer watching it (shared by the entries
 * of one deadline tick, see {@link QueueTimers}): deadlines are not in index order, so an entry can be answered early
 * (timed out) and is then skipped when the watermark passes it.
 */
final class PendingResponses
{
    static final long NO_TIMER = -1;

    private final long[] index;
    private final long[] producerId;
    private final long[] sequence;
    private final long[] deadlineNs;
    private final long[] timerId;
    private final int[] slot;
    private final int[] generation;
    private final boolean[] answered;
    private final long[] nextSameTimer;
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
        timerId = new long[size];
        slot = new int[size];
        generation = new int[size];
        answered = new boolean[size];
        nextSameTimer = new long[size];
        mask = size - 1;
    }

    int remainingCapacity()
    {
        return mask + 1 - (int)(tail - head);
    }

    int capacity()
    {
        return mask + 1;
    }

    boolean isEmpty()
    {
        return tail == head;
    }

    /**
     * Queue an entry.
     *
     * @return its position, for {@link #timerId(long, long)} and {@link #answer(long)}.
     */
    long add(
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
        this.timerId[i] = NO_TIMER;
        this.slot[i] = sessionSlot;
        this.generation[i] = sessionGeneration;
        this.answered[i] = false;
        this.nextSameTimer[i] = NO_TIMER;
        return tail++;
    }

    void timerId(final long position, final long timerId)
    {
        this.timerId[(int)position & mask] = timerId;
    }

    /**
     * Chain an entry to the next one that shares its timer (see {@link QueueTimers}).
     */
    void linkSameTimer(final long position, final long next)
    {
        nextSameTimer[(int)position & mask] = next;
    }

    /**
     * @return the position of the next entry that shares this one's timer, or {@link #NO_TIMER} if there is none or
     * this entry is no longer queued.
     */
    long nextSameTimer(final long position)
    {
        return position < head || position >= tail ? NO_TIMER : nextSameTimer[(int)position & mask];
    }

    /**
     * @return the position of the oldest entry still queued (during {@link #release}, the one being released).
     */
    long headPosition()
    {
        return head;
    }

    /**
     * @return the timer of the entry at a position, or {@link #NO_TIMER} if it has none or is no longer queued.
     */
    long timerIdAt(final long position)
    {
        return position < head || position >= tail ? NO_TIMER : timerId[(int)position & mask];
    }

    /**
     * Answer the entry at a position out of order (its deadline passed).
     *
     * @return false if it is no longer queued or already answered.
     */
    boolean answer(final long position, final Handler handler)
    {
        if (position < head || position >= tail)
        {
            return false;
        }
        final int i = (int)position & mask;
        if (answered[i])
        {
            return false;
        }
        answered[i] = true;
        timerId[i] = NO_TIMER;
        handler.onTimedOut(index[i], producerId[i], sequence[i], slot[i], generation[i]);
        return true;
    }

    /**
     * Release every entry whose index the watermark has passed, oldest first; entries already answered are
     * dropped silently. Stops at an entry the handler could not answer yet (its producer's stream is full),
     * which stays at the head, without a timer, for the next call.
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
            if (!answered[i] && !handler.onReleased(index[i], producerId[i], sequence[i], deadlineNs[i], slot[i], generation[i], timerId[i]))
            {
                timerId[i] = NO_TIMER; // the handler cancelled it: the watermark has passed, only the answer is waiting
                break;
            }
            head++;
            released++;
        }
        return released;
    }

    /**
     * Receives released and timed-out entries.
     */
    interface Handler
    {
        /**
         * @return true if the entry is done with (answered, or its answer given up); false to be called again
         * later for the same entry because its answer cannot go out yet.
         */
        boolean onReleased(
            long journalIndex, long producerId, long sequence, long deadlineNs, int sessionSlot, int sessionGeneration, long timerId);

        void onTimedOut(long journalIndex, long producerId, long sequence, int sessionSlot, int sessionGeneration);
    }
}
