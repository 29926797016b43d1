package io.peregrine.producer;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * The producer's hand-off from application threads to its exclusive publication.
 *
 * <p>A thread that finds nothing queued and wins a non-blocking drain flag offers its frame straight into the
 * publication: a lone sender pays neither a thread hand-off nor a copy into the ring. Otherwise (another thread
 * holds the flag, frames are queued, or the publication does not take the frame now) application threads copy
 * each frame into a lock-free many-to-one ring buffer, then try to drain the ring into the publication
 * themselves. Whoever wins the flag drains; the others return at once, and the producer's own thread drains
 * whatever is left (for example after back-pressure). So many senders do not contend on the publication, and
 * the frames of one thread keep their order. A frame too large for the ring is offered directly by a thread
 * that holds the flag after draining the ring first, so order still holds.
 */
final class SendQueue
{
    /**
     * A result of {@link #offerDirect} that means "try again": not one of Aeron's codes.
     */
    static final long NOT_NOW_RESULT = Long.MIN_VALUE;

    private static final int MSG_TYPE = 1;
    private static final int DRAIN_LIMIT = 256;

    private final RingBuffer ring;
    private final Supplier<ProducerLink> link;
    private final AtomicInteger drainFlag = new AtomicInteger();
    private final Drainer drainer = new Drainer();

    SendQueue(final int capacity, final Supplier<ProducerLink> link)
    {
        this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(capacity)));
        this.link = link;
    }

    /**
     * Hand a request frame (header and body) over: queued if the ring takes frames of its size, else offered
     * directly in order.
     *
     * @return positive if handed over: the publication's new position if the frame went straight into it, 1 if it
     * was queued; else {@link Producer#BACK_PRESSURED} or {@link Producer#NOT_CONNECTED}.
     */
    long offer(final DirectBuffer header, final int headerLength, final DirectBuffer body, final int bodyOffset, final int bodyLength)
    {
        if (headerLength + bodyLength <= ring.maxMsgLength())
        {
            final long sent = offerIfIdle(header, headerLength, body, bodyOffset, bodyLength);
            if (sent > 0)
            {
                return sent;
            }
            return enqueue(header, headerLength, body, bodyOffset, bodyLength) ? 1 : Producer.BACK_PRESSURED;
        }
        final long result = offerDirect(header, headerLength, body, bodyOffset, bodyLength);
        if (result > 0)
        {
            return result;
        }
        if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
        {
            return Producer.NOT_CONNECTED;
        }
        return Producer.BACK_PRESSURED;
    }

    /**
     * @return bytes queued and not yet drained into the publication.
     */
    int queued()
    {
        return ring.size();
    }

    /**
     * Offer a frame straight into the publication if nothing is queued and no other thread is offering: the frames
     * this thread handed over before have all been sent, so it keeps its order.
     *
     * @return the publication's new position, or 0 if the frame is to be queued instead (frames queued, the flag
     * taken, or the publication did not take it: back-pressure, not connected yet), so that it waits in the ring
     * exactly as it would have without this shortcut.
     */
    private long offerIfIdle(final DirectBuffer header, final int headerLength, final DirectBuffer body, final int bodyOffset, final int bodyLength)
    {
        if (ring.size() != 0 || drainFlag.get() != 0 || !drainFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            if (ring.size() != 0) // queued by another thread between the look and the flag
            {
                return 0;
            }
            final long result = link.get().publication.offer(header, 0, headerLength, body, bodyOffset, bodyLength, null);
            if (result > 0 && ring.size() != 0)
            {
                drainLocked(); // frames other threads queued while this one held the flag: they found it taken
            }
            return Math.max(0, result);
        }
        finally
        {
            drainFlag.set(0);
        }
    }

    /**
     * Queue a frame made of a header and a body, then help drain.
     *
     * @return true if queued; false if the ring is full.
     */
    private boolean enqueue(final DirectBuffer header, final int headerLength, final DirectBuffer body, final int bodyOffset, final int bodyLength)
    {
        final int index = ring.tryClaim(MSG_TYPE, headerLength + bodyLength);
        if (index < 0)
        {
            drain();
            return false;
        }
        final MutableDirectBuffer buffer = ring.buffer();
        buffer.putBytes(index, header, 0, headerLength);
        if (bodyLength > 0)
        {
            buffer.putBytes(index + headerLength, body, bodyOffset, bodyLength);
        }
        ring.commit(index);
        drain();
        return true;
    }

    /**
     * Offer a frame too large for the ring: only while holding the drain flag, after everything queued
     * before it has been sent.
     *
     * @return an Aeron offer result (positive if sent), or {@link #NOT_NOW_RESULT} if the flag is taken or what
     * was queued before could not be sent first.
     */
    private long offerDirect(final DirectBuffer header, final int headerLength, final DirectBuffer body, final int bodyOffset, final int bodyLength)
    {
        if (!drainFlag.compareAndSet(0, 1))
        {
            return NOT_NOW_RESULT;
        }
        try
        {
            // everything queued before this call (this thread's earlier frames among it) goes first; frames
            // other threads queue meanwhile may follow, which keeps every thread's own order
            final long queuedBefore = ring.producerPosition();
            while (ring.consumerPosition() < queuedBefore)
            {
                if (drainLocked() == 0)
                {
                    return NOT_NOW_RESULT; // back-pressured, or a frame still being copied in: try again
                }
            }
            return link.get().publication.offer(header, 0, headerLength, body, bodyOffset, bodyLength, null);
        }
        finally
        {
            drainFlag.set(0);
        }
    }

    /**
     * Drain what is queued into the publication, unless another thread is draining now.
     *
     * @return frames sent.
     */
    int drain()
    {
        if (ring.size() == 0 || drainFlag.get() != 0 || !drainFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            return drainLocked();
        }
        finally
        {
            drainFlag.set(0);
        }
    }

    /**
     * Offer a control frame (handshake, close) between queued frames.
     *
     * @return true if it went out.
     */
    boolean offerControl(final DirectBuffer buffer, final int length)
    {
        if (!drainFlag.compareAndSet(0, 1))
        {
            return false;
        }
        try
        {
            return link.get().publication.offer(buffer, 0, length) > 0;
        }
        finally
        {
            drainFlag.set(0);
        }
    }

    /**
     * Take the drain flag, waiting for a thread that holds it to finish its offer: until {@link #unlock()} no thread
     * offers to the publication, so it can be replaced.
     */
    void lock()
    {
        while (!drainFlag.compareAndSet(0, 1))
        {
            Thread.onSpinWait(); // held for one drain of at most DRAIN_LIMIT frames, or one direct offer
        }
    }

    /**
     * Give back the flag taken by {@link #lock()}.
     */
    void unlock()
    {
        drainFlag.set(0);
    }

    private int drainLocked()
    {
        drainer.publication = link.get().publication;
        return ring.controlledRead(drainer, DRAIN_LIMIT);
    }

    /**
     * Offers ring entries; stops at the first one the publication does not take.
     */
    private static final class Drainer implements ControlledMessageHandler
    {
        ExclusivePublication publication;

        public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            return publication.offer(buffer, index, length) > 0 ? Action.CONTINUE : Action.ABORT;
        }
    }
}
