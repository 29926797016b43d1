package io.peregrine.broker;

import org.agrona.BitUtil;

/**
 * The last appends of the master's journal as (index, bytes appended up to it, when), so a slave's acked index can
 * be turned into how far behind it is in records, in bytes and in time (the age of the oldest record it lacks).
 * Journal indices are not a count: a roll to a new cycle jumps them. Written and read on the pipeline thread only.
 */
final class AppendHistory
{
    /**
     * What {@link #recordsAfter(long)} and {@link #bytesAfter(long)} answer for an index older than the history holds.
     */
    static final long UNKNOWN = -1;

    private final long[] index;
    private final long[] cumulativeBytes;
    private final long[] appendedMs;
    private final int mask;
    private long count;

    /**
     * @param capacity   appends remembered (rounded up to a power of two).
     * @param startIndex the journal's last index when the history starts (-1 if empty): the base lags count from.
     */
    AppendHistory(final int capacity, final long startIndex)
    {
        final int size = BitUtil.findNextPositivePowerOfTwo(capacity);
        index = new long[size];
        cumulativeBytes = new long[size];
        appendedMs = new long[size];
        mask = size - 1;
        index[0] = startIndex;
        count = 1;
    }

    /**
     * One record appended.
     *
     * @param journalIndex its index, above every index before.
     * @param bytes        its length in the journal.
     * @param nowMs        when, epoch ms.
     */
    void appended(final long journalIndex, final int bytes, final long nowMs)
    {
        final long previous = cumulativeBytes[(int)(count - 1) & mask];
        final int i = (int)count & mask;
        index[i] = journalIndex;
        cumulativeBytes[i] = previous + bytes;
        appendedMs[i] = nowMs;
        count++;
    }

    /**
     * @return the last index appended (or the start index).
     */
    long lastIndex()
    {
        return index[(int)(count - 1) & mask];
    }

    /**
     * @param journalIndex a slave's acked index.
     * @return records appended after it, or {@link #UNKNOWN} if it is older than the history.
     */
    long recordsAfter(final long journalIndex)
    {
        final long position = find(journalIndex);
        return position < 0 ? UNKNOWN : count - 1 - position;
    }

    /**
     * @param journalIndex a slave's acked index.
     * @return bytes of records appended after it, or {@link #UNKNOWN} if it is older than the history.
     */
    long bytesAfter(final long journalIndex)
    {
        final long position = find(journalIndex);
        return position < 0 ? UNKNOWN : cumulativeBytes[(int)(count - 1) & mask] - cumulativeBytes[(int)position & mask];
    }

    /**
     * @param journalIndex a slave's acked index.
     * @param nowMs        now, epoch ms, on the clock the appends were stamped with.
     * @return how long ago the oldest record after it was appended: 0 if there is none, {@link #UNKNOWN} if the index is
     * older than the history.
     */
    long lagMs(final long journalIndex, final long nowMs)
    {
        final long position = find(journalIndex);
        if (position < 0)
        {
            return UNKNOWN;
        }
        return position == count - 1 ? 0 : Math.max(0, nowMs - appendedMs[(int)(position + 1) & mask]);
    }

    /**
     * @return the position of the newest entry at or below the index, or -1 if the oldest entry held is above it.
     */
    private long find(final long journalIndex)
    {
        long low = Math.max(0, count - index.length);
        long high = count - 1;
        if (index[(int)low & mask] > journalIndex)
        {
            return -1;
        }
        while (low < high)
        {
            final long mid = (low + high + 1) >>> 1;
            if (index[(int)mid & mask] <= journalIndex)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }
}
