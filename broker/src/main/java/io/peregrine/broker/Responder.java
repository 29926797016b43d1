package io.peregrine.broker;

import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.ConnectAckEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendResponseEncoder;
import io.peregrine.transport.codec.SendStatus;
import org.agrona.DeadlineTimerWheel;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Answers sends. Each send waits in journal-index order for the watermark its policy needs: appended
 * (ASYNC_FLUSH, or waitStoreMsgOK=false) or flushed (SYNC_FLUSH); when the watermark passes it the send is
 * answered SEND_OK. A send waiting for a flush also has its own deadline in a timer wheel: if the flush
 * covering it has not returned by then, that send (and only that one) is answered FLUSH_DISK_TIMEOUT.
 * An answer whose producer's stream is full (back-pressured: the producer, or the driver thread that moves
 * its limit, is behind) is not dropped: it stays at the head of its queue and is offered again on the next
 * duty cycle while the answers behind it wait (a full queue stops the journal writer, then the receiver, and
 * Aeron's flow control pushes back on the producers). Seen in JMH: at a million async sends a second on two
 * cores, the IPC response stream's limit lagged and answers to stored messages were dropped, so their sends
 * timed out. A stream that stays full for {@link #STALL_LIMIT_NS}, or past the send's deadline, marks its
 * producer stalled: that answer and the producer's further blocked answers are dropped and counted (its sends
 * time out) until its stream takes an answer again, so one frozen producer holds the others up once, briefly.
 * Answers to producers that are gone are dropped and counted at once.
 */
final class Responder implements Agent, PendingResponses.Handler, DeadlineTimerWheel.TimerHandler
{
    /**
     * How long an answer may wait for a full response stream before its producer counts as stalled.
     */
    static final long STALL_LIMIT_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final int OFFER_ATTEMPTS = 3;
    private static final int SENT = 0;
    private static final int RETRY = 1;
    private static final int DROPPED = 2;
    private static final int OK_RESPONSE_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + SendResponseEncoder.BLOCK_LENGTH +
        SendResponseEncoder.errorTextHeaderLength();
    private static final int TIMER_POLL_LIMIT = 256;
    private static final long TIMER_TICK_NS = 1L << 20; // about 1 ms; the wheel needs a power of two

    private final ProducerSessions sessions;
    private final BrokerCounters counters;
    private final PendingResponses awaitingAppend;
    private final PendingResponses awaitingFlush;
    private final Flusher flusher;
    private final NanoClock nanoClock;
    private final DeadlineTimerWheel timers;
    private final Long2LongHashMap positionByTimer = new Long2LongHashMap(PendingResponses.NO_TIMER);
    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SendResponseEncoder responseEncoder = new SendResponseEncoder();
    private final ConnectAckEncoder ackEncoder = new ConnectAckEncoder();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);
    private long appendedWatermark = -1;

    /**
     * @param flusher a SYNC_FLUSH broker's flusher, whose watermark answers wait for; null for ASYNC_FLUSH.
     */
    Responder(
        final ProducerSessions sessions,
        final BrokerCounters counters,
        final int pendingCapacity,
        final Flusher flusher,
        final NanoClock nanoClock)
    {
        this.sessions = sessions;
        this.counters = counters;
        this.awaitingAppend = new PendingResponses(pendingCapacity);
        this.awaitingFlush = null == flusher ? null : new PendingResponses(pendingCapacity);
        this.flusher = flusher;
        this.nanoClock = nanoClock;
        this.timers = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nanoClock.nanoTime(), TIMER_TICK_NS, 1024);
    }

    public String roleName()
    {
        return "responder";
    }

    public int doWork()
    {
        int work = awaitingAppend.release(appendedWatermark, this);
        if (null != awaitingFlush)
        {
            work += awaitingFlush.release(flusher.flushedWatermark(), this);
            if (timers.timerCount() > 0)
            {
                work += timers.poll(nanoClock.nanoTime(), this, TIMER_POLL_LIMIT);
            }
        }
        return work;
    }

    int remainingCapacity()
    {
        return null == awaitingFlush ? awaitingAppend.remainingCapacity() :
            Math.min(awaitingAppend.remainingCapacity(), awaitingFlush.remainingCapacity());
    }

    boolean isIdle()
    {
        return awaitingAppend.isEmpty() && (null == awaitingFlush || awaitingFlush.isEmpty());
    }

    /**
     * A send was appended (or a resend found its original); queue its answer behind the watermark its
     * policy needs.
     */
    void onAppended(
        final long journalIndex,
        final long producerId,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration,
        final boolean waitStoreMsgOK)
    {
        if (null != awaitingFlush && waitStoreMsgOK)
        {
            final long position = awaitingFlush.add(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration);
            final long timerId = timers.scheduleTimer(deadlineNs);
            awaitingFlush.timerId(position, timerId);
            positionByTimer.put(timerId, position);
        }
        else
        {
            awaitingAppend.add(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration);
        }
    }

    void appendedWatermark(final long index)
    {
        appendedWatermark = index;
    }

    public boolean onReleased(
        final long journalIndex,
        final long producerId,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration,
        final long timerId)
    {
        if (timerId != PendingResponses.NO_TIMER)
        {
            timers.cancelTimer(timerId);
            positionByTimer.remove(timerId);
        }
        if (answer(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.SEND_OK) != RETRY)
        {
            return true;
        }
        final ProducerSession session = sessions.session(sessionSlot, sessionGeneration); // present: it was just offered to
        final long nowNs = nanoClock.nanoTime();
        final long blockedSinceNs = session.answersBlockedSinceNs;
        if (blockedSinceNs == ProducerSession.NOT_BLOCKED)
        {
            session.answersBlockedSinceNs = nowNs;
        }
        else if (blockedSinceNs == ProducerSession.STALLED || nowNs - blockedSinceNs >= STALL_LIMIT_NS || nowNs - deadlineNs >= 0)
        {
            session.answersBlockedSinceNs = ProducerSession.STALLED;
            counters.responsesDropped.increment();
            return true;
        }
        counters.responsesDelayed.increment();
        return false;
    }

    public void onTimedOut(
        final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
    {
        counters.flushTimeouts.increment();
        if (answer(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.FLUSH_DISK_TIMEOUT) == RETRY)
        {
            counters.responsesDropped.increment(); // answered at its deadline: the producer is about to give up anyway
        }
    }

    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        final long position = positionByTimer.remove(timerId);
        if (position != PendingResponses.NO_TIMER)
        {
            awaitingFlush.answer(position, this);
        }
        return true;
    }

    private int answer(final long journalIndex, final long sequence, final int sessionSlot, final int sessionGeneration, final SendStatus status)
    {
        final ProducerSession session = sessions.session(sessionSlot, sessionGeneration);
        if (null == session)
        {
            counters.responsesDropped.increment();
            return DROPPED;
        }
        return sendResponse(session, sequence, journalIndex, status, ErrorCode.NONE, null);
    }

    /**
     * Answer a send with an error; dropped (and counted) if the producer's stream is full.
     */
    void sendError(final ProducerSession session, final long sequence, final ErrorCode code, final String text)
    {
        counters.sendsRefused.increment();
        if (sendResponse(session, sequence, -1, SendStatus.SEND_OK, code, text) == RETRY)
        {
            counters.responsesDropped.increment();
        }
    }

    /**
     * @return {@link #SENT}; {@link #DROPPED} (counted) if the producer is gone; {@link #RETRY} (not counted) if
     * its stream is full for now.
     */
    private int sendResponse(
        final ProducerSession session,
        final long sequence,
        final long journalIndex,
        final SendStatus status,
        final ErrorCode code,
        final String text)
    {
        if (!session.canRespond())
        {
            counters.responsesDropped.increment();
            return DROPPED;
        }
        final ExclusivePublication publication = session.publication;
        final long result;
        if (null == text)
        {
            result = claim(publication, OK_RESPONSE_LENGTH);
            if (result > 0)
            {
                encode(claim.buffer(), claim.offset(), session.producerId, sequence, journalIndex, status, code).errorText("");
                claim.commit();
            }
        }
        else
        {
            final int length = MessageHeaderEncoder.ENCODED_LENGTH +
                encode(scratch, 0, session.producerId, sequence, journalIndex, status, code).errorText(truncate(text)).encodedLength();
            result = offer(publication, length);
        }
        if (result > 0)
        {
            session.answersBlockedSinceNs = ProducerSession.NOT_BLOCKED;
            return SENT;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            return RETRY;
        }
        counters.responsesDropped.increment(); // not connected, closed or at its end: the producer is gone
        return DROPPED;
    }

    private SendResponseEncoder encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final long producerId,
        final long sequence,
        final long journalIndex,
        final SendStatus status,
        final ErrorCode code)
    {
        return responseEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .producerId(producerId)
            .sequence(sequence)
            .journalIndex(journalIndex)
            .status(status)
            .errorCode(code);
    }

    /**
     * Send a connect acknowledgement (accepted when the session is active, otherwise its refusal).
     *
     * @return true if it went out.
     */
    boolean sendConnectAck(final ProducerSession session, final int maxMessageSize, final int heartbeatMs, final int livenessMs)
    {
        ackEncoder.wrapAndApplyHeader(scratch, 0, headerEncoder)
            .producerId(session.producerId)
            .errorCode(session.refusalCode)
            .maxMessageSize(maxMessageSize)
            .heartbeatIntervalMs(heartbeatMs)
            .livenessTimeoutMs(livenessMs)
            .brokerVersion(Protocol.VERSION)
            .reason(session.refusalReason);
        return offer(session.publication, MessageHeaderEncoder.ENCODED_LENGTH + ackEncoder.encodedLength()) > 0;
    }

    private long claim(final ExclusivePublication publication, final int length)
    {
        long result = Publication.NOT_CONNECTED;
        for (int i = 0; i < OFFER_ATTEMPTS && result <= 0; i++)
        {
            result = publication.tryClaim(length, claim);
        }
        return result;
    }

    private long offer(final ExclusivePublication publication, final int length)
    {
        long result = Publication.NOT_CONNECTED;
        for (int i = 0; i < OFFER_ATTEMPTS && result <= 0; i++)
        {
            result = publication.offer(scratch, 0, length);
        }
        return result;
    }

    private static String truncate(final String text)
    {
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }
}
