package io.peregrine.transport;

import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Agrona's backoff (spin, then yield, then park for longer and longer up to a limit) with a spin phase that
 * {@link SpinBudget learns} whether spinning pays: a thread whose work comes from a thread on its own core stops
 * spinning and yields at once, which hands that core over; one fed from another core keeps spinning.
 *
 * <p>A duty cycle that did work after spins ({@link #idle(int)} with work) counts as caught; a spin phase that ran
 * out is judged by how long the first yield after it took. {@link #reset()} starts the next wait over without
 * judging the last one, so a wait written as {@code reset()} then {@code idle()} until a condition holds never
 * reports its end: there the budget can only shrink. Agents, which report every duty cycle's work, learn both
 * ways.
 */
public final class AdaptiveBackoffIdleStrategy implements IdleStrategy
{
    private static final int NOT_IDLE = 0;
    private static final int SPINNING = 1;
    private static final int YIELDING = 2;
    private static final int PARKING = 3;

    private final SpinBudget budget;
    private final int maxYields;
    private final long minParkPeriodNs;
    private final long maxParkPeriodNs;
    private final NanoClock clock;
    private int state = NOT_IDLE;
    private int spinsLeft;
    private int spun;
    private int yields;
    private long parkPeriodNs;

    /**
     * @param maxSpins        the most spins before yielding (the full budget).
     * @param maxYields       yields before parking.
     * @param minParkPeriodNs first park.
     * @param maxParkPeriodNs longest park.
     */
    public AdaptiveBackoffIdleStrategy(final int maxSpins, final int maxYields, final long minParkPeriodNs, final long maxParkPeriodNs)
    {
        this(maxSpins, maxYields, minParkPeriodNs, maxParkPeriodNs, SystemNanoClock.INSTANCE);
    }

    /**
     * @param maxSpins        the most spins before yielding (the full budget).
     * @param maxYields       yields before parking.
     * @param minParkPeriodNs first park.
     * @param maxParkPeriodNs longest park.
     * @param clock           times the first yield after a spin phase.
     */
    public AdaptiveBackoffIdleStrategy(
        final int maxSpins, final int maxYields, final long minParkPeriodNs, final long maxParkPeriodNs, final NanoClock clock)
    {
        this.budget = new SpinBudget(maxSpins);
        this.maxYields = maxYields;
        this.minParkPeriodNs = minParkPeriodNs;
        this.maxParkPeriodNs = maxParkPeriodNs;
        this.clock = clock;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            if (state == SPINNING && spun > 0)
            {
                budget.caught();
            }
            state = NOT_IDLE;
        }
        else
        {
            idle();
        }
    }

    public void idle()
    {
        if (state == NOT_IDLE)
        {
            spinsLeft = budget.spinsForWait();
            spun = 0;
            state = SPINNING;
        }
        if (state == SPINNING)
        {
            if (spinsLeft > 0)
            {
                spinsLeft--;
                spun++;
                Thread.onSpinWait();
                return;
            }
            state = YIELDING;
            yields = 0;
            if (spun > 0 && maxYields > 0)
            {
                final long startNs = clock.nanoTime();
                yields++;
                Thread.yield();
                budget.spunOut(clock.nanoTime() - startNs);
                return;
            }
        }
        if (state == YIELDING)
        {
            if (yields < maxYields)
            {
                yields++;
                Thread.yield();
                return;
            }
            state = PARKING;
            parkPeriodNs = minParkPeriodNs;
        }
        LockSupport.parkNanos(parkPeriodNs);
        parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
    }

    public void reset()
    {
        state = NOT_IDLE;
    }

    /**
     * @return the spins the next wait starts with, see {@link SpinBudget}.
     */
    public int spinBudget()
    {
        return budget.spins();
    }

    public String alias()
    {
        return "backoff";
    }
}
