package io.peregrine.broker;

import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;

/**
 * Logs bad input without flooding: at most one line per kind of problem per interval, with a count of
 * the lines it held back. Only used off the happy path.
 */
final class RateLimitedLog
{
    private final Logger log;
    private final EpochClock clock;
    private final long intervalMs;
    private final Map<String, long[]> kinds = new HashMap<>();

    RateLimitedLog(final Logger log, final EpochClock clock, final long intervalMs)
    {
        this.log = log;
        this.clock = clock;
        this.intervalMs = intervalMs;
    }

    /**
     * Log a warning unless one of this kind was logged within the interval.
     *
     * @param kind    short name of the problem, used to group lines.
     * @param message the line.
     */
    void warn(final String kind, final String message)
    {
        final long now = clock.time();
        final long[] state = kinds.computeIfAbsent(kind, (k) -> new long[]{ Long.MIN_VALUE / 2, 0 });
        if (now - state[0] >= intervalMs)
        {
            if (state[1] > 0)
            {
                log.warn("{} (and {} more '{}' since the last line)", message, state[1], kind);
            }
            else
            {
                log.warn(message);
            }
            state[0] = now;
            state[1] = 0;
        }
        else
        {
            state[1]++;
        }
    }
}
