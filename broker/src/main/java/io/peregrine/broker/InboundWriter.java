package io.peregrine.broker;

import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Writes the receiver's entries into the inbound ring in the {@link InboundEntry} layout: sends as ready journal
 * records, duplicate markers for resends of accepted sequences, and producers' Close. Each put either commits a
 * whole entry or, if the ring is full, counts that and leaves nothing. Pipeline thread only.
 */
final class InboundWriter
{
    private final RingBuffer ring;
    private final BrokerCounters counters;
    private final RecordHeaderEncoder recordEncoder = new RecordHeaderEncoder();
    private final MessageHeaderEncoder recordHeaderEncoder = new MessageHeaderEncoder();

    InboundWriter(final RingBuffer ring, final BrokerCounters counters)
    {
        this.ring = ring;
        this.counters = counters;
    }

    /**
     * A send, as the journal record the writer appends unchanged (less its CRC trailer).
     *
     * @param sessionSlot {@link InboundEntry#NO_RESPONSE} for a oneway send, else the session's slot.
     * @return false if the ring is full.
     */
    boolean putRecord(
        final ProducerSession session,
        final int sessionSlot,
        final long sequence,
        final int flags,
        final long deadlineNs,
        final long receivedEpochNs,
        final DirectBuffer buffer,
        final int topicOffset,
        final int topicLength,
        final int bodyOffset,
        final int bodyLength)
    {
        final int index = claim(InboundEntry.MSG_TYPE_SEND, RequestFrames.entryLength(topicLength, bodyLength), sessionSlot,
            session.generation, deadlineNs);
        if (index <= 0)
        {
            return false;
        }
        final MutableDirectBuffer ringBuffer = ring.buffer();
        final int recordOffset = index + InboundEntry.RECORD_OFFSET;
        final int headerLength = JournalRecord.encodeHeader(recordEncoder, recordHeaderEncoder, ringBuffer, recordOffset,
            session.producerId, sequence, receivedEpochNs, flags, buffer, topicOffset, topicLength, bodyLength);
        ringBuffer.putBytes(recordOffset + headerLength, buffer, bodyOffset, bodyLength);
        ring.commit(index);
        return true;
    }

    /**
     * A resend of a sequence accepted before: the writer answers it with the original's index.
     *
     * @return false if the ring is full.
     */
    boolean putDuplicate(final ProducerSession session, final int sessionSlot, final long sequence, final long deadlineNs)
    {
        final int index = claim(InboundEntry.MSG_TYPE_DUPLICATE, InboundEntry.DUPLICATE_LENGTH, sessionSlot, session.generation,
            deadlineNs);
        if (index <= 0)
        {
            return false;
        }
        final MutableDirectBuffer ringBuffer = ring.buffer();
        ringBuffer.putLong(index + InboundEntry.DUPLICATE_PRODUCER_ID_OFFSET, session.producerId);
        ringBuffer.putLong(index + InboundEntry.DUPLICATE_SEQUENCE_OFFSET, sequence);
        ring.commit(index);
        return true;
    }

    /**
     * A producer's Close, behind everything it sent before.
     *
     * @return false if the ring is full.
     */
    boolean putClose(final ProducerSession session)
    {
        final int index = claim(InboundEntry.MSG_TYPE_CLOSE, InboundEntry.CLOSE_LENGTH, session.slot, session.generation, 0);
        if (index <= 0)
        {
            return false;
        }
        ring.buffer().putLong(index + InboundEntry.CLOSE_PRODUCER_ID_OFFSET, session.producerId);
        ring.commit(index);
        return true;
    }

    /**
     * @return whether the ring has room for this many bytes of entries now.
     */
    boolean hasRoomFor(final long bytes)
    {
        return ring.capacity() - ring.size() >= bytes;
    }

    /**
     * @return the ring's capacity in bytes.
     */
    int capacity()
    {
        return ring.capacity();
    }

    private int claim(final int msgType, final int length, final int sessionSlot, final int generation, final long deadlineNs)
    {
        final int index = ring.tryClaim(msgType, length);
        if (index <= 0)
        {
            counters.inboundRingFull.incrementRelease();
            return index;
        }
        final MutableDirectBuffer ringBuffer = ring.buffer();
        ringBuffer.putInt(index + InboundEntry.SESSION_SLOT_OFFSET, sessionSlot);
        ringBuffer.putInt(index + InboundEntry.SESSION_GENERATION_OFFSET, generation);
        ringBuffer.putLong(index + InboundEntry.DEADLINE_OFFSET, deadlineNs);
        return index;
    }
}
