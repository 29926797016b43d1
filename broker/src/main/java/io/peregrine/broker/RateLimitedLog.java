package io.peregrine.broker;

import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;

/**
 * Logs bad input without flooding and without stalling the pipeline: at most one line per kind of problem per
 * interval, with a count of the lines held back. The pipeline thread asks {@link #admit(String)} first and builds
 * the line only if admitted; the line is then written by this agent on another thread (the flusher's), since the
 * logging backend may block (slf4j-simple writes through a synchronized System.err).
 *
 * <pre>{@code
 * if (rateLimitedLog.admit("bad-frame"))
 * {
 *     rateLimitedLog.warn("rejected frame from " + source + ": " + why);
 * }
 * }</pre>
 */
final class RateLimitedLog implements Agent
{
    private static final int QUEUE_CAPACITY = 256;
    private static final String INFO = "\u0001";

    private final Logger log;
    private final EpochClock clock;
    private final long intervalMs;
    private final Map<String, long[]> kinds = new HashMap<>();
    private final ManyToOneConcurrentArrayQueue<String> lines = new ManyToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);
    private String admittedKind;
    private long heldBack;
    private long linesLost;

    RateLimitedLog(final Logger log, final EpochClock clock, final long intervalMs)
    {
        this.log = log;
        this.clock = clock;
        this.intervalMs = intervalMs;
    }

    /**
     * Whether a line of this kind may be logged now; if not, it is counted as held back. Pipeline thread only.
     *
     * @param kind short name of the problem, used to group lines.
     * @return true if the caller should build the line and pass it to {@link #warn(String)}.
     */
    boolean admit(final String kind)
    {
        final long now = clock.time();
        final long[] state = kinds.computeIfAbsent(kind, (k) -> new long[]{ Long.MIN_VALUE / 2, 0 });
        if (now - state[0] >= intervalMs)
        {
            admittedKind = kind;
            heldBack = state[1];
            state[0] = now;
            state[1] = 0;
            return true;
        }
        state[1]++;
        return false;
    }

    /**
     * Log the line just admitted, on the log agent's thread.
     *
     * @param message the line.
     */
    void warn(final String message)
    {
        final String line = heldBack > 0 ? message + " (and " + heldBack + " more '" + admittedKind + "' since the last line)" : message;
        if (!lines.offer(line))
        {
            linesLost++;
        }
    }

    /**
     * Log a line at info level, on the log agent's thread, without rate limit: for rare events (a slave connecting).
     *
     * @param message the line.
     */
    void info(final String message)
    {
        if (!lines.offer(INFO + message))
        {
            linesLost++;
        }
    }

    public int doWork()
    {
        return lines.drain(this::write);
    }

    private void write(final String line)
    {
        if (line.startsWith(INFO))
        {
            log.info(line.substring(INFO.length()));
        }
        else
        {
            log.warn(line);
        }
    }

    public void onClose()
    {
        lines.drain(this::write);
        if (linesLost > 0)
        {
            log.warn("{} log lines were lost: the log queue was full", linesLost);
        }
    }

    public String roleName()
    {
        return "log";
    }
}
