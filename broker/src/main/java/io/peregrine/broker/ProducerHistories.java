package io.peregrine.broker;

import io.peregrine.journal.Journal;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ProducerHistory} of every producer the broker has heard from recently, bounded in number:
 * when full, the history used least recently is dropped (its producer's old sequences then fall
 * outside any window). Rebuilt from the journal's tail at start.
 */
final class ProducerHistories
{
    private static final Logger LOG = LoggerFactory.getLogger(ProducerHistories.class);

    private final Long2ObjectHashMap<ProducerHistory> byProducerId = new Long2ObjectHashMap<>();
    private final int capacity;

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
            if (null == oldest || history.lastUsedMs < oldest.lastUsedMs)
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
     * Learn the newest records of the journal, newest first, until maxRecords records or maxBytes bytes have
     * been read (every record's CRC is checked, so the byte bound keeps a start quick when messages are large).
     *
     * @param journal    to read.
     * @param maxRecords how far back to look, in records.
     * @param maxBytes   how far back to look, in bytes.
     * @param nowMs      time to mark the histories with.
     * @return records read.
     */
    long rebuild(final Journal journal, final long maxRecords, final long maxBytes, final long nowMs)
    {
        final long[] read = { 0, 0, 0 };
        try (Journal.JournalReader reader = journal.reverseReader())
        {
            while (read[0] < maxRecords && read[2] < maxBytes && reader.readNext((record) ->
            {
                read[0]++;
                read[2] += record.length();
                final String invalid = record.validate();
                if (null == invalid)
                {
                    if (!record.voided())
                    {
                        get(record.producerId(), nowMs).rebuild(record.sequence(), record.index());
                    }
                }
                else
                {
                    read[1]++;
                    LOG.warn("journal record at index {} is not intact ({}); not used for duplicate detection", record.index(), invalid);
                }
            }))
            {
                // keep reading
            }
        }
        if (read[0] > 0)
        {
            LOG.info("duplicate detection rebuilt from the newest {} journal records ({} producers)", read[0], byProducerId.size());
        }
        return read[0];
    }
}
