package io.peregrine.broker;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.SendFlagsDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends each send the receiver hands over to the journal, straight from the request it came in: the record header
 * is encoded here and the body copied once, into the queue. Runs on the receiver's thread, so every call finishes its
 * append before the next request is looked at, and the order of the requests is the order of the journal. Once per
 * duty cycle it advances the appended watermark for the responder and the flusher.
 *
 * <p>Until 2026-12 an inbound ring stood between the receiver and this writer; with both on one thread it only added a
 * copy of every record (InboundHopBenchmark in the JMH suite measures the two ways).
 */
final class JournalWriterAgent implements Agent
{
    /**
     * Session slot of a oneway send: stored, never answered.
     */
    static final int NO_RESPONSE = -1;

    private static final Logger LOG = LoggerFactory.getLogger(JournalWriterAgent.class);

    private final Journal journal;
    private final Responder responder;
    private final BrokerCounters counters;
    private final RateLimitedLog rateLimitedLog;
    private final EpochNanoClock epochNanoClock;
    private final Flusher flusher;
    private final AppendHistory appendHistory;
    private final RecordHeaderEncoder recordEncoder = new RecordHeaderEncoder();
    private final MessageHeaderEncoder recordHeaderEncoder = new MessageHeaderEncoder();
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 0)]);
    private boolean watermarkMoved = true; // at start: to the journal's last index, so resends of a previous run's records are answered
    private boolean clockRead;
    private long lastAppendedIndex;
    private long appendedEpochNs;

    JournalWriterAgent(
        final Journal journal,
        final Responder responder,
        final BrokerCounters counters,
        final RateLimitedLog rateLimitedLog,
        final EpochNanoClock epochNanoClock,
        final Flusher flusher,
        final AppendHistory appendHistory)
    {
        this.appendHistory = appendHistory;
        this.flusher = flusher;
        this.lastAppendedIndex = journal.lastIndex();
        this.journal = journal;
        this.responder = responder;
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
        if (watermarkMoved)
        {
            responder.appendedWatermark(lastAppendedIndex);
            flusher.appended(lastAppendedIndex);
            watermarkMoved = false;
        }
        clockRead = false;
        return 0; // the receiver counted the requests as its work
    }

    /**
     * Append a send, then queue its answer (unless it is oneway) or answer its failure. The caller checked that the
     * responder has room for the answer.
     *
     * @param sessionSlot {@link #NO_RESPONSE} for a oneway send, else the session's slot.
     * @param buffer      holding the request: the topic and the body are taken from it.
     */
    void append(
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
        if (!clockRead)
        {
            appendedEpochNs = epochNanoClock.nanoTime(); // once per duty cycle, not per record
            clockRead = true;
        }
        final int headerLength = JournalRecord.encodeHeader(recordEncoder, recordHeaderEncoder, header, 0, session.producerId, sequence,
            receivedEpochNs, flags, buffer, topicOffset, topicLength, bodyLength);
        header.putLong(JournalRecord.APPENDED_EPOCH_NS_OFFSET, appendedEpochNs);
        append(session, sessionSlot, sequence, flags, deadlineNs, headerLength, buffer, bodyOffset, bodyLength);
    }

    private void append(
        final ProducerSession session,
        final int slot,
        final long sequence,
        final int flags,
        final long deadlineNs,
        final int headerLength,
        final DirectBuffer body,
        final int bodyOffset,
        final int bodyLength)
    {
        final long journalIndex;
        try
        {
            journalIndex = journal.append(header, 0, headerLength, body, bodyOffset, bodyLength);
        }
        catch (final RuntimeException ex)
        {
            counters.journalErrors.increment();
            if (rateLimitedLog.admit("journal"))
            {
                rateLimitedLog.warn("journal append failed: " + ex);
            }
            LOG.debug("journal append failure", ex);
            session.history.forget(sequence);
            if (slot != NO_RESPONSE)
            {
                responder.sendError(session, sequence, ErrorCode.JOURNAL_WRITE_FAILED, "journal append failed: " + ex.getMessage());
            }
            return;
        }
        counters.sendsStored.incrementRelease();
        counters.bytesStored.getAndAddRelease(bodyLength);
        counters.journalLastIndex.setRelease(journalIndex);
        appendHistory.appended(journalIndex, headerLength + bodyLength + JournalRecord.TRAILER_LENGTH, appendedEpochNs / 1_000_000);
        lastAppendedIndex = journalIndex;
        watermarkMoved = true;
        if (slot != NO_RESPONSE)
        {
            session.history.appended(sequence, journalIndex);
            responder.onAppended(journalIndex, session.producerId, sequence, deadlineNs, slot, session.generation,
                SendFlagsDecoder.waitStoreMsgOK((byte)flags));
        }
        else
        {
            session.history.appendedOneway(sequence, journalIndex);
        }
    }

    /**
     * A producer's Close, reached after everything it sent before it: the responder answers it, with how many of its
     * oneway sends are stored, once the answers to those sends have gone out, and then frees the session. The caller
     * checked that the responder has room for it.
     */
    void close(final ProducerSession session)
    {
        responder.onCloseReached(lastAppendedIndex, session);
    }

    /**
     * A resend of a sequence accepted before. Its original came in before it, so it has been appended (or failed)
     * by now: answer with the original's index once its watermark passes. The caller checked that the responder has
     * room for the answer.
     *
     * @param sessionSlot {@link #NO_RESPONSE} for a oneway send, else the session's slot.
     */
    void duplicate(final ProducerSession session, final int sessionSlot, final long sequence, final long deadlineNs)
    {
        if (sessionSlot == NO_RESPONSE)
        {
            return;
        }
        final long journalIndex = session.history.indexOf(sequence);
        if (journalIndex >= 0)
        {
            responder.onAppended(journalIndex, session.producerId, sequence, deadlineNs, sessionSlot, session.generation, true);
        }
        else
        {
            responder.sendError(session, sequence, ErrorCode.JOURNAL_WRITE_FAILED,
                "the first append of this sequence failed and it is no longer known; send it as a new message");
        }
    }
}
