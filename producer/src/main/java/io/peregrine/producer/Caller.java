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

    Caller(final long producerId, final String idleStrategy)
    {
        encoder = new RequestEncoder(producerId);
        idle = IdleStrategies.create(idleStrategy);
    }
}
