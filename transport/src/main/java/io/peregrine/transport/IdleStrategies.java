package io.peregrine.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

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
 *     2-core host; adds at most about the park time to a message that arrives while parked. The spin phase
 *     shrinks to nothing while spinning does not pay (the work comes from a thread on the same core), see
 *     {@link AdaptiveBackoffIdleStrategy}.</li>
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
     * Most spins of the default backoff strategy before it yields.
     */
    public static final int BACKOFF_SPINS = 20;

    /**
     * Yields of the default backoff strategy before it parks: about a millisecond of yielding, so a
     * steady stream of messages never meets a park, while an idle thread soon stops using its core.
     */
    public static final int BACKOFF_YIELDS = 2000;

    /**
     * Park of a quiet thread's empty duty cycle (see {@link #create(String, BooleanSupplier)}; the broker's flusher
     * parks less while the writer is fast), also of the producer's thread while every send in flight has its own
     * reader and of the embedded media drivers' async executor: on a small host each wake-up takes a core from a thread
     * that carries a message. 10 ms rather than 1 ms lowered the p99 of blocking 1 KiB and 4 KiB sends over IPC on the
     * 2-core host (see the README's Idle strategies).
     */
    public static final long QUIET_PARK_NS = TimeUnit.MILLISECONDS.toNanos(10);

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
                return new AdaptiveBackoffIdleStrategy(BACKOFF_SPINS, BACKOFF_YIELDS, TimeUnit.MICROSECONDS.toNanos(1), BACKOFF_MAX_PARK_NS);
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

    /**
     * The named strategy for a thread that is on no message's path while {@code quiet} says so (a consumer server
     * with no consumer, a flusher whose flushes are timed): with the default {@code backoff}, an empty duty cycle then
     * parks {@link #QUIET_PARK_NS} at once instead of spinning and yielding first and waking every 100 µs, so on a
     * small host the thread neither burns a share of a core while idle nor preempts the threads that carry messages.
     * Any other strategy is kept whole: it was asked for by name.
     *
     * @param name  of the strategy.
     * @param quiet asked on the agent's thread after each empty duty cycle.
     * @return a new instance.
     * @throws IllegalArgumentException naming the value if it is unknown.
     */
    public static IdleStrategy create(final String name, final BooleanSupplier quiet)
    {
        return create(name, quietParkWhile(quiet));
    }

    private static LongSupplier quietParkWhile(final BooleanSupplier quiet)
    {
        return () -> quiet.getAsBoolean() ? QUIET_PARK_NS : 0;
    }

    /**
     * As {@link #create(String, BooleanSupplier)}, for a thread that decides how long a quiet park lasts.
     *
     * @param name        of the strategy.
     * @param quietParkNs asked on the agent's thread after each empty duty cycle: how long to park, or 0 if the thread
     *                    is not quiet now (then it backs off as any other).
     * @return a new instance.
     * @throws IllegalArgumentException naming the value if it is unknown.
     */
    public static IdleStrategy create(final String name, final LongSupplier quietParkNs)
    {
        final IdleStrategy strategy = create(name);
        return strategy instanceof AdaptiveBackoffIdleStrategy ? new GatedIdleStrategy(strategy, quietParkNs) : strategy;
    }

    /**
     * Another strategy, except on an empty duty cycle while the thread is quiet: then it parks as long as it says,
     * its backoff starting over, so work that comes is met spinning.
     */
    static final class GatedIdleStrategy implements IdleStrategy
    {
        private final IdleStrategy otherwise;
        private final LongSupplier quietParkNs;

        private GatedIdleStrategy(final IdleStrategy otherwise, final LongSupplier quietParkNs)
        {
            this.otherwise = otherwise;
            this.quietParkNs = quietParkNs;
        }

        static GatedIdleStrategy quiet(final IdleStrategy otherwise, final BooleanSupplier quiet)
        {
            return new GatedIdleStrategy(otherwise, quietParkWhile(quiet));
        }

        public void idle(final int workCount)
        {
            final long parkNs = workCount > 0 ? 0 : quietParkNs.getAsLong();
            if (parkNs <= 0)
            {
                otherwise.idle(workCount);
            }
            else
            {
                otherwise.reset();
                LockSupport.parkNanos(parkNs);
            }
        }

        public void idle()
        {
            idle(0);
        }

        public void reset()
        {
            otherwise.reset();
        }

        public String alias()
        {
            return "quiet-" + otherwise.alias();
        }
    }
}
