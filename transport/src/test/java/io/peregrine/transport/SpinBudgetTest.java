package io.peregrine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SpinBudgetTest
{
    @Test
    void shouldStartFullAndHalveOnlyWhenTheYieldAfterTheSpinsRanAnotherThread()
    {
        final SpinBudget budget = new SpinBudget(100);
        assertEquals(100, budget.spinsForWait());

        budget.spunOut(SpinBudget.HANDED_OVER_NS - 1); // the yield came straight back: nobody wanted the core
        assertEquals(100, budget.spinsForWait(), "spinning held nobody back");

        budget.spunOut(SpinBudget.HANDED_OVER_NS); // another thread ran on this core: the spins kept it waiting
        assertEquals(50, budget.spinsForWait());
        budget.spunOut(10 * SpinBudget.HANDED_OVER_NS);
        assertEquals(25, budget.spinsForWait());

        budget.caught(); // the wait ended while spinning: the other side runs on another core
        assertEquals(100, budget.spinsForWait());
    }

    @Test
    void shouldYieldAtOnceWhenSpinningNeverPaysAndProbeEveryIntervalWaits()
    {
        final SpinBudget budget = new SpinBudget(100);
        for (int i = 0; i < 7; i++)
        {
            budget.spunOut(SpinBudget.HANDED_OVER_NS); // 100 -> 50 -> 25 -> 12 -> 6 -> 3 -> 1 -> 0
        }
        assertEquals(0, budget.spins());

        for (int wait = 1; wait < SpinBudget.PROBE_INTERVAL; wait++)
        {
            assertEquals(0, budget.spinsForWait(), "wait " + wait + " yields at once");
        }
        assertEquals(100, budget.spinsForWait(), "a probe spins the full budget");
        assertEquals(0, budget.spins(), "a probe alone changes nothing");

        budget.spunOut(SpinBudget.HANDED_OVER_NS); // the probe missed too
        assertEquals(0, budget.spinsForWait());

        budget.caught(); // a probe that caught: the threads were put apart
        assertEquals(100, budget.spinsForWait());
    }

    @Test
    void shouldRefuseANegativeBudget()
    {
        // tried: a budget below zero
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new SpinBudget(-1));
        assertEquals("maxSpins must not be negative: -1", ex.getMessage());
        assertEquals(0, new SpinBudget(0).spinsForWait(), "no spinning at all is allowed");
    }
}
