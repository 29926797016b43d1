package io.peregrine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;

class AdaptiveBackoffIdleStrategyTest
{
    /**
     * A clock that moves only when told: each reading returns the time and then adds the step.
     */
    private static final class SteppingClock implements NanoClock
    {
        long timeNs;
        long stepNs;
        int reads;

        public long nanoTime()
        {
            reads++;
            final long now = timeNs;
            timeNs += stepNs;
            return now;
        }
    }

    @Test
    void shouldSpinTheFullBudgetAgainOnceWorkComesDuringTheSpins()
    {
        final SteppingClock clock = new SteppingClock();
        final AdaptiveBackoffIdleStrategy idle = new AdaptiveBackoffIdleStrategy(4, 2, 1, 8, clock);
        clock.stepNs = SpinBudget.HANDED_OVER_NS; // any yield counts as handed over
        spinOutAndYield(idle, 4);
        assertEquals(2, idle.spinBudget());
        final long timed = clock.timeNs;

        idle.idle(0);
        idle.idle(1); // work after one spin: caught, the other side runs on another core
        assertEquals(4, idle.spinBudget());
        assertEquals(timed, clock.timeNs, "no yield, so nothing timed");
    }

    @Test
    void shouldHalveTheSpinsWhenTheFirstYieldAfterThemRanAnotherThread()
    {
        final SteppingClock clock = new SteppingClock();
        final AdaptiveBackoffIdleStrategy idle = new AdaptiveBackoffIdleStrategy(4, 2, 1, 8, clock);

        clock.stepNs = SpinBudget.HANDED_OVER_NS; // the yield took long: another thread had the core meanwhile
        spinOutAndYield(idle, 4);
        assertEquals(2, idle.spinBudget(), "work that came while yielding is no catch");

        clock.stepNs = 1; // the yield came straight back: nobody wanted the core, keep spinning
        spinOutAndYield(idle, 2);
        assertEquals(2, idle.spinBudget());

        clock.stepNs = SpinBudget.HANDED_OVER_NS;
        spinOutAndYield(idle, 2);
        spinOutAndYield(idle, 1);
        assertEquals(0, idle.spinBudget());
        idle.idle(0); // no spins at all now: straight to the yields, nothing to judge
        idle.idle(1);
        assertEquals(0, idle.spinBudget());
    }

    @Test
    void shouldProbeWithTheFullBudgetEveryIntervalWaitsOnceItIsNone()
    {
        final SteppingClock clock = new SteppingClock();
        final AdaptiveBackoffIdleStrategy idle = new AdaptiveBackoffIdleStrategy(4, 2, 1, 8, clock);
        clock.stepNs = SpinBudget.HANDED_OVER_NS;
        spinOutAndYield(idle, 4);
        spinOutAndYield(idle, 2);
        spinOutAndYield(idle, 1);
        assertEquals(0, idle.spinBudget());

        final int readsBefore = clock.reads;
        for (int wait = 1; wait < SpinBudget.PROBE_INTERVAL; wait++)
        {
            idle.idle(0); // no spins: straight to an untimed yield
            idle.idle(1);
        }
        assertEquals(readsBefore, clock.reads, "no spin phase, so no yield was timed");

        spinOutAndYield(idle, 4); // the probe: the full budget, and the yield after it timed
        assertEquals(readsBefore + 2, clock.reads);
        assertEquals(0, idle.spinBudget(), "the probe missed: still none");

        for (int wait = 1; wait < SpinBudget.PROBE_INTERVAL; wait++)
        {
            idle.idle(0);
            idle.idle(1);
        }
        idle.idle(0); // the next probe spins once
        idle.idle(1); // and work comes while it spins: the threads were put apart
        assertEquals(4, idle.spinBudget());
        assertEquals("backoff", idle.alias());
    }

    private static void spinOutAndYield(final AdaptiveBackoffIdleStrategy idle, final int spins)
    {
        for (int i = 0; i < spins; i++)
        {
            idle.idle(0);
        }
        idle.idle(0); // the first yield, timed
        idle.idle(1); // then work: the next wait starts afresh
    }
}
