package io.peregrine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;

class IdleStrategiesTest
{
    @Test
    void shouldParkOnlyEmptyDutyCyclesWhileQuietAndBackOffOtherwise()
    {
        final RecordingIdleStrategy busy = new RecordingIdleStrategy();
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
    void shouldQuietOnlyTheDefaultBackoffAndKeepAStrategyAskedForByName()
    {
        assertInstanceOf(IdleStrategies.GatedIdleStrategy.class, IdleStrategies.create("backoff", () -> true));
        assertTrue(IdleStrategies.create("backoff", () -> true).alias().startsWith("quiet-"));
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.create("yielding", () -> true));
        assertInstanceOf(AdaptiveBackoffIdleStrategy.class, IdleStrategies.create("backoff"));
        assertEquals("backoff", IdleStrategies.create("backoff").alias());

        // tried: a name that is no strategy
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create("spinning", () -> true));
        assertTrue(unknown.getMessage().contains("unknown idle strategy 'spinning'"), unknown.getMessage());
    }
}
