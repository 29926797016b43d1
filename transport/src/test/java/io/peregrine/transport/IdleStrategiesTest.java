package io.peregrine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;

class IdleStrategiesTest
{
    /**
     * Records what the quiet strategy asks of the one it stands in for.
     */
    private static final class Recording implements IdleStrategy
    {
        final List<String> calls = new ArrayList<>();

        public void idle(final int workCount)
        {
            calls.add("idle " + workCount);
        }

        public void idle()
        {
            calls.add("idle");
        }

        public void reset()
        {
            calls.add("reset");
        }

        public String alias()
        {
            return "recording";
        }
    }

    @Test
    void shouldParkOnlyEmptyDutyCyclesWhileQuietAndBackOffOtherwise()
    {
        final Recording busy = new Recording();
        final boolean[] quiet = { true };
        final IdleStrategy strategy = IdleStrategies.GatedIdleStrategy.quiet(busy, () -> quiet[0]);

        strategy.idle(0); // quiet and nothing done: parks, and the backoff starts over for when work comes
        assertEquals(List.of("reset"), busy.calls);

        strategy.idle(3); // work done: the backoff sees it, quiet or not
        assertEquals(List.of("reset", "idle 3"), busy.calls);

        quiet[0] = false; // busy again (a consumer connected): the backoff decides every empty cycle
        strategy.idle(0);
        strategy.idle();
        assertEquals(List.of("reset", "idle 3", "idle 0", "idle 0"), busy.calls);
        assertEquals("quiet-recording", strategy.alias(), "named after the strategy it stands in for");
    }

    @Test
    void shouldYieldOnEmptyDutyCyclesWhileWaitedOnAndBackOffOtherwise()
    {
        final Recording otherwise = new Recording();
        final boolean[] waiting = { true };
        final IdleStrategy strategy = IdleStrategies.GatedIdleStrategy.waitedOn(otherwise, () -> waiting[0]);

        strategy.idle(0); // a send in flight and nothing done: yields, the backoff does not advance towards its park
        strategy.idle();
        assertEquals(List.of(), otherwise.calls);

        strategy.idle(2); // work done: the backoff sees it
        waiting[0] = false; // nothing in flight: back off (and park) as before
        strategy.idle(0);
        strategy.reset();
        assertEquals(List.of("idle 2", "idle 0", "reset"), otherwise.calls);
        assertEquals("waited-on-recording", strategy.alias());

        assertInstanceOf(IdleStrategies.GatedIdleStrategy.class, IdleStrategies.whileWaiting("backoff", () -> true));
        assertTrue(IdleStrategies.whileWaiting("backoff", () -> true).alias().startsWith("waited-on-"));
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.whileWaiting("yielding", () -> true), "asked for by name");
    }

    @Test
    void shouldQuietOnlyTheDefaultBackoffAndKeepAStrategyAskedForByName()
    {
        assertInstanceOf(IdleStrategies.GatedIdleStrategy.class, IdleStrategies.create("backoff", () -> true));
        assertTrue(IdleStrategies.create("backoff", () -> true).alias().startsWith("quiet-"));
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.create("yielding", () -> true));

        // tried: a name that is no strategy
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create("spinning", () -> true));
        assertTrue(unknown.getMessage().contains("unknown idle strategy 'spinning'"), unknown.getMessage());
    }
}
