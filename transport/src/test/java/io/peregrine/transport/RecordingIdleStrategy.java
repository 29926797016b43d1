package io.peregrine.transport;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.IdleStrategy;

/**
 * A test double that records what a wrapping strategy asks of the one it stands in for ("idle 0", "idle", "reset").
 * Shared with other modules' tests through this module's test-jar.
 */
public final class RecordingIdleStrategy implements IdleStrategy
{
    /**
     * The calls, in order.
     */
    public final List<String> calls = new ArrayList<>();

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
