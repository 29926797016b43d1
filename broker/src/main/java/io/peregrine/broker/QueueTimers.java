package io.peregrine.broker;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2LongHashMap;

/**
 * The deadline timers of one answer queue: one timer per tick of the wheel that holds a waiting answer's deadline,
 * not one per answer. Agrona's wheel keeps an array of ticks per wheel × the most timers any tick holds, and never
 * shrinks it: one timer per send put 65,536 sends of one tick (a large batch) at 512 MiB. With one timer per tick,
 * a spoke holds one timer for each turn of the wheel the deadlines reach ahead.
 *
 * <p>A tick's timer is set for the tick's last nanosecond, so an answer times out at most one tick (about 1 ms) after
 * its own deadline, never before. Its entries are chained in the queue ({@link PendingResponses#linkSameTimer}), from
 * the oldest still queued to the newest; entries of other ticks may lie between. The queue releases entries oldest
 * first: a released entry moves the chain's start to the next, and the last one cancels the timer. When the timer
 * expires, each entry of the chain not answered yet is answered as timed out, visiting no other entry.
 * Responder thread only.
 */
final class QueueTimers
{
    private static final int MAP_CAPACITY = 8192;
    private static final float LOAD_FACTOR = 0.65f;

    private final DeadlineTimerWheel wheel;
    private final PendingResponses queue;
    // sized for the ticks a default syncFlushTimeout (5 s) spans, so they do not grow while sends flow
    private final Long2LongHashMap timerByTick = new Long2LongHashMap(MAP_CAPACITY, LOAD_FACTOR, PendingResponses.NO_TIMER);
    private final Long2LongHashMap tickByTimer = new Long2LongHashMap(MAP_CAPACITY, LOAD_FACTOR, PendingResponses.NO_TIMER);
    private final Long2LongHashMap firstByTimer = new Long2LongHashMap(MAP_CAPACITY, LOAD_FACTOR, PendingResponses.NO_TIMER);
    private final Long2LongHashMap lastByTimer = new Long2LongHashMap(MAP_CAPACITY, LOAD_FACTOR, PendingResponses.NO_TIMER);

    QueueTimers(final DeadlineTimerWheel wheel, final PendingResponses queue)
    {
        this.wheel = wheel;
        this.queue = queue;
    }

    /**
     * Give the entry just queued at this position the timer of its deadline's tick, scheduling it if the tick has none.
     */
    void schedule(final long position, final long deadlineNs)
    {
        final long resolution = wheel.tickResolution();
        final long tick = Math.max(0, deadlineNs - wheel.startTime()) / resolution;
        long timerId = timerByTick.get(tick);
        if (timerId == PendingResponses.NO_TIMER)
        {
            timerId = wheel.scheduleTimer(wheel.startTime() + (tick + 1) * resolution - 1);
            timerByTick.put(tick, timerId);
            tickByTimer.put(timerId, tick);
            firstByTimer.put(timerId, position);
        }
        else
        {
            queue.linkSameTimer(lastByTimer.get(timerId), position);
        }
        lastByTimer.put(timerId, position);
        queue.timerId(position, timerId);
    }

    /**
     * The entry at the head of the queue, which carries this timer, is being released: the timer's chain starts at
     * the next entry, or the timer is cancelled with its last entry.
     *
     * @param timerId the released entry's timer, or {@link PendingResponses#NO_TIMER}.
     */
    void released(final long timerId)
    {
        final long last = lastByTimer.get(timerId);
        if (last == PendingResponses.NO_TIMER)
        {
            return; // no timer, or one that expired: its entries were answered
        }
        final long position = queue.headPosition();
        if (position >= last)
        {
            wheel.cancelTimer(timerId);
            forget(timerId);
        }
        else
        {
            firstByTimer.put(timerId, queue.nextSameTimer(position));
        }
    }

    /**
     * A timer expired: if it is this queue's, answer each entry carrying it that is not answered yet as timed out.
     *
     * @return true if the timer was this queue's.
     */
    boolean expired(final long timerId, final PendingResponses.Handler handler)
    {
        final long first = firstByTimer.get(timerId);
        if (first == PendingResponses.NO_TIMER)
        {
            return false;
        }
        forget(timerId);
        for (long position = first; position != PendingResponses.NO_TIMER; )
        {
            final long next = queue.nextSameTimer(position);
            if (queue.timerIdAt(position) == timerId)
            {
                queue.answer(position, handler);
            }
            position = next;
        }
        return true;
    }

    /**
     * @return timers running for this queue.
     */
    int running()
    {
        return tickByTimer.size();
    }

    private void forget(final long timerId)
    {
        timerByTick.remove(tickByTimer.remove(timerId));
        firstByTimer.remove(timerId);
        lastByTimer.remove(timerId);
    }
}
