package io.peregrine.transport;

/**
 * How many times a waiting thread spins before it yields its core, learned from what spinning bought it.
 *
 * <p>Spinning pays only while whoever ends the wait (the broker answering a send, a producer sending the next
 * request) runs on another core: then the wait ends within the spins and the thread never leaves its core. Where
 * both share one core, as they often do on a 2-core host, every spin only holds back the thread being waited for,
 * and the round trip costs the whole spin phase on top of two context switches. So:
 * <ul>
 *     <li>a wait that ends while spinning restores the full budget ({@link #caught()});</li>
 *     <li>a spin phase that runs out is judged by the yield that follows ({@link #spunOut(long)}): if that yield
 *     took {@link #HANDED_OVER_NS} or longer, another thread was waiting for this core, and the spins held it back,
 *     so the budget halves, down to none (then the thread yields at once); a yield that came straight back says
 *     nobody else wanted the core, and the budget stays;</li>
 *     <li>while the budget is none, every {@value #PROBE_INTERVAL}th wait spins the full budget again, to find out
 *     whether the scheduler has since put the two threads apart.</li>
 * </ul>
 *
 * <p>Not thread-safe: one instance per waiting thread.
 */
public final class SpinBudget
{
    /**
     * Waits between two probes while the budget is none.
     */
    public static final int PROBE_INTERVAL = 64;

    /**
     * A yield at least this long ran another thread in between: on the hosts measured a yield with nobody else
     * runnable takes 0.2-0.9 us, one that switched to another thread and back at least two context switches plus
     * that thread's work, some 3 us or more.
     */
    public static final long HANDED_OVER_NS = 2_000;

    private final int maxSpins;
    private int spins;
    private int waitsSinceProbe;

    /**
     * @param maxSpins the full budget, where it starts.
     */
    public SpinBudget(final int maxSpins)
    {
        if (maxSpins < 0)
        {
            throw new IllegalArgumentException("maxSpins must not be negative: " + maxSpins);
        }
        this.maxSpins = maxSpins;
        this.spins = maxSpins;
    }

    /**
     * @return the spins for a wait that starts now: the budget, or while that is none the full budget on every
     * {@value #PROBE_INTERVAL}th wait and none on the others.
     */
    public int spinsForWait()
    {
        if (spins > 0)
        {
            return spins;
        }
        if (++waitsSinceProbe >= PROBE_INTERVAL)
        {
            waitsSinceProbe = 0;
            return maxSpins;
        }
        return 0;
    }

    /**
     * The wait ended while the thread was spinning (after at least one spin): the full budget again.
     */
    public void caught()
    {
        spins = maxSpins;
        waitsSinceProbe = 0;
    }

    /**
     * The thread spun all it was given, the wait went on, and its first yield took {@code yieldNs}.
     *
     * @param yieldNs how long that yield took.
     */
    public void spunOut(final long yieldNs)
    {
        if (yieldNs >= HANDED_OVER_NS)
        {
            spins >>= 1;
        }
    }

    /**
     * @return the budget now.
     */
    public int spins()
    {
        return spins;
    }
}
