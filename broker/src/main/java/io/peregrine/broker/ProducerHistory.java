package io.peregrine.broker;

import org.agrona.BitUtil;

/**
 * What the broker knows of one producer's recent sequences, so a resend is never stored twice.
 *
 * <p>A window of the last {@link #WINDOW} sequences (by value, not by arrival): sequences may arrive
 * out of order from many application threads. For each one the window records that it was accepted
 * and, once appended, its journal index. A sequence more than {@code WINDOW} below the highest one
 * seen is outside the window: a resend of it is refused, since the broker cannot tell whether it was
 * stored; a first attempt (not flagged as a resend) is stored, since it cannot be a duplicate.
 * Survives reconnects (kept per producer id) and broker restarts (rebuilt from the journal's tail).
 *
 * <p>Single-threaded by contract: only the broker's pipeline thread (receiver, writer and sessions share it) reads
 * or changes it. {@link #BYTES} each; the broker keeps as many as {@code producerHistoryMemory} allows.
 */
final class ProducerHistory
{
    /**
     * Sequences remembered per producer.
     */
    static final int WINDOW = 4096;

    /**
     * Memory one history takes: a sequence and an index per slot of the window, plus the object.
     */
    static final int BYTES = WINDOW * 2 * Long.BYTES + 128;

    static final int NEW = 0;
    static final int DUPLICATE = 1;
    static final int OUTSIDE_WINDOW = 2;

    /**
     * Index of a sequence that is accepted but not yet appended.
     */
    static final long NOT_APPENDED = -2;

    private static final int MASK = WINDOW - 1;

    final long producerId;
    private final long[] sequences = new long[WINDOW];
    private final long[] indices = new long[WINDOW];
    private long highest;
    private long onewayStored;
    long lastUsedMs;
    /**
     * True while a session of its producer is open: such a history is never evicted.
     */
    boolean attached;

    ProducerHistory(final long producerId)
    {
        this.producerId = producerId;
        assert BitUtil.isPowerOfTwo(WINDOW);
    }

    /**
     * Classify a sequence arriving from the wire, without remembering it.
     *
     * @param sequence of the request.
     * @return NEW, DUPLICATE (seen before) or OUTSIDE_WINDOW.
     */
    int classify(final long sequence)
    {
        if (sequence <= 0 || sequence <= highest - WINDOW)
        {
            return OUTSIDE_WINDOW;
        }
        return sequences[(int)sequence & MASK] == sequence ? DUPLICATE : NEW;
    }

    /**
     * Remember a NEW sequence once it is on its way to the journal.
     *
     * @param sequence of the request.
     */
    void accept(final long sequence)
    {
        final int slot = (int)sequence & MASK;
        sequences[slot] = sequence;
        indices[slot] = NOT_APPENDED;
        highest = Math.max(highest, sequence);
    }

    /**
     * Record where a sequence was stored.
     */
    void appended(final long sequence, final long journalIndex)
    {
        final int slot = (int)sequence & MASK;
        if (sequences[slot] == sequence)
        {
            indices[slot] = journalIndex;
        }
    }

    /**
     * Record where a oneway send was stored, and count it.
     */
    void appendedOneway(final long sequence, final long journalIndex)
    {
        appended(sequence, journalIndex);
        onewayStored++;
    }

    /**
     * @return oneway sends of this producer stored since this history was made (this broker run).
     */
    long onewayStored()
    {
        return onewayStored;
    }

    /**
     * Forget a sequence whose append failed, so a resend is stored.
     */
    void forget(final long sequence)
    {
        final int slot = (int)sequence & MASK;
        if (sequences[slot] == sequence)
        {
            sequences[slot] = 0;
        }
    }

    /**
     * @return journal index of a stored sequence, {@link #NOT_APPENDED}, or -1 if the window does not hold it.
     */
    long indexOf(final long sequence)
    {
        final int slot = (int)sequence & MASK;
        return sequences[slot] == sequence ? indices[slot] : -1;
    }

    /**
     * Learn a stored sequence while rebuilding from the journal, newest record first.
     */
    void rebuild(final long sequence, final long journalIndex)
    {
        if (sequence <= 0 || sequence <= highest - WINDOW)
        {
            return;
        }
        final int slot = (int)sequence & MASK;
        if (sequences[slot] < sequence)
        {
            sequences[slot] = sequence;
            indices[slot] = journalIndex;
        }
        highest = Math.max(highest, sequence);
    }

    long highest()
    {
        return highest;
    }
}
