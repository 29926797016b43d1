package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.DeadlineTimerWheel;
import org.junit.jupiter.api.Test;

/**
 * Deadline timers shared by the answers of one tick: one timer for a burst, each answer still released or timed out
 * on its own terms, never before its deadline. The wheel's clock is driven by the test.
 */
class QueueTimersTest
{
    private static final long TICK_NS = 1L << 20;
    private static final long START_NS = 1_000 * TICK_NS;

    private final DeadlineTimerWheel wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, START_NS, TICK_NS, 1024);
    private final PendingResponses queue = new PendingResponses(1 << 17);
    private final QueueTimers timers = new QueueTimers(wheel, queue);
    private final PendingResponsesTest.Recorder recorder = new PendingResponsesTest.Recorder();

    /**
     * Releases entries as the responder does: the released entry's timer is handed back.
     */
    private final PendingResponses.Handler releasing = new PendingResponses.Handler()
    {
        public boolean onReleased(
            final long journalIndex,
            final long producerId,
            final long sequence,
            final long deadlineNs,
            final int sessionSlot,
            final int sessionGeneration,
            final long timerId)
        {
            timers.released(timerId);
            return recorder.onReleased(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration, timerId);
        }

        public void onTimedOut(
            final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
        {
            recorder.onTimedOut(journalIndex, producerId, sequence, sessionSlot, sessionGeneration);
        }
    };

    private void add(final long sequence, final long deadlineNs)
    {
        timers.schedule(queue.add(sequence, 1, sequence, deadlineNs, 0, 0), deadlineNs);
    }

    /**
     * Poll as the responder's duty cycles would until the wheel has caught up with the time (one tick per poll), and
     * once more for the tick the time is in.
     */
    private void pollAt(final long nowNs)
    {
        while (wheel.currentTickTime() <= nowNs)
        {
            wheel.poll(nowNs, (timeUnit, now, timerId) -> timers.expired(timerId, releasing), 1024);
        }
        wheel.poll(nowNs, (timeUnit, now, timerId) -> timers.expired(timerId, releasing), 1024);
    }

    @Test
    void shouldScheduleOneTimerForABurstOfOneTick()
    {
        // tried: 65,536 answers with deadlines in one tick (a large batch), which took one timer each before
        final long deadline = START_NS + 5_000 * TICK_NS + 17;
        for (int i = 1; i <= 65_536; i++)
        {
            add(i, deadline + i % 1000);
        }
        assertEquals(1, wheel.timerCount());
        assertEquals(1, timers.running());

        pollAt(deadline + TICK_NS + 1000);
        assertEquals(65_536, recorder.timedOut.size());
        assertEquals(1, recorder.timedOut.get(0));
        assertEquals(65_536, recorder.timedOut.get(65_535));
        assertEquals(0, timers.running());
    }

    @Test
    void shouldKeepTheTimerAsEntriesAreReleasedAndTimeOutOnlyTheRest()
    {
        final long deadline = START_NS + 10 * TICK_NS;
        for (int i = 1; i <= 5; i++)
        {
            add(i, deadline);
        }
        add(6, deadline + 3 * TICK_NS); // a later tick: a timer of its own
        assertEquals(2, wheel.timerCount());

        queue.release(2, releasing); // the watermark passed the first two
        assertEquals(List.of(1L, 2L), recorder.released);
        assertEquals(2, wheel.timerCount(), "the run's timer stays for entries 3 to 5");

        pollAt(deadline + TICK_NS + 1);
        assertEquals(List.of(3L, 4L, 5L), recorder.timedOut, "only the entries still waiting time out");
        assertEquals(1, wheel.timerCount());

        queue.release(6, releasing); // answered ones dropped, 6 released and its timer cancelled
        assertEquals(List.of(1L, 2L, 6L), recorder.released);
        assertEquals(0, wheel.timerCount());
        assertEquals(0, timers.running());
        pollAt(deadline + 10 * TICK_NS);
        assertEquals(List.of(3L, 4L, 5L), recorder.timedOut, "nothing times out twice or after its release");
    }

    @Test
    void shouldCancelTheTimerWithTheLastEntryOfItsRun()
    {
        final long deadline = START_NS + 10 * TICK_NS;
        add(1, deadline);
        add(2, deadline);
        queue.release(2, releasing);
        assertEquals(0, wheel.timerCount());

        add(3, deadline); // the tick's timer went with its last entry: a new one
        assertEquals(1, wheel.timerCount());
        pollAt(deadline + TICK_NS + 1);
        assertEquals(List.of(3L), recorder.timedOut);
    }

    @Test
    void shouldShareATicksTimerAcrossEntriesOfOtherTicksBetween()
    {
        // tried: two producers with different time budgets sending in turn, and a Close (no timer) between
        final long tickA = START_NS + 10 * TICK_NS;
        final long tickB = START_NS + 20 * TICK_NS;
        add(1, tickA);
        add(2, tickB);
        add(3, tickA + 100);
        queue.add(0, 1, 0, Long.MAX_VALUE, 0, 0);
        add(4, tickB + 100);
        add(5, tickA + 200);
        assertEquals(2, wheel.timerCount(), "one timer per tick, not per entry");

        queue.release(1, releasing); // the watermark passed the first entry only
        assertEquals(List.of(1L), recorder.released);
        pollAt(tickA + TICK_NS);
        assertEquals(List.of(3L, 5L), recorder.timedOut, "the rest of tick A");
        pollAt(tickB + TICK_NS);
        assertEquals(List.of(3L, 5L, 2L, 4L), recorder.timedOut);
        assertEquals(0, wheel.timerCount());
        assertEquals(0, timers.running());

        queue.release(5, releasing);
        assertEquals(List.of(1L, 0L), recorder.released, "answered entries skipped, the Close released in its turn");
    }

    @Test
    void shouldNeverTimeOutBeforeTheDeadline()
    {
        final long tickStart = START_NS + 10 * TICK_NS;
        add(1, tickStart + 10);
        add(2, tickStart + TICK_NS - 5); // the same tick, later in it
        assertEquals(1, wheel.timerCount());

        pollAt(tickStart + TICK_NS - 6);
        assertEquals(List.of(), recorder.timedOut, "entry 2's deadline has not passed");
        pollAt(tickStart + TICK_NS);
        assertEquals(List.of(1L, 2L), recorder.timedOut, "within a tick of the first deadline");
    }

    @Test
    void shouldTimeOutTheRestOfATickWhenAnAnswerCannotGoOutYet()
    {
        final long deadline = START_NS + 10 * TICK_NS;
        add(1, deadline);
        add(2, deadline);
        add(3, deadline);
        recorder.streamFull = true; // the producer's stream takes nothing: entry 1 stays at the head, without a timer
        queue.release(3, releasing);
        assertEquals(List.of(), recorder.released);

        pollAt(deadline + TICK_NS + 1);
        assertEquals(List.of(2L, 3L), recorder.timedOut, "the rest of the tick still times out");
        recorder.streamFull = false;
        queue.release(3, releasing);
        assertEquals(List.of(1L), recorder.released);
        assertEquals(0, wheel.timerCount());
    }
}
