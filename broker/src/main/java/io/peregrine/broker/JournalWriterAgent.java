package io.peregrine.broker;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.codec.MessageHeaderDecoder;
import io.peregrine.journal.codec.RecordHeaderDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.SendFlagsDecoder;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends the records waiting in the inbound ring to the journal, in order, and advances the appended
 * watermark once per batch. Stops reading when the responder cannot queue more answers.
 */
final class JournalWriterAgent implements Agent, MessageHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalWriterAgent.class);
    private static final int BATCH_LIMIT = 64;

    private final Journal journal;
    private final RingBuffer ring;
    private final Responder responder;
    private final ProducerSessions sessions;
    private final BrokerCounters counters;
    private final RateLimitedLog rateLimitedLog;
    private final EpochNanoClock epochNanoClock;
    private final ProducerHistories histories;
    private final Flusher flusher;
    private final AppendHistory appendHistory;
    private final RecordHeaderDecoder recordDecoder = new RecordHeaderDecoder();
    private final MessageHeaderDecoder recordHeaderDecoder = new MessageHeaderDecoder();
    private long lastAppendedIndex;
    private long appendedEpochNs;

    JournalWriterAgent(
        final Journal journal,
        final RingBuffer ring,
        final Responder responder,
        final ProducerSessions sessions,
        final BrokerCounters counters,
        final RateLimitedLog rateLimitedLog,
        final EpochNanoClock epochNanoClock,
        final ProducerHistories histories,
        final Flusher flusher,
        final AppendHistory appendHistory)
    {
        this.appendHistory = appendHistory;
        this.histories = histories;
        this.flusher = flusher;
        this.lastAppendedIndex = journal.lastIndex();
        this.journal = journal;
        this.ring = ring;
        this.responder = responder;
        this.sessions = sessions;
        this.counters = counters;
        this.rateLimitedLog = rateLimitedLog;
        this.epochNanoClock = epochNanoClock;
    }

    public String roleName()
    {
        return "journal-writer";
    }

    public int doWork()
    {
        final int limit = Math.min(BATCH_LIMIT, responder.remainingCapacity());
        if (limit <= 0)
        {
            return 0;
        }
        appendedEpochNs = epochNanoClock.nanoTime(); // once per batch, not per record
        final int read = ring.read(this, limit);
        if (read > 0)
        {
            // starts at the journal's last index: a previous run's records are appended
            responder.appendedWatermark(lastAppendedIndex);
            flusher.appended(lastAppendedIndex);
        }
        return read;
    }

    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int slot = buffer.getInt(index + InboundEntry.SESSION_SLOT_OFFSET);
        final int generation = buffer.getInt(index + InboundEntry.SESSION_GENERATION_OFFSET);
        final long deadlineNs = buffer.getLong(index + InboundEntry.DEADLINE_OFFSET);
        if (msgTypeId == InboundEntry.MSG_TYPE_CLOSE)
        {
            onClose(buffer.getLong(index + InboundEntry.CLOSE_PRODUCER_ID_OFFSET), slot, generation);
            return;
        }
        if (msgTypeId == InboundEntry.MSG_TYPE_DUPLICATE)
        {
            onDuplicate(buffer.getLong(index + InboundEntry.DUPLICATE_PRODUCER_ID_OFFSET),
                buffer.getLong(index + InboundEntry.DUPLICATE_SEQUENCE_OFFSET), deadlineNs, slot, generation);
            return;
        }
        final int recordOffset = index + InboundEntry.RECORD_OFFSET;
        final int recordLength = length - InboundEntry.RECORD_OFFSET;
        recordDecoder.wrapAndApplyHeader(buffer, recordOffset, recordHeaderDecoder);
        final long producerId = recordDecoder.producerId();
        final long sequence = recordDecoder.sequence();
        final int bodyLength = recordDecoder.bodyLength();
        final boolean waitStoreMsgOK = SendFlagsDecoder.waitStoreMsgOK((byte)recordDecoder.flags());
        buffer.putLong(recordOffset + JournalRecord.APPENDED_EPOCH_NS_OFFSET, appendedEpochNs);
        final long journalIndex;
        try
        {
            journalIndex = journal.append(buffer, recordOffset, recordLength);
        }
        catch (final RuntimeException ex)
        {
            counters.journalErrors.increment();
            if (rateLimitedLog.admit("journal"))
            {
                rateLimitedLog.warn("journal append failed: " + ex);
            }
            LOG.debug("journal append failure", ex);
            final ProducerHistory history = histories.find(producerId);
            if (null != history)
            {
                history.forget(sequence);
            }
            final ProducerSession session = slot == InboundEntry.NO_RESPONSE ? null : sessions.session(slot, generation);
            if (null != session)
            {
                responder.sendError(session, sequence, ErrorCode.JOURNAL_WRITE_FAILED, "journal append failed: " + ex.getMessage());
            }
            return;
        }
        counters.sendsStored.incrementRelease();
        counters.bytesStored.getAndAddRelease(bodyLength);
        counters.journalLastIndex.setRelease(journalIndex);
        appendHistory.appended(journalIndex, recordLength + JournalRecord.TRAILER_LENGTH, appendedEpochNs / 1_000_000);
        lastAppendedIndex = journalIndex;
        final ProducerHistory history = histories.find(producerId);
        if (slot != InboundEntry.NO_RESPONSE)
        {
            if (null != history)
            {
                history.appended(sequence, journalIndex);
            }
            responder.onAppended(journalIndex, producerId, sequence, deadlineNs, slot, generation, waitStoreMsgOK);
        }
        else if (null != history)
        {
            history.appendedOneway(sequence, journalIndex);
        }
    }

    /**
     * A producer's Close, reached after everything it sent before it: the responder answers it, with how many of its
     * oneway sends are stored, once the answers to those sends have gone out, and then frees the session.
     */
    private void onClose(final long producerId, final int slot, final int generation)
    {
        final ProducerSession session = sessions.session(slot, generation);
        if (null != session && session.producerId == producerId)
        {
            responder.onCloseReached(lastAppendedIndex, session);
        }
    }

    /**
     * A resend of a sequence accepted before. Its original is earlier in the ring, so it has been
     * appended (or failed) by now: answer with the original's index once its watermark passes.
     */
    private void onDuplicate(final long producerId, final long sequence, final long deadlineNs, final int slot, final int generation)
    {
        if (slot == InboundEntry.NO_RESPONSE)
        {
            return;
        }
        final ProducerHistory history = histories.find(producerId);
        final long journalIndex = null == history ? -1 : history.indexOf(sequence);
        if (journalIndex >= 0)
        {
            responder.onAppended(journalIndex, producerId, sequence, deadlineNs, slot, generation, true);
            return;
        }
        final ProducerSession session = sessions.session(slot, generation);
        if (null != session)
        {
            responder.sendError(session, sequence, ErrorCode.JOURNAL_WRITE_FAILED,
                "the first append of this sequence failed and it is no longer known; send it as a new message");
        }
    }
}
