package io.peregrine.broker;

/**
 * Layout of a send in the inbound ring: a small header for the responder, then the journal record
 * (without its CRC trailer), ready to append as it is.
 * <pre>
 *   0  int   session slot, or NO_RESPONSE for a oneway send
 *   4  int   session generation
 *   8  long  deadline (nano clock) by which the send must be answered
 *   16 ...   journal record
 * </pre>
 */
final class InboundEntry
{
    static final int MSG_TYPE_SEND = 1;

    /**
     * A resend of a sequence already accepted: the header, then producer id and sequence at RECORD_OFFSET.
     */
    static final int MSG_TYPE_DUPLICATE = 2;
    static final int DUPLICATE_PRODUCER_ID_OFFSET = 16;
    static final int DUPLICATE_SEQUENCE_OFFSET = 24;
    static final int DUPLICATE_LENGTH = 32;

    /**
     * A producer's Close: the header, then its producer id at RECORD_OFFSET. It travels through the ring so that
     * the writer reaches it only after every request the producer sent before it.
     */
    static final int MSG_TYPE_CLOSE = 3;
    static final int CLOSE_PRODUCER_ID_OFFSET = 16;
    static final int CLOSE_LENGTH = 24;
    static final int SESSION_SLOT_OFFSET = 0;
    static final int SESSION_GENERATION_OFFSET = 4;
    static final int DEADLINE_OFFSET = 8;
    static final int RECORD_OFFSET = 16;

    /**
     * Session slot of a oneway send: stored, never answered.
     */
    static final int NO_RESPONSE = -1;

    private InboundEntry()
    {
    }
}
