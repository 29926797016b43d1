package io.peregrine.broker;

import io.aeron.ExclusivePublication;
import io.peregrine.transport.codec.ErrorCode;

/**
 * One connected (or connecting) producer: its identity, the image its requests come from and the
 * publication its responses go to.
 */
final class ProducerSession
{
    static final int FREE = 0;
    static final int ADDING_PUBLICATION = 1;
    static final int AWAITING_CONNECTION = 2;
    static final int ACTIVE = 3;
    static final int REFUSING = 4;
    static final long NOT_BLOCKED = Long.MIN_VALUE;
    static final long STALLED = Long.MAX_VALUE;

    final int slot;
    int generation;
    int state = FREE;
    long producerId;
    String producerGroup;
    String instanceName;
    int imageSessionId;
    boolean ipc;
    String responseChannel;
    long registrationId;
    ExclusivePublication publication;
    ErrorCode refusalCode = ErrorCode.NONE;
    String refusalReason = "";
    long lastSeenMs;
    /**
     * Since when this producer's response stream has been too full for its oldest answer, or
     * {@link #NOT_BLOCKED}; {@link #STALLED} once it stayed full past the responder's limit.
     */
    long answersBlockedSinceNs = NOT_BLOCKED;
    /**
     * Answers its full stream could not take yet, in order; null until that first happens.
     */
    DeferredAnswers deferred;
    long handshakeDeadlineMs;
    ProducerHistory history;

    ProducerSession(final int slot)
    {
        this.slot = slot;
    }

    boolean canRespond()
    {
        return state == ACTIVE && null != publication;
    }

    String describe()
    {
        return producerGroup + "/" + instanceName + " (producer " + Long.toHexString(producerId) + ")";
    }
}
