package io.peregrine.broker;

import io.peregrine.journal.Journal;
import io.peregrine.journal.RecordView;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The {@link ProducerHistory} of every producer the broker has heard from recently, bounded in number (the
 * broker's {@code producerHistoryMemory} over {@link ProducerHistory#BYTES}; producer ids are new each time a
 * producer starts, so restarting clients would otherwise grow it without end): when full, the history used least
 * recently whose producer has no open session is dropped (its producer's old sequences then fall outside any
 * window). Rebuilt from the journal's tail at start. Single-threaded by contract: the pipeline thread only.
 */
final class ProducerHistories
{
    private final Long2ObjectHashMap<ProducerHistory> byProducerId = new Long2ObjectHashMap<>();
    private final int capacity;
    private long learned;

    ProducerHistories(final int capacity)
    {
        this.capacity = capacity;
    }

    /**
     * The history of a producer, created if new.
     */
    ProducerHistory get(final long producerId, final long nowMs)
    {
        ProducerHistory history = byProducerId.get(producerId);
        if (null == history)
        {
            if (byProducerId.size() >= capacity)
            {
                evictLeastRecentlyUsed();
            }
            history = new ProducerHistory(producerId);
            byProducerId.put(producerId, history);
        }
        history.lastUsedMs = nowMs;
        return history;
    }

    /**
     * The history of a producer, or null.
     */
    ProducerHistory find(final long producerId)
    {
        return byProducerId.get(producerId);
    }

    int size()
    {
        return byProducerId.size();
    }

    private void evictLeastRecentlyUsed()
    {
        ProducerHistory oldest = null;
        for (final ProducerHistory history : byProducerId.values())
        {
            if (!history.attached && (null == oldest || history.lastUsedMs < oldest.lastUsedMs))
            {
                oldest = history;
            }
        }
        if (null != oldest)
        {
            byProducerId.remove(oldest.producerId);
        }
    }

    /**
     * Learn one intact record of the journal while a start reads the newest records, newest first (see
     * {@link Journal#readNewestVoidingDamaged}); a voided record names no producer and is passed over.
     *
     * @param record an intact record.
     * @param nowMs  time to mark the histories with.
     */
    void learn(final RecordView record, final long nowMs)
    {
        learned++;
        if (!record.voided())
        {
            get(record.producerId(), nowMs).rebuild(record.sequence(), record.index());
        }
    }

    /**
     * @return records learned since this was made.
     */
    long learned()
    {
        return learned;
    }
}
