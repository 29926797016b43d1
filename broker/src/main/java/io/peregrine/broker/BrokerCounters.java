package io.peregrine.broker;

import io.aeron.Aeron;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The broker's counters, published through Aeron's counters file so tools such as AeronStat and
 * {@code peregrine counters} can read them from outside the process. Each counter has one writing thread (the
 * pipeline thread, or the flusher for the flush counters), so it is updated with release semantics rather than an
 * atomic add, except {@link #journalErrors}, which both the writer and the flusher count.
 */
final class BrokerCounters implements AutoCloseable
{
    static final int TYPE_ID_BASE = 7400;

    final AtomicCounter sendsReceived;
    final AtomicCounter sendsStored;
    final AtomicCounter bytesStored;
    final AtomicCounter sendsRefused;
    final AtomicCounter framesRejected;
    final AtomicCounter unknownProducer;
    final AtomicCounter responsesDropped;
    final AtomicCounter producersConnected;
    final AtomicCounter producersTimedOut;
    final AtomicCounter inboundRingFull;
    final AtomicCounter journalErrors;
    final AtomicCounter duplicatesReceived;
    final AtomicCounter flushes;
    final AtomicCounter flushNanos;
    final AtomicCounter flushTimeouts;
    final AtomicCounter responsesDelayed;

    /**
     * Makes one counter; the broker's are Aeron counters in its driver's CnC file.
     */
    @FunctionalInterface
    interface Factory
    {
        AtomicCounter newCounter(int typeId, String label);
    }

    BrokerCounters(final Aeron aeron)
    {
        this(aeron::addCounter);
    }

    BrokerCounters(final Factory counters)
    {
        sendsReceived = counters.newCounter(TYPE_ID_BASE, "peregrine: sends received");
        sendsStored = counters.newCounter(TYPE_ID_BASE + 1, "peregrine: sends stored");
        bytesStored = counters.newCounter(TYPE_ID_BASE + 2, "peregrine: body bytes stored");
        sendsRefused = counters.newCounter(TYPE_ID_BASE + 3, "peregrine: sends refused with an error response");
        framesRejected = counters.newCounter(TYPE_ID_BASE + 4, "peregrine: frames rejected (truncated, wrong schema or version)");
        unknownProducer = counters.newCounter(TYPE_ID_BASE + 5, "peregrine: requests from unknown producers");
        responsesDropped = counters.newCounter(TYPE_ID_BASE + 6, "peregrine: responses dropped (producer gone, or past the send's deadline)");
        producersConnected = counters.newCounter(TYPE_ID_BASE + 7, "peregrine: producers connected");
        producersTimedOut = counters.newCounter(TYPE_ID_BASE + 8, "peregrine: producers dropped after going silent");
        inboundRingFull = counters.newCounter(TYPE_ID_BASE + 9, "peregrine: inbound ring full (receiver backed off)");
        journalErrors = counters.newCounter(TYPE_ID_BASE + 10, "peregrine: journal append failures");
        duplicatesReceived = counters.newCounter(TYPE_ID_BASE + 11, "peregrine: resends of stored sequences (answered, not stored again)");
        flushes = counters.newCounter(TYPE_ID_BASE + 12, "peregrine: journal flushes (fsync)");
        flushNanos = counters.newCounter(TYPE_ID_BASE + 15, "peregrine: time spent in journal flushes (ns)");
        flushTimeouts = counters.newCounter(TYPE_ID_BASE + 13, "peregrine: sends answered FLUSH_DISK_TIMEOUT");
        responsesDelayed = counters.newCounter(TYPE_ID_BASE + 14, "peregrine: answers held back a duty cycle (producer stream full)");
    }

    public void close()
    {
        CloseHelper.closeAll(sendsReceived, sendsStored, bytesStored, sendsRefused, framesRejected, unknownProducer,
            responsesDropped, producersConnected, producersTimedOut, inboundRingFull, journalErrors, duplicatesReceived,
            flushes, flushNanos, flushTimeouts, responsesDelayed);
    }
}
