package io.peregrine.broker;

import io.aeron.Publication;
import org.agrona.MutableDirectBuffer;

/**
 * The frame a link encoded that its publication has not taken yet: offered again, as it is, until it goes, and the
 * link encodes nothing new meanwhile, so a reader that stops costs one frame and the publication's window, never a
 * growing buffer. The links that stream the journal to a reader use it: {@link SlaveLink} and {@link TailLink}.
 * One thread.
 */
final class PendingFrame
{
    /** The publication took the frame. */
    static final int SENT = 1;
    /** Back-pressured or not connected: the frame stays. */
    static final int WAITING = 0;
    /** The publication is closed or at its end: the link is over. */
    static final int ENDED = -1;

    final MutableDirectBuffer buffer;
    private int length;

    /**
     * @param buffer the link encodes its frames in, from offset 0.
     */
    PendingFrame(final MutableDirectBuffer buffer)
    {
        this.buffer = buffer;
    }

    /**
     * @return true if no frame is waiting: the link may encode the next.
     */
    boolean isEmpty()
    {
        return 0 == length;
    }

    /**
     * Hold the frame just encoded in the buffer until the publication takes it.
     *
     * @param length of the frame; 0 holds none.
     */
    void hold(final int length)
    {
        this.length = length;
    }

    /**
     * Offer the frame held (see {@link #hold(int)}).
     *
     * @return {@link #SENT}, {@link #WAITING} or {@link #ENDED}.
     */
    int offer(final Publication publication)
    {
        final long result = publication.offer(buffer, 0, length);
        if (result > 0)
        {
            length = 0;
            return SENT;
        }
        return result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ? ENDED : WAITING;
    }
}
