package io.peregrine.transport;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * Idle strategies by name, as configured with {@code idleStrategy}.
 *
 * <ul>
 *     <li>{@code backoff} (default): spin briefly, yield, then park from 1 µs up to 100 µs. Safe on a
 *     2-core host; adds at most about the park time to a message that arrives while parked.</li>
 *     <li>{@code yielding}: {@code Thread.yield()} between empty duty cycles. Lowest latency that still
 *     lets other threads run; keeps a core busy.</li>
 *     <li>{@code sleeping}: sleeps 1 ms. For idle test brokers only.</li>
 *     <li>{@code busy-spin}: never yields. Only with a dedicated, isolated core per thread.</li>
 *     <li>{@code noop}: does nothing; the same caveat as busy-spin.</li>
 * </ul>
 */
public final class IdleStrategies
{
    /**
     * Name of the default strategy.
     */
    public static final String DEFAULT = "backoff";

    /**
     * Longest park of the default backoff strategy.
     */
    public static final long BACKOFF_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /**
     * Spins of the default backoff strategy before it yields.
     */
    public static final int BACKOFF_SPINS = 20;

    /**
     * Yields of the default backoff strategy before it parks: about a millisecond of yielding, so a
     * steady stream of messages never meets a park, while an idle thread soon stops using its core.
     */
    public static final int BACKOFF_YIELDS = 2000;

    private IdleStrategies()
    {
    }

    /**
     * Create a new idle strategy from its name.
     *
     * @param name of the strategy.
     * @return a new instance (idle strategies hold state, so each agent needs its own).
     * @throws IllegalArgumentException naming the value if it is unknown.
     */
    public static IdleStrategy create(final String name)
    {
        switch (name)
        {
            case "backoff":
                return new BackoffIdleStrategy(BACKOFF_SPINS, BACKOFF_YIELDS, TimeUnit.MICROSECONDS.toNanos(1), BACKOFF_MAX_PARK_NS);
            case "yielding":
                return new YieldingIdleStrategy();
            case "sleeping":
                return new SleepingMillisIdleStrategy(1);
            case "busy-spin":
                return new BusySpinIdleStrategy();
            case "noop":
                return new NoOpIdleStrategy();
            default:
                throw new IllegalArgumentException(
                    "unknown idle strategy '" + name + "'; use backoff, yielding, sleeping, busy-spin or noop");
        }
    }
}
