package io.peregrine.producer;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.LockSupport;

import org.agrona.BitUtil;

/**
 * Sends waiting for their response, in a fixed table indexed by sequence. Claiming, completing and
 * abandoning a slot are lock-free; nothing is allocated per send.
 */
final class PendingSends
{
    static final int FREE = 0;
    static final int WAITING = 1;
    static final int COMPLETING = 2;
    static final int DONE = 3;

    private final Slot[] slots;
    private final int mask;

    PendingSends(final int capacity)
    {
        final int size = BitUtil.findNextPositivePowerOfTwo(capacity);
        slots = new Slot[size];
        mask = size - 1;
        for (int i = 0; i < size; i++)
        {
            slots[i] = new Slot();
        }
    }

    /**
     * Claim the slot of a sequence for the calling thread.
     *
     * @param sequence of the send.
     * @return the slot, or null if an older send still holds it.
     */
    Slot claim(final long sequence)
    {
        final Slot slot = slots[(int)sequence & mask];
        if (!Slot.STATE.compareAndSet(slot, FREE, COMPLETING))
        {
            return null;
        }
        slot.sequence = sequence;
        slot.waiter = Thread.currentThread();
        slot.state = WAITING;
        return slot;
    }

    /**
     * Complete the waiting send of a sequence, if there still is one, and wake its thread.
     *
     * @param sequence     of the response.
     * @param status       ordinal of {@link SendStatus}.
     * @param error        null if the send succeeded.
     * @param errorText    words for the error, or null.
     * @param journalIndex where the message was stored.
     */
    void complete(final long sequence, final int status, final ErrorKind error, final String errorText, final long journalIndex)
    {
        final Slot slot = slots[(int)sequence & mask];
        if (slot.sequence == sequence && Slot.STATE.compareAndSet(slot, WAITING, COMPLETING))
        {
            if (slot.sequence != sequence)
            {
                slot.state = WAITING; // abandoned and claimed again by a newer send in between
                return;
            }
            slot.status = status;
            slot.error = error;
            slot.errorText = errorText;
            slot.journalIndex = journalIndex;
            final Thread waiter = slot.waiter;
            slot.state = DONE;
            LockSupport.unpark(waiter);
        }
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
            if (slot.state == WAITING)
            {
                complete(slot.sequence, 0, error, errorText, -1);
            }
        }
    }

    /**
     * One send in flight.
     */
    static final class Slot
    {
        static final AtomicIntegerFieldUpdater<Slot> STATE = AtomicIntegerFieldUpdater.newUpdater(Slot.class, "state");

        volatile int state;
        volatile long sequence;
        Thread waiter;
        int status;
        ErrorKind error;
        String errorText;
        long journalIndex;

        /**
         * Give up on the send after its deadline.
         *
         * @return true if abandoned; false if a response is being completed, which the caller then takes.
         */
        boolean abandon()
        {
            if (STATE.compareAndSet(this, WAITING, FREE))
            {
                waiter = null;
                return true;
            }
            return false;
        }

        /**
         * Free a completed slot after its result was read.
         */
        void release()
        {
            waiter = null;
            errorText = null;
            error = null;
            state = FREE;
        }
    }
}
