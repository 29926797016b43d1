package io.peregrine.producer;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.peregrine.transport.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

/**
 * Blocking sends and batches: the calling thread encodes, hands off, and waits for the answer (reading it itself
 * while no other thread reads answers), resending with the same message id after an attempt that got no answer or
 * lost its connection, and backing off after BROKER_BUSY. Any number of application threads at once.
 */
final class BlockingSender
{
    private static final SendStatus[] STATUSES = SendStatus.values();
    private static final int SPINS_BEFORE_YIELD = 100;
    private static final int YIELDS_BEFORE_PARK = 10_000;
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long BUSY_BACKOFF_MIN_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long BUSY_BACKOFF_MAX_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * {@link #await}: answered; the status and journal index are in the caller's {@link Caller#status} and
     * {@link Caller#journalIndex}.
     */
    private static final int ANSWERED = 0;
    /**
     * {@link #await}: this attempt ended (its time is up, or the connection dropped); the caller may resend.
     */
    private static final int ATTEMPT_ENDED = 1;
    /**
     * {@link #await}: the broker answered BROKER_BUSY (nothing stored); back off and resend.
     */
    private static final int BUSY_ANSWER = 2;

    private final Producer.Context ctx;
    private final long producerId;
    private final NanoClock nanoClock;
    private final PendingSends pending;
    private final AtomicLong sequences;
    private final AtomicLong retries;
    private final ProducerConductor conductor;
    private final SendQueue queue;
    private final ThreadLocal<Caller> callers;
    private final AtomicInteger readers;
    private final Runnable wakeProducerThread;
    private final Runnable wakeIfParked;

    BlockingSender(
        final Producer.Context ctx,
        final long producerId,
        final PendingSends pending,
        final AtomicLong sequences,
        final AtomicLong retries,
        final ProducerConductor conductor,
        final SendQueue queue,
        final ThreadLocal<Caller> callers,
        final AtomicInteger readers,
        final Runnable wakeProducerThread,
        final Runnable wakeIfParked)
    {
        this.ctx = ctx;
        this.producerId = producerId;
        this.nanoClock = ctx.nanoClock();
        this.pending = pending;
        this.sequences = sequences;
        this.retries = retries;
        this.conductor = conductor;
        this.queue = queue;
        this.callers = callers;
        this.readers = readers;
        this.wakeProducerThread = wakeProducerThread;
        this.wakeIfParked = wakeIfParked;
    }

    SendResult send(final Message message, final long timeoutMs)
    {
        final long sequence = sendAndWait(message, timeoutMs);
        final Caller caller = callers.get();
        return new SendResult(STATUSES[caller.status], producerId, sequence, caller.journalIndex);
    }

    void send(final Message message, final long timeoutMs, final SendResults results)
    {
        final long sequence = sendAndWait(message, timeoutMs);
        final Caller caller = callers.get();
        results.reset(producerId, 1);
        results.set(0, STATUSES[caller.status], sequence, caller.journalIndex);
    }

    /**
     * @return the sequence; the answer's status ordinal and journal index are in the calling thread's {@link Caller}.
     */
    private long sendAndWait(final Message message, final long timeoutMs)
    {
        final long deadlineNs = nanoClock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        message.checkTopic();
        final Caller caller = callers.get();
        awaitConnected(caller.idle, deadlineNs, timeoutMs);
        conductor.checkSize(message.bodyLength());

        caller.idle.reset();
        while (!pending.tryAcquire())
        {
            if (nanoClock.nanoTime() - deadlineNs >= 0)
            {
                throw new SendTimeoutException("send to broker " + ctx.brokerChannel() + " timed out after " + timeoutMs +
                    " ms waiting for one of maxInFlight=" + ctx.maxInFlight() + " sends to finish");
            }
            caller.idle.idle();
        }
        final PendingSends.Slot slot = pending.claimNext(sequences, null, deadlineNs);
        final long sequence = slot.sequence;
        final byte flags = RequestEncoder.flags(message.waitStoreMsgOK(), false);
        final int attempts = ctx.retryTimesWhenSendFailed() + 1;
        int attempt = 0;
        int busyAnswers = 0;
        while (true)
        {
            final long attemptStartNs = nanoClock.nanoTime();
            final boolean resend = attempt > 0 || busyAnswers > 0;
            try
            {
                if (resend)
                {
                    awaitConnected(caller.idle, deadlineNs, timeoutMs);
                }
                final RequestEncoder encoder = caller.encoder;
                final int headerLength = encoder.encode(
                    message, sequence, resend ? RequestEncoder.resend(flags) : flags, RequestEncoder.budgetMs(deadlineNs - attemptStartNs));
                handOffBlocking(caller.idle, encoder.buffer(), headerLength, message.bodyBuffer(), message.bodyOffset(),
                    message.bodyLength(), deadlineNs, timeoutMs);
            }
            catch (final RuntimeException ex)
            {
                // an answer to an earlier attempt may be arriving: take it if it says stored; a BROKER_BUSY one (the
                // slot waits again) cannot be acted on now that this attempt could not be sent, so give up the slot
                while (!slot.abandon(sequence))
                {
                    if (ANSWERED == await(caller, slot, sequence, deadlineNs, deadlineNs, timeoutMs, 1))
                    {
                        return sequence;
                    }
                }
                throw ex;
            }
            // each attempt gets an equal share of what is left; the last one waits until the overall deadline
            final long attemptEndNs = attempt + 1 >= attempts ? deadlineNs : attemptStartNs + (deadlineNs - attemptStartNs) / (attempts - attempt);
            final int outcome = await(caller, slot, sequence, attemptEndNs, deadlineNs, timeoutMs, 1);
            if (BUSY_ANSWER == outcome)
            {
                backOffBusy(busyAnswers++, deadlineNs, timeoutMs, slot, sequence);
            }
            else if (ANSWERED == outcome)
            {
                return sequence;
            }
            else
            {
                attempt++;
            }
            retries.incrementAndGet();
        }
    }

    /**
     * The broker answered BROKER_BUSY (it stored nothing): wait before resending, 1 ms after the first busy answer
     * and twice as long after each next one up to 50 ms, or give up with BROKER_BUSY if less than the wait would
     * be left for the resend's answer.
     */
    private void backOffBusy(
        final int busyAnswers, final long deadlineNs, final long timeoutMs, final PendingSends.Slot slot, final long sequence)
    {
        final long backOffNs = Math.min(BUSY_BACKOFF_MAX_NS, BUSY_BACKOFF_MIN_NS << Math.min(busyAnswers, 16));
        final long resendAtNs = nanoClock.nanoTime() + backOffNs;
        if (resendAtNs + backOffNs - deadlineNs >= 0)
        {
            if (slot.abandon(sequence))
            {
                throw new SendException(ErrorKind.BROKER_BUSY, "broker " + ctx.brokerChannel() + " answered BROKER_BUSY " +
                    (busyAnswers + 1) + " times for msgId " + Protocol.msgId(producerId, sequence) + " and the send's " + timeoutMs +
                    " ms ran out backing off; the message was not stored by those attempts");
            }
            return; // an answer to an earlier attempt arrived meanwhile: the next await takes it
        }
        long nowNs;
        while ((nowNs = nanoClock.nanoTime()) - resendAtNs < 0 && slot.state != PendingSends.DONE)
        {
            LockSupport.parkNanos(this, resendAtNs - nowNs);
        }
    }

    void sendBatch(final List<Message> messages, final long timeoutMs, final SendResults results)
    {
        final int count = messages.size();
        final long deadlineNs = nanoClock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final Message first = messages.get(0);
        first.checkTopic();
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            final Message message = messages.get(i);
            if (!first.topic().equals(message.topic()))
            {
                throw new SendException(ErrorKind.INVALID_TOPIC, "a batch goes to one topic: '" + first.topic() + "' and '" +
                    message.topic() + "' differ");
            }
            total += message.bodyLength();
        }
        final Caller caller = callers.get();
        awaitConnected(caller.idle, deadlineNs, timeoutMs);
        conductor.checkBatchSize(total, count);

        int permits = 0;
        caller.idle.reset();
        while (permits < count)
        {
            if (pending.tryAcquire())
            {
                permits++;
                continue;
            }
            if (nanoClock.nanoTime() - deadlineNs >= 0)
            {
                pending.releasePermits(permits);
                throw new SendTimeoutException("batch to broker " + ctx.brokerChannel() + " timed out after " + timeoutMs +
                    " ms waiting for " + count + " of maxInFlight=" + ctx.maxInFlight() + " slots");
            }
            caller.idle.idle();
        }
        final PendingSends.Slot[] slots = claimConsecutive(caller, count);
        final long baseSequence = slots[0].sequence;
        results.reset(producerId, count);
        final byte flags = RequestEncoder.flags(first.waitStoreMsgOK(), false);
        final int attempts = ctx.retryTimesWhenSendFailed() + 1;
        int next = 0;
        int attempt = 0;
        int busyAnswers = 0;
        while (next < count)
        {
            final long attemptStartNs = nanoClock.nanoTime();
            final boolean resend = attempt > 0 || busyAnswers > 0;
            try
            {
                if (resend)
                {
                    awaitConnected(caller.idle, deadlineNs, timeoutMs);
                }
                final RequestEncoder encoder = caller.encoder;
                final int length = encoder.encodeBatch(messages, baseSequence, resend ? RequestEncoder.resend(flags) : flags,
                    RequestEncoder.budgetMs(deadlineNs - nanoClock.nanoTime()));
                handOffBlocking(caller.idle, encoder.batchBuffer(), length, encoder.batchBuffer(), 0, 0, deadlineNs, timeoutMs);
            }
            catch (final RuntimeException ex)
            {
                abandonFrom(slots, next, count);
                throw ex;
            }
            final long attemptEndNs = attempt + 1 >= attempts ?
                deadlineNs : attemptStartNs + (deadlineNs - attemptStartNs) / (attempts - attempt);
            try
            {
                while (next < count)
                {
                    final int outcome = await(caller, slots[next], baseSequence + next, attemptEndNs, deadlineNs, timeoutMs, count - next);
                    if (BUSY_ANSWER == outcome)
                    {
                        retries.incrementAndGet();
                        backOffBusy(busyAnswers++, deadlineNs, timeoutMs, slots[next], baseSequence + next);
                        // the resend covers every message still unanswered (the broker stores each once), so later
                        // busy answers already in are waited for again; one that comes in after this costs a resend
                        for (int i = next + 1; i < count; i++)
                        {
                            slots[i].rearmIfBusy();
                        }
                        break;
                    }
                    if (ATTEMPT_ENDED == outcome)
                    {
                        retries.incrementAndGet();
                        attempt++;
                        break;
                    }
                    results.set(next, STATUSES[caller.status], baseSequence + next, caller.journalIndex);
                    next++;
                }
            }
            catch (final RuntimeException ex)
            {
                abandonFrom(slots, next + 1, count);
                throw ex;
            }
        }
    }

    private PendingSends.Slot[] claimConsecutive(final Caller caller, final int count)
    {
        final PendingSends.Slot[] slots = caller.batchSlots(count);
        while (true)
        {
            final long base = sequences.getAndAdd(count) + 1;
            int claimed = 0;
            while (claimed < count && null != (slots[claimed] = pending.claim(base + claimed, null, 0)))
            {
                claimed++;
            }
            if (claimed == count)
            {
                return slots;
            }
            for (int i = 0; i < claimed; i++)
            {
                slots[i].abandonKeepingPermit();
            }
        }
    }

    private static void abandonFrom(final PendingSends.Slot[] slots, final int from, final int count)
    {
        for (int i = from; i < count; i++)
        {
            final PendingSends.Slot slot = slots[i];
            if (!slot.abandon(slot.sequence))
            {
                while (slot.state == PendingSends.COMPLETING)
                {
                    Thread.onSpinWait(); // the producer's thread is filling in an answer right now
                }
                if (slot.state == PendingSends.DONE)
                {
                    slot.release();
                }
            }
        }
    }

    /**
     * Hand off until it works or the deadline passes.
     */
    private void handOffBlocking(
        final IdleStrategy idle,
        final DirectBuffer header,
        final int headerLength,
        final DirectBuffer body,
        final int bodyOffset,
        final int bodyLength,
        final long deadlineNs,
        final long timeoutMs)
    {
        idle.reset();
        while (true)
        {
            if (conductor.isCloseRequested())
            {
                throw new SendException(ErrorKind.CLOSED, "producer is closed");
            }
            final long result = queue.offer(header, headerLength, body, bodyOffset, bodyLength);
            if (result > 0)
            {
                if (result == 1)
                {
                    wakeIfParked.run(); // queued: the producer thread may be the one to drain it
                }
                return;
            }
            if (nanoClock.nanoTime() - deadlineNs >= 0)
            {
                throw new SendTimeoutException(result == Producer.NOT_CONNECTED ?
                    "not connected to broker " + ctx.brokerChannel() + " within " + timeoutMs + " ms" :
                    "broker " + ctx.brokerChannel() + " back-pressured the send for " + timeoutMs + " ms");
            }
            idle.idle();
        }
    }

    /**
     * Wait for the outcome of a send: read answers while no other thread does, else spin, yield, then park until the
     * producer thread hands the answer over (it unparks this thread). While it spins or yields it counts among the
     * {@code readers}, so the producer thread need not stay awake for this answer; before it parks it stops counting
     * and wakes the producer thread.
     *
     * <p>The spin phase is fixed, unlike the learned one of the default backoff: on the 2-core host a sender that
     * stopped spinning once it met the broker on its core stayed there with it (the scheduler kept the two together
     * while they yielded to each other): IPC round trips of 5-10 us instead of 1-1.4 us in 7 of 16 perf runs, against
     * 1 of 16 with the fixed phase.
     *
     * @param weight sends in flight this thread reads for: 1, or the unanswered rest of its batch.
     * @return {@link #ANSWERED} (the answer in the caller's fields); {@link #ATTEMPT_ENDED} if this attempt ended (its
     * time is up, or the connection dropped) and the overall deadline has not passed, so the caller may resend;
     * {@link #BUSY_ANSWER} if the broker answered BROKER_BUSY, with the slot waiting again for the resend's answer.
     */
    private int await(
        final Caller caller,
        final PendingSends.Slot slot,
        final long sequence,
        final long attemptEndNs,
        final long deadlineNs,
        final long timeoutMs,
        final int weight)
    {
        boolean reading = true;
        readers.addAndGet(weight);
        try
        {
            int idle = 0;
            while (slot.state != PendingSends.DONE)
            {
                final long nowNs = nanoClock.nanoTime();
                final long remainingNs = deadlineNs - nowNs;
                if (remainingNs <= 0)
                {
                    if (reading)
                    {
                        reading = false; // before the slot goes: never counted as read once it is no longer in flight
                        readers.addAndGet(-weight);
                    }
                    if (slot.abandon(sequence))
                    {
                        throw new SendTimeoutException("no response from broker " + ctx.brokerChannel() + " within " + timeoutMs +
                            " ms for msgId " + Protocol.msgId(producerId, sequence));
                    }
                    continue;
                }
                if (attemptEndNs != deadlineNs &&
                    (nowNs - attemptEndNs >= 0 || conductor.state() != ProducerConductor.STATE_CONNECTED))
                {
                    return ATTEMPT_ENDED;
                }
                final int polled = conductor.pollForBlockedSender();
                if (polled > 0)
                {
                    idle = 0;
                }
                else if (polled == ResponseReader.LEFT_FOR_PRODUCER_THREAD)
                {
                    // the next answer is for an async send or the conductor: wake the producer thread and step aside
                    wakeProducerThread.run();
                    Thread.yield();
                    idle = Math.max(idle, SPINS_BEFORE_YIELD);
                }
                else if (idle < SPINS_BEFORE_YIELD)
                {
                    Thread.onSpinWait();
                    idle++;
                }
                else if (idle < SPINS_BEFORE_YIELD + YIELDS_BEFORE_PARK)
                {
                    Thread.yield();
                    idle++;
                }
                else
                {
                    if (reading)
                    {
                        reading = false;
                        readers.addAndGet(-weight);
                        wakeProducerThread.run(); // it reads the answer from now on
                    }
                    // woken by the producer thread when it reads the answer; parked at most a millisecond, so that a
                    // producer thread held up in a slow callback does not leave the answer unread until the attempt ends
                    LockSupport.parkNanos(this, Math.min(MAX_PARK_NS, Math.min(remainingNs, attemptEndNs - nowNs)));
                }
            }
        }
        finally
        {
            if (reading)
            {
                readers.addAndGet(-weight);
                if (slot.state != PendingSends.DONE)
                {
                    wakeIfParked.run(); // leaving with the send still in flight (to resend, or an error): not read now
                }
            }
        }
        if (slot.rearmIfBusy())
        {
            wakeIfParked.run(); // waiting again while this thread backs off and reads nothing
            return BUSY_ANSWER;
        }
        final ErrorKind error = slot.error;
        final String errorText = slot.errorText;
        final int status = slot.status;
        final long journalIndex = slot.journalIndex;
        slot.release();
        if (null != error)
        {
            if (error == ErrorKind.TIMEOUT)
            {
                throw new SendTimeoutException(errorText);
            }
            throw new SendException(error, "broker " + ctx.brokerChannel() + " refused msgId " + Protocol.msgId(producerId, sequence) +
                ": " + errorText);
        }
        caller.status = status;
        caller.journalIndex = journalIndex;
        return ANSWERED;
    }

    /**
     * Wait, with the caller's idle strategy, until the producer is connected.
     */
    void awaitConnected(final IdleStrategy idle, final long deadlineNs, final long timeoutMs)
    {
        idle.reset();
        while (conductor.notReady() != 0)
        {
            if (conductor.isCloseRequested())
            {
                throw new SendException(ErrorKind.CLOSED, "producer is closed");
            }
            if (nanoClock.nanoTime() - deadlineNs >= 0)
            {
                throw new SendTimeoutException("not connected to broker " + ctx.brokerChannel() + " within " + timeoutMs + " ms");
            }
            idle.idle();
        }
    }
}
