package io.peregrine.broker;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2LongHashMap;

/**
 * The deadline timers of one answer queue. Entries next to each other in the queue whose deadlines fall in the same
 * tick of the wheel share one timer, so a batch, or a burst of sends within a tick, schedules one timer and not one per
 * send. Agrona's wheel keeps an array of ticks per wheel × the most timers any tick holds, and never shrinks it: one
 * timer per send put 65,536 sends of one tick at 512 MiB.
 *
 * <p>A shared timer names the first entry of its run still queued. The queue releases entries oldest first, so when
 * the first is released the timer moves on to the next of its run, and goes with the last; when it expires, every
 * entry of its run not yet answered is answered as timed out. Responder thread only.
 */
final class QueueTimers
{
    private final DeadlineTimerWheel wheel;
    private final PendingResponses queue;
    private final Long2LongHashMap firstPositionByTimer = new Long2LongHashMap(PendingResponses.NO_TIMER);
    private long lastTimerId = PendingResponses.NO_TIMER;
    private long lastPosition = Long.MIN_VALUE;
    private long lastTick;

    QueueTimers(final DeadlineTimerWheel wheel, final PendingResponses queue)
    {
        this.wheel = wheel;
        this.queue = queue;
    }

    /**
     * Give the entry just queued at this position a timer for its deadline: the timer of the entry before it if that
     * one's deadline falls in the same tick and its timer is still running, else a new one.
     */
    void schedule(final long position, final long deadlineNs)
    {
        final long tick = (deadlineNs - wheel.startTime()) / wheel.tickResolution();
        if (position != lastPosition + 1 || tick != lastTick || !firstPositionByTimer.containsKey(lastTimerId))
        {
            lastTimerId = wheel.scheduleTimer(deadlineNs);
            lastTick = tick;
            firstPositionByTimer.put(lastTimerId, position);
        }
        queue.timerId(position, lastTimerId);
        lastPosition = position;
    }

    /**
     * The oldest entry of a timer's run was released: the timer moves to the next entry of the run, or is cancelled
     * with the last.
     *
     * @param timerId the released entry's timer, or {@link PendingResponses#NO_TIMER}.
     */
    void released(final long timerId)
    {
        final long first = firstPositionByTimer.get(timerId);
        if (first == PendingResponses.NO_TIMER)
        {
            return; // no timer, or one that expired: its run was answered
        }
        final long next = first + 1;
        if (queue.timerIdAt(next) == timerId)
        {
            firstPositionByTimer.put(timerId, next);
        }
        else
        {
            wheel.cancelTimer(timerId);
            firstPositionByTimer.remove(timerId);
        }
    }

    /**
     * A timer expired: if it is this queue's, answer every entry of its run not answered yet as timed out.
     *
     * @return true if the timer was this queue's.
     */
    boolean expired(final long timerId, final PendingResponses.Handler handler)
    {
        final long first = firstPositionByTimer.remove(timerId);
        if (first == PendingResponses.NO_TIMER)
        {
            return false;
        }
        for (long position = first; queue.timerIdAt(position) == timerId; position++)
        {
            queue.answer(position, handler);
        }
        return true;
    }

    /**
     * @return timers running for this queue.
     */
    int running()
    {
        return firstPositionByTimer.size();
    }
}
