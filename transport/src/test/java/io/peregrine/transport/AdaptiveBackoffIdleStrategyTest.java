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

        public long nanoTime()
        {
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
    void shouldGoOnToYieldsAndParksAfterTheSpins()
    {
        final SteppingClock clock = new SteppingClock();
        final AdaptiveBackoffIdleStrategy idle = new AdaptiveBackoffIdleStrategy(2, 2, 1, 4, clock);
        for (int i = 0; i < 10; i++)
        {
            idle.idle(); // 2 spins, 2 yields, then parks of 1, 2, 4, 4... ns
        }
        idle.reset(); // a new wait, the last one not judged
        assertEquals(2, idle.spinBudget());
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
