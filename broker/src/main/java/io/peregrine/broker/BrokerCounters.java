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
    final AtomicCounter receiverBackedOff;
    final AtomicCounter journalErrors;
    final AtomicCounter duplicatesReceived;
    final AtomicCounter flushes;
    final AtomicCounter flushNanos;
    final AtomicCounter flushTimeouts;
    final AtomicCounter responsesDelayed;
    final AtomicCounter slavesConnected;
    final AtomicCounter slavesInSync;
    final AtomicCounter replicaAckedIndex;
    final AtomicCounter replicaLagRecords;
    final AtomicCounter replicaLagBytes;
    final AtomicCounter flushSlaveTimeouts;
    final AtomicCounter slaveNotAvailable;
    final AtomicCounter bytesReplicated;
    final AtomicCounter replicaAcksRefused;
    final AtomicCounter slaveWrittenIndex;
    final AtomicCounter slaveMasterIndex;
    final AtomicCounter slaveRefusals;
    final AtomicCounter slaveCutAfterIndex;
    final AtomicCounter journalLastIndex;
    final AtomicCounter consumersConnected;
    final AtomicCounter consumerMessagesSent;
    final AtomicCounter consumersRefused;
    final AtomicCounter tailFramesRejected;
    final AtomicCounter pageCacheReleased;

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
        receiverBackedOff = counters.newCounter(TYPE_ID_BASE + 9, "peregrine: receiver backed off (answer queue full)");
        journalErrors = counters.newCounter(TYPE_ID_BASE + 10, "peregrine: journal append or flush failures");
        duplicatesReceived = counters.newCounter(TYPE_ID_BASE + 11, "peregrine: resends of stored sequences (answered, not stored again)");
        flushes = counters.newCounter(TYPE_ID_BASE + 12, "peregrine: journal flushes (fsync)");
        flushNanos = counters.newCounter(TYPE_ID_BASE + 15, "peregrine: time spent in journal flushes (ns)");
        flushTimeouts = counters.newCounter(TYPE_ID_BASE + 13, "peregrine: sends answered FLUSH_DISK_TIMEOUT");
        responsesDelayed = counters.newCounter(TYPE_ID_BASE + 14, "peregrine: answers held back a duty cycle (producer stream full)");
        slavesConnected = counters.newCounter(TYPE_ID_BASE + 16, "peregrine: master: slaves connected");
        slavesInSync = counters.newCounter(TYPE_ID_BASE + 17, "peregrine: master: slaves in sync");
        replicaAckedIndex = counters.newCounter(TYPE_ID_BASE + 18, "peregrine: master: replicated index (lowest acked by an in-sync slave)");
        replicaLagRecords = counters.newCounter(TYPE_ID_BASE + 19, "peregrine: master: records the furthest slave is behind (-1 unknown)");
        replicaLagBytes = counters.newCounter(TYPE_ID_BASE + 20, "peregrine: master: bytes the furthest slave is behind (-1 unknown)");
        flushSlaveTimeouts = counters.newCounter(TYPE_ID_BASE + 21, "peregrine: sends answered FLUSH_SLAVE_TIMEOUT");
        slaveNotAvailable = counters.newCounter(TYPE_ID_BASE + 22, "peregrine: sends answered SLAVE_NOT_AVAILABLE");
        bytesReplicated = counters.newCounter(TYPE_ID_BASE + 23, "peregrine: master: record bytes sent to slaves");
        replicaAcksRefused = counters.newCounter(TYPE_ID_BASE + 24, "peregrine: master: slave acks refused (other link, above what was sent)");
        slaveWrittenIndex = counters.newCounter(TYPE_ID_BASE + 25, "peregrine: slave: last index written from the master");
        slaveMasterIndex = counters.newCounter(TYPE_ID_BASE + 26, "peregrine: slave: master's last index as last heard");
        slaveRefusals = counters.newCounter(TYPE_ID_BASE + 27, "peregrine: slave: hellos the master refused");
        slaveCutAfterIndex = counters.newCounter(TYPE_ID_BASE + 28, "peregrine: slave: diverged; cut the journal back to this index (-1 none)");
        slaveCutAfterIndex.set(-1);
        journalLastIndex = counters.newCounter(TYPE_ID_BASE + 29, "peregrine: journal: last index appended");
        journalLastIndex.set(-1);
        consumersConnected = counters.newCounter(TYPE_ID_BASE + 30, "peregrine: tail: consumers connected");
        consumerMessagesSent = counters.newCounter(TYPE_ID_BASE + 31, "peregrine: tail: messages sent to consumers");
        consumersRefused = counters.newCounter(TYPE_ID_BASE + 32, "peregrine: tail: subscribes refused");
        tailFramesRejected = counters.newCounter(TYPE_ID_BASE + 33, "peregrine: tail: consumer frames rejected (truncated, wrong schema)");
        pageCacheReleased = counters.newCounter(TYPE_ID_BASE + 34, "peregrine: journal: bytes released from the page cache");
    }

    public void close()
    {
        CloseHelper.closeAll(sendsReceived, sendsStored, bytesStored, sendsRefused, framesRejected, unknownProducer,
            responsesDropped, producersConnected, producersTimedOut, receiverBackedOff, journalErrors, duplicatesReceived,
            flushes, flushNanos, flushTimeouts, responsesDelayed, slavesConnected, slavesInSync, replicaAckedIndex, replicaLagRecords,
            replicaLagBytes, flushSlaveTimeouts, slaveNotAvailable, bytesReplicated, replicaAcksRefused, slaveWrittenIndex, slaveMasterIndex,
            slaveRefusals, slaveCutAfterIndex, journalLastIndex, consumersConnected, consumerMessagesSent, consumersRefused, tailFramesRejected,
            pageCacheReleased);
    }
}
