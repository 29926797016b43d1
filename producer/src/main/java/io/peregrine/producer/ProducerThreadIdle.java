package io.peregrine.producer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.peregrine.transport.AdaptiveBackoffIdleStrategy;
import io.peregrine.transport.IdleStrategies;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the producer's own thread idles with the default backoff. That thread reads the answers to async sends, and
 * to blocking sends whose threads have stopped reading (they park after a while); a thread blocked in {@code send}
 * reads its own answer. On an empty duty cycle:
 * <ul>
 *     <li>nothing in flight: the configured backoff, to a park;</li>
 *     <li>a send in flight whose answer only this thread will read, or frames queued for it to drain: yield, never
 *     park, so the answer is read as soon as it comes;</li>
 *     <li>every send in flight has its own thread reading for it, nothing is queued, and the producer is connected
 *     (while it is not, only this thread reads the handshake): park {@link IdleStrategies#QUIET_PARK_NS} and leave
 *     the cores to the threads that carry the message. An async send, a frame left in the queue, a blocked sender
 *     that stops reading or leaves with its send still in flight, and a close wake it at once ({@link #wake}).</li>
 * </ul>
 * Any other strategy, asked for by name, is kept whole.
 *
 * <p>The two counts are read as readers, sends in flight, readers again, taking the lower count of readers: a sender
 * counts its send in flight before it counts itself a reader, and stops counting itself before it releases the send,
 * so with that order of reads neither step can make the sends look read when one is not.
 */
final class ProducerThreadIdle implements IdleStrategy
{
    private final IdleStrategy otherwise;
    private final PendingSends pending;
    private final AtomicInteger readers;
    private final SendQueue queue;
    private final BooleanSupplier connected;
    private volatile boolean parked;

    /**
     * @param otherwise the configured strategy, used whole unless it is the default backoff.
     * @param pending   the sends in flight.
     * @param readers   sends in flight whose blocked threads read answers themselves.
     * @param queue     the frames waiting to be drained.
     * @param connected true while the producer is connected and not closing, so blocked senders can read.
     */
    ProducerThreadIdle(
        final IdleStrategy otherwise, final PendingSends pending, final AtomicInteger readers, final SendQueue queue,
        final BooleanSupplier connected)
    {
        this.otherwise = otherwise;
        this.pending = pending;
        this.readers = readers;
        this.queue = queue;
        this.connected = connected;
    }

    /**
     * @param name the configured strategy's name.
     * @return this gate around the named strategy if it is the default backoff, else the named strategy itself.
     */
    static IdleStrategy create(
        final String name, final PendingSends pending, final AtomicInteger readers, final SendQueue queue, final BooleanSupplier connected)
    {
        final IdleStrategy strategy = IdleStrategies.create(name);
        return strategy instanceof AdaptiveBackoffIdleStrategy ? new ProducerThreadIdle(strategy, pending, readers, queue, connected) : strategy;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            otherwise.idle(workCount);
            return;
        }
        if (pending.inFlight() == 0)
        {
            otherwise.idle(0);
        }
        else if (!allRead())
        {
            Thread.yield();
        }
        else
        {
            otherwise.reset();
            parked = true;
            // look again after saying so: a sender that needs this thread either is seen here or sees the flag and wakes it
            if (allRead())
            {
                LockSupport.parkNanos(this, IdleStrategies.QUIET_PARK_NS);
            }
            parked = false;
        }
    }

    /**
     * @return true if every send in flight has a blocked thread reading for it, nothing is queued, and those threads
     * can read (connected, not closing).
     */
    private boolean allRead()
    {
        final int readersBefore = readers.get();
        final int inFlight = pending.inFlight();
        final int readersAfter = readers.get();
        return inFlight <= Math.min(readersBefore, readersAfter) && queue.queued() == 0 && connected.getAsBoolean();
    }

    public void idle()
    {
        idle(0);
    }

    public void reset()
    {
        otherwise.reset();
    }

    /**
     * Wake the producer thread if it is parked waiting for nothing: a send now needs it.
     *
     * @param thread the producer thread.
     */
    void wake(final Thread thread)
    {
        if (parked)
        {
            LockSupport.unpark(thread);
        }
    }

    public String alias()
    {
        return "producer-" + otherwise.alias();
    }
}
