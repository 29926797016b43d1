package io.peregrine.broker;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.CloseAckEncoder;
import io.peregrine.transport.codec.ConnectAckEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendResponseEncoder;
import io.peregrine.transport.codec.SendStatus;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The responder's publication side: encodes answers, handshake and close acknowledgements onto a producer's response
 * stream, an answer without error text in place through {@code tryClaim}. Says whether each went out, must wait
 * (back-pressured), or never will (the producer is gone). Pipeline thread only, or the closing thread once the
 * pipeline has stopped.
 */
final class ResponsePublisher
{
    static final int SENT = 0;
    static final int RETRY = 1;
    static final int DROPPED = 2;

    private static final int ADMIN_ACTION_RETRIES = 2;
    private static final int OK_RESPONSE_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + SendResponseEncoder.BLOCK_LENGTH +
        SendResponseEncoder.errorTextHeaderLength();

    private final BrokerCounters counters;
    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SendResponseEncoder responseEncoder = new SendResponseEncoder();
    private final ConnectAckEncoder ackEncoder = new ConnectAckEncoder();
    private final CloseAckEncoder closeAckEncoder = new CloseAckEncoder();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);

    ResponsePublisher(final BrokerCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Answer one send.
     *
     * @return {@link #SENT}; {@link #DROPPED} (counted) if the producer is gone; {@link #RETRY} (not counted) if
     * its stream is full for now.
     */
    int sendResponse(
        final ProducerSession session,
        final long sequence,
        final long journalIndex,
        final SendStatus status,
        final ErrorCode code,
        final String text)
    {
        if (!session.canRespond())
        {
            counters.responsesDropped.incrementRelease();
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
        counters.responsesDropped.incrementRelease(); // not connected, closed or at its end: the producer is gone
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

    /**
     * Answer a producer's Close: every request it sent before has been appended.
     *
     * @return true if it went out.
     */
    boolean sendCloseAck(final ProducerSession session, final long onewayStored)
    {
        if (!session.canRespond())
        {
            return false;
        }
        closeAckEncoder.wrapAndApplyHeader(scratch, 0, headerEncoder)
            .producerId(session.producerId)
            .onewayStored(onewayStored);
        return offer(session.publication, MessageHeaderEncoder.ENCODED_LENGTH + closeAckEncoder.encodedLength()) > 0;
    }

    /**
     * Claim room for an answer; only ADMIN_ACTION (a term rotation) is worth trying again at once: back-pressure is
     * for the next duty cycle, and NOT_CONNECTED or CLOSED will not change now.
     */
    private long claim(final ExclusivePublication publication, final int length)
    {
        long result;
        int attempts = ADMIN_ACTION_RETRIES;
        do
        {
            result = publication.tryClaim(length, claim);
        }
        while (result == Publication.ADMIN_ACTION && attempts-- > 0);
        return result;
    }

    private long offer(final ExclusivePublication publication, final int length)
    {
        long result;
        int attempts = ADMIN_ACTION_RETRIES;
        do
        {
            result = publication.offer(scratch, 0, length);
        }
        while (result == Publication.ADMIN_ACTION && attempts-- > 0);
        return result;
    }

    private static String truncate(final String text)
    {
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }
}
