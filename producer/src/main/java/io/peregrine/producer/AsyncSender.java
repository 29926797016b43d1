package io.peregrine.producer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends that do not wait: async sends (answered through a callback on the producer thread, optionally resent from a
 * retained copy) and oneway sends (never answered). Flow control is a return code, never an exception.
 */
final class AsyncSender implements PendingSends.Resender
{
    private static final int MAX_RETAINED_REQUEST = 64 * 1024;

    private final Producer.Context ctx;
    private final NanoClock nanoClock;
    private final PendingSends pending;
    private final AtomicLong sequences;
    private final AtomicLong retries;
    private final AtomicLong onewaySent = new AtomicLong();
    private final ProducerConductor conductor;
    private final SendQueue queue;
    private final ThreadLocal<Caller> callers;
    private final Runnable wakeProducerThread;

    AsyncSender(
        final Producer.Context ctx,
        final PendingSends pending,
        final AtomicLong sequences,
        final AtomicLong retries,
        final ProducerConductor conductor,
        final SendQueue queue,
        final ThreadLocal<Caller> callers,
        final Runnable wakeProducerThread)
    {
        this.ctx = ctx;
        this.nanoClock = ctx.nanoClock();
        this.pending = pending;
        this.sequences = sequences;
        this.retries = retries;
        this.conductor = conductor;
        this.queue = queue;
        this.callers = callers;
        this.wakeProducerThread = wakeProducerThread;
    }

    long sendAsync(final Message message, final long timeoutMs, final SendCallback callback)
    {
        final long nowNs = nanoClock.nanoTime();
        message.checkTopic();
        final long notReady = conductor.notReady();
        if (notReady < 0)
        {
            return notReady;
        }
        conductor.checkSize(message.bodyLength());
        final Caller caller = callers.get();
        if (!acquireInFlight(caller.idle, nowNs))
        {
            return Producer.BUSY;
        }
        final long deadlineNs = nowNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        // held until handed off: no expiry, resend or close can touch the slot (or its retained copy) before the
        // request has really gone, and an answer arriving meanwhile waits the moment until it opens
        final PendingSends.Slot slot = pending.holdNext(sequences, callback, deadlineNs);
        final long sequence = slot.sequence;
        final RequestEncoder encoder = caller.encoder;
        final int headerLength = encoder.encode(
            message, sequence, RequestEncoder.flags(message.waitStoreMsgOK(), false), (int)Math.min(Integer.MAX_VALUE, timeoutMs));
        final int asyncRetries = ctx.retryTimesWhenSendAsyncFailed();
        if (asyncRetries > 0 && headerLength + message.bodyLength() <= MAX_RETAINED_REQUEST)
        {
            retain(slot, encoder.buffer(), headerLength, message, asyncRetries, nowNs);
        }
        final long result = handOff(encoder.buffer(), headerLength, message.bodyBuffer(), message.bodyOffset(), message.bodyLength());
        if (result < 0)
        {
            slot.release(); // never sent: the slot and its permit go back, and the callback is not called
            return result;
        }
        slot.open();
        wakeProducerThread.run(); // the answer is the producer thread's to read: if it parked while others read, now it must not
        return sequence;
    }

    long sendOneway(final Message message)
    {
        message.checkTopic();
        final long notReady = conductor.notReady();
        if (notReady < 0)
        {
            return notReady;
        }
        conductor.checkSize(message.bodyLength());
        final long sequence = sequences.incrementAndGet();
        final RequestEncoder encoder = callers.get().encoder;
        final int headerLength = encoder.encode(
            message, sequence, RequestEncoder.flags(message.waitStoreMsgOK(), true), (int)Math.min(Integer.MAX_VALUE, ctx.sendMsgTimeoutMs()));
        final long result = handOff(encoder.buffer(), headerLength, message.bodyBuffer(), message.bodyOffset(), message.bodyLength());
        if (result < 0)
        {
            return result;
        }
        onewaySent.incrementAndGet();
        return sequence;
    }

    /**
     * @return oneway sends accepted since start.
     */
    long onewaySent()
    {
        return onewaySent.get();
    }

    private long handOff(final DirectBuffer header, final int headerLength, final DirectBuffer body, final int bodyOffset, final int bodyLength)
    {
        if (conductor.isCloseRequested())
        {
            return Producer.CLOSED;
        }
        final long result = queue.offer(header, headerLength, body, bodyOffset, bodyLength);
        if (result == 1)
        {
            wakeProducerThread.run(); // queued: the producer thread may be the one to drain it
        }
        return result;
    }

    private boolean acquireInFlight(final IdleStrategy idle, final long startNs)
    {
        if (pending.tryAcquire())
        {
            return true;
        }
        final long waitNs = TimeUnit.MILLISECONDS.toNanos(ctx.asyncBusyWaitMs());
        idle.reset();
        while (nanoClock.nanoTime() - startNs < waitNs)
        {
            if (pending.tryAcquire())
            {
                return true;
            }
            idle.idle();
        }
        return false;
    }

    /**
     * Keep a copy of an async request in its slot so the producer thread can resend it.
     */
    private static void retain(
        final PendingSends.Slot slot, final DirectBuffer header, final int headerLength, final Message message, final int retries,
        final long nowNs)
    {
        final int length = headerLength + message.bodyLength();
        UnsafeBuffer retained = slot.retained;
        if (null == retained || retained.capacity() < length)
        {
            retained = new UnsafeBuffer(new byte[BitUtil.findNextPositivePowerOfTwo(Math.max(length, 256))]); // warming up only
            slot.retained = retained;
        }
        retained.putBytes(0, header, 0, headerLength);
        retained.putBytes(headerLength, message.bodyBuffer(), message.bodyOffset(), message.bodyLength());
        slot.attemptsLeft = retries;
        slot.attemptDeadlineNs = nowNs + (slot.deadlineNs - nowNs) / (retries + 1);
        slot.retainedLength = length; // volatile; the slot's opening publishes it to the producer thread
    }

    /**
     * Hand a retained async request to the send queue again, flagged as a resend and with what is left of its
     * time. Producer thread only.
     *
     * @return true if handed off.
     */
    public boolean resend(final PendingSends.Slot slot, final long nowNs)
    {
        final int length = slot.retainedLength;
        if (length <= 0 || conductor.state() != ProducerConductor.STATE_CONNECTED)
        {
            return false;
        }
        final UnsafeBuffer request = slot.retained;
        RequestEncoder.markResend(request, RequestEncoder.budgetMs(slot.deadlineNs - nowNs));
        if (handOff(request, length, request, 0, 0) <= 0)
        {
            return false;
        }
        retries.incrementAndGet();
        return true;
    }
}
