package io.peregrine.producer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.LockSupport;

import org.agrona.BitUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends waiting for their response, in a fixed table indexed by sequence. Claiming, completing and
 * abandoning a slot are lock-free; nothing is allocated per send. A slot is waited on either by a
 * blocked thread (sync send) or by a callback (async send) that the producer's thread calls.
 */
final class PendingSends
{
    static final int FREE = 0;
    static final int WAITING = 1;
    static final int COMPLETING = 2;
    static final int DONE = 3;

    static final int COMPLETED = 1;
    static final int NOT_WAITING = 0;
    static final int ASYNC = -1;

    private static final int SPINS_BEFORE_YIELD = 100;

    static final AtomicIntegerFieldUpdater<Slot> STATE = AtomicIntegerFieldUpdater.newUpdater(Slot.class, "state");

    private final Slot[] slots;
    private final int mask;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CompletedSends completed;
    private final int expiryChunk;
    private int expiryCursor;

    /**
     * @param maxInFlight          most sends waiting at once; the table has twice as many slots so a
     *                             lingering old send rarely blocks a new sequence.
     * @param callbackErrorHandler told when a callback throws.
     * @param brokerChannel        named in the errors callbacks get.
     * @param producerId           of the producer, for the message ids in those errors.
     */
    PendingSends(final int maxInFlight, final ErrorHandler callbackErrorHandler, final String brokerChannel, final long producerId)
    {
        this.maxInFlight = maxInFlight;
        final int size = BitUtil.findNextPositivePowerOfTwo(2 * maxInFlight);
        slots = new Slot[size];
        mask = size - 1;
        expiryChunk = Math.max(1, size / 8);
        for (int i = 0; i < size; i++)
        {
            slots[i] = new Slot();
        }
        // between two dispatches the producer thread completes at most one poll's fragments plus one expiry chunk,
        // or every slot at close: far below twice the slots
        completed = new CompletedSends(2 * size, callbackErrorHandler, brokerChannel, producerId);
    }

    /**
     * Take one of the maxInFlight permits; a claimed slot's release returns it.
     *
     * @return false if maxInFlight sends are waiting already.
     */
    boolean tryAcquire()
    {
        while (true)
        {
            final int current = inFlight.get();
            if (current >= maxInFlight)
            {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1))
            {
                return true;
            }
        }
    }

    /**
     * Return permits taken with {@link #tryAcquire()} that no slot was claimed for.
     *
     * @param permits to return.
     */
    void releasePermits(final int permits)
    {
        inFlight.addAndGet(-permits);
    }

    /**
     * @return sends waiting now.
     */
    int inFlight()
    {
        return inFlight.get();
    }

    /**
     * Claim the slot of a sequence.
     *
     * @param sequence   of the send.
     * @param callback   for an async send, or null for a thread that waits.
     * @param deadlineNs when an async send times out (nano clock).
     * @return the slot, or null if an older send still holds it.
     */
    Slot claim(final long sequence, final SendCallback callback, final long deadlineNs)
    {
        final Slot slot = hold(sequence, callback, deadlineNs);
        if (null != slot)
        {
            slot.state = WAITING;
        }
        return slot;
    }

    /**
     * Claim the slot of a sequence but keep it held (COMPLETING) by the caller, so that nobody (an answer, expiry,
     * a resend, close) touches it until the caller has handed its request off and calls {@link Slot#open()}, or gives
     * it back with {@link Slot#release()}. An answer arriving meanwhile waits the few instructions until then.
     *
     * @return the slot, or null if an older send still holds it.
     */
    private Slot hold(final long sequence, final SendCallback callback, final long deadlineNs)
    {
        final Slot slot = slots[(int)sequence & mask];
        if (!STATE.compareAndSet(slot, FREE, COMPLETING))
        {
            return null;
        }
        slot.sequence = sequence;
        slot.callback = callback;
        slot.waiter = null == callback ? Thread.currentThread() : null;
        slot.deadlineNs = deadlineNs;
        slot.retainedLength = 0;
        slot.attemptsLeft = 0;
        return slot;
    }

    /**
     * {@link #claimNext} for an async send, with the slot held until {@link Slot#open()} (see {@link #hold}).
     */
    Slot holdNext(final AtomicLong sequences, final SendCallback callback, final long deadlineNs)
    {
        while (true)
        {
            final Slot slot = hold(sequences.incrementAndGet(), callback, deadlineNs);
            if (null != slot)
            {
                return slot;
            }
        }
    }

    /**
     * Claim the slot of the next free sequence, taking sequences from the producer's counter until one's slot is
     * free (an older send may still hold a slot for a while). The caller holds a permit.
     *
     * @param sequences  the producer's sequence counter.
     * @param callback   for an async send, or null for a thread that waits.
     * @param deadlineNs when an async send times out (nano clock).
     * @return the slot; its sequence is the send's.
     */
    Slot claimNext(final AtomicLong sequences, final SendCallback callback, final long deadlineNs)
    {
        while (true)
        {
            final Slot slot = claim(sequences.incrementAndGet(), callback, deadlineNs);
            if (null != slot)
            {
                return slot;
            }
        }
    }

    /**
     * @param sequence of an answer.
     * @return true if an async send (one with a callback) is waiting for it.
     */
    boolean isAsync(final long sequence)
    {
        final Slot slot = slots[(int)sequence & mask];
        return slot.state == WAITING && slot.sequence == sequence && null != slot.callback;
    }

    /**
     * Complete the waiting send of a sequence, if there still is one: wake its thread, or queue its callback for
     * {@link #dispatchCallbacks()}.
     *
     * @param sequence     of the response.
     * @param status       ordinal of {@link SendStatus}.
     * @param error        null if the send succeeded.
     * @param errorText    words for the error, or null.
     * @param journalIndex where the message was stored.
     * @return true if a waiting send was completed.
     */
    boolean complete(final long sequence, final int status, final ErrorKind error, final String errorText, final long journalIndex)
    {
        final Slot slot = slots[(int)sequence & mask];
        return slot.take(sequence) && completeTaken(slot, sequence, status, error, errorText, journalIndex);
    }

    /**
     * {@link #complete} for a thread blocked in {@code send} reading answers: it completes only blocking sends, and
     * leaves an async send's slot (callbacks are the producer thread's, and so is the queue of them) as it found it.
     *
     * @return {@link #COMPLETED}, {@link #NOT_WAITING}, or {@link #ASYNC} if the answer is the producer thread's.
     */
    int completeBlocking(final long sequence, final int status, final ErrorKind error, final String errorText, final long journalIndex)
    {
        final Slot slot = slots[(int)sequence & mask];
        if (!slot.take(sequence))
        {
            return NOT_WAITING;
        }
        if (null != slot.callback)
        {
            slot.state = WAITING; // taken only to look: an async send's, back as it was
            return ASYNC;
        }
        completeTaken(slot, sequence, status, error, errorText, journalIndex);
        return COMPLETED;
    }

    private boolean completeTaken(
        final Slot slot, final long sequence, final int status, final ErrorKind error, final String errorText, final long journalIndex)
    {
        final SendCallback callback = slot.callback;
        if (null != callback)
        {
            slot.release();
            completed.add(callback, sequence, status, error, errorText, journalIndex);
            return true;
        }
        slot.status = status;
        slot.error = error;
        slot.errorText = errorText;
        slot.journalIndex = journalIndex;
        final Thread waiter = slot.waiter;
        slot.state = DONE;
        LockSupport.unpark(waiter);
        return true;
    }

    /**
     * Call the callbacks of async sends completed since the last call, in completion order; see
     * {@link CompletedSends#dispatch()}.
     *
     * @return callbacks called.
     */
    int dispatchCallbacks()
    {
        return completed.dispatch();
    }

    /**
     * Time out async sends whose deadline has passed, and resend those whose attempt's share of it passed and that
     * may be resent, looking at one eighth of the slots per call (the producer's thread calls it every millisecond, so
     * an async send times out at most about 8 ms after its deadline, and no call scans the whole table).
     * Blocked threads time themselves out.
     *
     * @param nowNs    nano clock now.
     * @param resender hands a retained request to the send queue again.
     * @return sends timed out or resent.
     */
    int expire(final long nowNs, final Resender resender)
    {
        int expired = 0;
        final int end = expiryCursor + expiryChunk;
        for (int i = expiryCursor; i < end; i++)
        {
            final Slot slot = slots[i & mask];
            // the sequence first: the deadline read after it is this sequence's or a newer one's, and completing the
            // older sequence of a reclaimed slot finds nothing
            final long sequence = slot.sequence;
            if (slot.state == WAITING && null != slot.callback)
            {
                if (nowNs - slot.deadlineNs >= 0)
                {
                    if (complete(sequence, 0, ErrorKind.TIMEOUT, null, -1))
                    {
                        expired++;
                    }
                }
                // retainedLength first: the volatile that publishes attemptsLeft and attemptDeadlineNs to this thread
                else if (slot.retainedLength > 0 && slot.attemptsLeft > 0 && nowNs - slot.attemptDeadlineNs >= 0 &&
                    resend(slot, nowNs, resender))
                {
                    expired++;
                }
            }
        }
        expiryCursor = end & mask;
        return expired;
    }

    /**
     * Resend every async send that still waits and may be resent, for example after the producer reconnected.
     *
     * @param nowNs    nano clock now.
     * @param resender hands a retained request to the send queue.
     * @return sends resent.
     */
    int resendAll(final long nowNs, final Resender resender)
    {
        int resent = 0;
        for (final Slot slot : slots)
        {
            if (slot.state == WAITING && null != slot.callback && slot.retainedLength > 0 && slot.attemptsLeft > 0 &&
                resend(slot, nowNs, resender))
            {
                resent++;
            }
        }
        return resent;
    }

    private static boolean resend(final Slot slot, final long nowNs, final Resender resender)
    {
        if (slot.retainedLength <= 0 || !resender.resend(slot, nowNs))
        {
            return false;
        }
        slot.attemptsLeft--;
        // each attempt gets an equal share of what is left
        slot.attemptDeadlineNs = nowNs + (slot.deadlineNs - nowNs) / (slot.attemptsLeft + 1);
        return true;
    }

    /**
     * Fail every waiting send, for example when the producer closes.
     *
     * @param error     kind.
     * @param errorText words.
     */
    void failAll(final ErrorKind error, final String errorText)
    {
        for (final Slot slot : slots)
        {
            while (slot.state == COMPLETING)
            {
                Thread.yield(); // an async send handing its request off, or an answer being filled in: a moment
            }
            if (slot.state == WAITING)
            {
                complete(slot.sequence, 0, error, errorText, -1);
            }
        }
    }

    /**
     * Hands an async send's retained request to the send queue again, flagged as a resend.
     */
    @FunctionalInterface
    interface Resender
    {
        /**
         * @return true if handed off; false to try again at the next chance.
         */
        boolean resend(Slot slot, long nowNs);
    }

    /**
     * One send in flight.
     */
    final class Slot
    {
        volatile int state;
        volatile long sequence;
        Thread waiter;
        SendCallback callback;
        long deadlineNs;
        int status;
        ErrorKind error;
        String errorText;
        long journalIndex;
        /**
         * An async send's request as sent (header and body), kept for resends; grows to the largest request
         * the slot has held, so it is allocated while warming up only.
         */
        UnsafeBuffer retained;
        /**
         * Bytes of {@link #retained} in use; 0 if this send is not retained. Written by the claiming thread after
         * the copy, read by the producer thread.
         */
        volatile int retainedLength;
        int attemptsLeft;
        long attemptDeadlineNs;

        /**
         * Give up on the send (deadline passed, or it could not be offered), unless its slot has moved on: an async
         * send's slot can be timed out or failed by the producer thread and claimed again by a newer send.
         *
         * @param sequence of the send giving up.
         * @return true if abandoned; false if a response is being completed, which the caller then takes.
         */
        boolean abandon(final long sequence)
        {
            if (take(sequence))
            {
                release();
                return true;
            }
            return false;
        }

        /**
         * Move this slot from WAITING to COMPLETING if it still holds the given sequence. An async send's slot is
         * freed by the producer thread and may be claimed again at any moment, so whoever takes it checks the
         * sequence after the CAS and puts the slot back if it took a newer send's. While another thread holds the
         * slot only for such a check (or a claim is filling it in), this waits rather than give up, so a newer send's
         * answer is never lost to a stale taker: the window is a few instructions.
         *
         * @return true if this thread now owns the completion of that sequence.
         */
        boolean take(final long sequence)
        {
            int spins = 0;
            while (this.sequence == sequence)
            {
                final int current = state; // one look per round: the slot may open between a failed CAS and a second look
                if (current == WAITING)
                {
                    if (STATE.compareAndSet(this, WAITING, COMPLETING))
                    {
                        if (this.sequence == sequence)
                        {
                            return true;
                        }
                        state = WAITING; // abandoned and claimed again by a newer send in between: not ours
                        return false;
                    }
                    continue; // changed since the look: look again
                }
                if (current != COMPLETING)
                {
                    return false; // answered, abandoned or free
                }
                if (++spins < SPINS_BEFORE_YIELD)
                {
                    Thread.onSpinWait();
                }
                else
                {
                    Thread.yield(); // the holder was descheduled: on a small host, let it run
                }
            }
            return false;
        }

        /**
         * Make a slot held since {@link PendingSends#holdNext} wait for its answer.
         */
        void open()
        {
            state = WAITING;
        }

        /**
         * Make a blocking send's slot wait again if its answer was BROKER_BUSY (nothing stored), so the answer
         * to a resend can complete it. Only the thread that owns the slot calls this.
         *
         * @return true if the slot held a BROKER_BUSY answer and waits again.
         */
        boolean rearmIfBusy()
        {
            if (state != DONE || error != ErrorKind.BROKER_BUSY)
            {
                return false;
            }
            error = null;
            errorText = null;
            state = WAITING;
            return true;
        }

        /**
         * Give back a slot just claimed, keeping its in-flight permit for another claim.
         */
        void abandonKeepingPermit()
        {
            if (take(sequence)) // a stale answer may hold the slot for a moment: never write FREE under it
            {
                waiter = null;
                callback = null;
                state = FREE;
            }
        }

        /**
         * Free a slot whose outcome has been taken.
         */
        void release()
        {
            waiter = null;
            callback = null;
            errorText = null;
            error = null;
            state = FREE;
            inFlight.decrementAndGet();
        }
    }
}
