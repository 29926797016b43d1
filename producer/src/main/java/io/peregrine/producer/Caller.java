package io.peregrine.producer;

import io.peregrine.transport.IdleStrategies;
import org.agrona.concurrent.IdleStrategy;

/**
 * What one application thread keeps for its sends: its request encoder and its own instance of the configured
 * idle strategy (idle strategies hold state), used while it waits for a free slot, the connection or room in the
 * send queue.
 */
final class Caller
{
    final RequestEncoder encoder;
    final IdleStrategy idle;
    /**
     * The last answer a blocking send of this thread took: its status ordinal and journal index.
     */
    int status;
    long journalIndex;
    private PendingSends.Slot[] batchSlots = new PendingSends.Slot[16];

    Caller(final long producerId, final String idleStrategy)
    {
        encoder = new RequestEncoder(producerId);
        idle = IdleStrategies.create(idleStrategy);
    }

    /**
     * @param count messages in a batch.
     * @return this thread's array for the batch's slots, at least count long.
     */
    PendingSends.Slot[] batchSlots(final int count)
    {
        if (batchSlots.length < count)
        {
            batchSlots = new PendingSends.Slot[count];
        }
        return batchSlots;
    }
}
