package io.peregrine.broker;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.util.concurrent.TimeUnit;

import io.aeron.ControlledFragmentAssembler;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.BatchSendRequestDecoder;
import io.peregrine.transport.codec.CloseDecoder;
import io.peregrine.transport.codec.ConnectDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.HeartbeatDecoder;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.SendFlagsDecoder;
import io.peregrine.transport.codec.SendRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.NanoClock;

/**
 * Takes requests off the UDP and IPC subscriptions, checks every frame, handles handshakes and
 * heartbeats, and hands each valid send to the {@link JournalWriterAgent}, which appends it straight from the
 * request. When the responder cannot queue another answer it stops polling (ABORT), so Aeron's flow control pushes
 * back on the producers.
 */
final class ReceiverAgent implements Agent
{
    private static final int FRAGMENT_LIMIT = 64;
    private static final long RESPONSE_MARGIN_MS = 50;
    private static final int BODY_LENGTH_PREFIX = 4;
    private static final String STORE_FULL_TEXT =
        "the broker's store has less free disk space than its diskSpaceFloor; nothing stored, retry once space is freed";

    private final ProducerSessions sessions;
    private final Responder responder;
    private final BrokerCounters counters;
    private final RateLimitedLog rateLimitedLog;
    private final JournalWriterAgent writer;
    private final int maxMessageSize;
    private final long syncFlushTimeoutMs;
    private final EpochClock epochClock;
    private final EpochNanoClock epochNanoClock;
    private final NanoClock nanoClock;
    private final Subscription udpSubscription;
    private final Subscription ipcSubscription;
    private final ControlledFragmentAssembler udpAssembler;
    private final ControlledFragmentAssembler ipcAssembler;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final SendRequestDecoder sendDecoder = new SendRequestDecoder();
    private final BatchSendRequestDecoder batchDecoder = new BatchSendRequestDecoder();
    private final ConnectDecoder connectDecoder = new ConnectDecoder();
    private final HeartbeatDecoder heartbeatDecoder = new HeartbeatDecoder();
    private final CloseDecoder closeDecoder = new CloseDecoder();
    private final Flusher flusher;
    private final RequestFrames frames = new RequestFrames();
    private long nowMs;
    private long nowNs;
    private long nowEpochNs;
    private volatile boolean accepting = true;
    private volatile boolean stopped;

    ReceiverAgent(
        final BrokerContext ctx,
        final ProducerSessions sessions,
        final Responder responder,
        final BrokerCounters counters,
        final RateLimitedLog rateLimitedLog,
        final JournalWriterAgent writer,
        final EpochNanoClock epochNanoClock,
        final Subscription udpSubscription,
        final Subscription ipcSubscription,
        final Flusher flusher)
    {
        this.flusher = flusher;
        this.sessions = sessions;
        this.responder = responder;
        this.counters = counters;
        this.rateLimitedLog = rateLimitedLog;
        this.writer = writer;
        this.maxMessageSize = ctx.maxMessageSize();
        this.syncFlushTimeoutMs = ctx.syncFlushTimeoutMs();
        this.epochClock = ctx.epochClock();
        this.nanoClock = ctx.nanoClock();
        this.epochNanoClock = epochNanoClock;
        this.udpSubscription = udpSubscription;
        this.ipcSubscription = ipcSubscription;
        udpAssembler = new ControlledFragmentAssembler(
            (buffer, offset, length, header) -> onFragment(buffer, offset, length, header, false, udpSubscription));
        ipcAssembler = null == ipcSubscription ? null : new ControlledFragmentAssembler(
            (buffer, offset, length, header) -> onFragment(buffer, offset, length, header, true, ipcSubscription));
    }

    public String roleName()
    {
        return "receiver";
    }

    public int doWork()
    {
        if (!accepting)
        {
            stopped = true;
            return 0;
        }
        // the clocks are read once per duty cycle, as Aeron's agents do, not once per message
        nowMs = epochClock.time();
        nowNs = nanoClock.nanoTime();
        nowEpochNs = epochNanoClock.nanoTime();
        int work = udpSubscription.controlledPoll(udpAssembler, FRAGMENT_LIMIT);
        if (null != ipcSubscription)
        {
            work += ipcSubscription.controlledPoll(ipcAssembler, FRAGMENT_LIMIT);
        }
        return work;
    }

    /**
     * Stop taking requests; {@link #isStopped()} turns true once the agent has seen it.
     */
    void stopAccepting()
    {
        accepting = false;
    }

    boolean isStopped()
    {
        return stopped;
    }

    private ControlledFragmentHandler.Action onFragment(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header,
        final boolean ipc,
        final Subscription subscription)
    {
        final int templateId = WireFrames.check(headerDecoder, buffer, offset, length);
        switch (templateId)
        {
            case SendRequestDecoder.TEMPLATE_ID:
                return onSend(buffer, offset, length, header, ipc, subscription);
            case BatchSendRequestDecoder.TEMPLATE_ID:
                return onBatch(buffer, offset, length, header, ipc, subscription);
            case ConnectDecoder.TEMPLATE_ID:
                onConnect(buffer, offset, length, header, ipc, subscription);
                break;
            case HeartbeatDecoder.TEMPLATE_ID:
                if (checkBlock(HeartbeatDecoder.BLOCK_LENGTH, length, header, subscription))
                {
                    heartbeatDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                    sessions.onHeartbeat(heartbeatDecoder.producerId(), header.sessionId(), ipc);
                }
                break;
            case CloseDecoder.TEMPLATE_ID:
                return onClose(buffer, offset, length, header, ipc, subscription);
            default:
                if (reject())
                {
                    rejected(templateId < 0 ? WireFrames.describe(templateId, headerDecoder, length) : "unknown template id " + templateId,
                        header, subscription);
                }
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    private boolean checkBlock(final int blockLength, final int length, final Header header, final Subscription subscription)
    {
        if (headerDecoder.blockLength() != blockLength || length < MessageHeaderDecoder.ENCODED_LENGTH + blockLength)
        {
            if (reject())
            {
                rejected("template " + headerDecoder.templateId() + " with block length " + headerDecoder.blockLength() +
                    " in a frame of " + length + " bytes; expected " + blockLength, header, subscription);
            }
            return false;
        }
        return true;
    }

    /**
     * Count a rejected frame.
     *
     * @return true if a line about it may be logged now: then build it and pass it to {@link #rejected}.
     */
    private boolean reject()
    {
        counters.framesRejected.incrementRelease();
        return rateLimitedLog.admit("bad-frame");
    }

    private void rejected(final String why, final Header header, final Subscription subscription)
    {
        rateLimitedLog.warn("rejected frame from " + source(header, subscription) + ": " + why);
    }

    private static String source(final Header header, final Subscription subscription)
    {
        final Image image = subscription.imageBySessionId(header.sessionId());
        return (null == image ? "unknown source" : image.sourceIdentity()) + " session " + header.sessionId();
    }

    /**
     * A producer leaves: everything it sent before is appended by now, so the writer hands its Close to the responder,
     * which answers it (with what it stored of the producer's oneway sends) after the answers to those sends.
     */
    private ControlledFragmentHandler.Action onClose(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header,
        final boolean ipc,
        final Subscription subscription)
    {
        if (!checkBlock(CloseDecoder.BLOCK_LENGTH, length, header, subscription))
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        closeDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final ProducerSession session = sessions.activeSession(closeDecoder.producerId(), header.sessionId(), ipc);
        if (null == session)
        {
            return ControlledFragmentHandler.Action.CONTINUE; // not connected (any more): nothing to close
        }
        if (!responderHasRoom(1))
        {
            return ControlledFragmentHandler.Action.ABORT;
        }
        writer.close(session);
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    private void onConnect(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header,
        final boolean ipc,
        final Subscription subscription)
    {
        if (!checkBlock(ConnectDecoder.BLOCK_LENGTH, length, header, subscription))
        {
            return;
        }
        final String group;
        final String instance;
        final String endpoint;
        connectDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long producerId = connectDecoder.producerId();
        final int responseStreamId = connectDecoder.responseStreamId();
        final int responseSessionId = connectDecoder.responseSessionId();
        final int responseWindow = Math.max(0, Math.min(Channels.MAX_RESPONSE_WINDOW, connectDecoder.responseWindow()));
        if (responseStreamId == Protocol.RESPONSE_STREAM_ID && sessions.onRepeatedConnect(producerId, header.sessionId(), ipc))
        {
            return; // the keepalive of a session this stream already has: nothing to decode, nothing allocated
        }
        if (!frames.checkConnect(buffer, offset, length))
        {
            if (reject())
            {
                rejected("connect frame of " + length + " bytes is truncated: its strings end past it", header, subscription);
            }
            return;
        }
        group = connectDecoder.producerGroup();
        instance = connectDecoder.instanceName();
        endpoint = connectDecoder.responseEndpoint();
        if (responseStreamId != Protocol.RESPONSE_STREAM_ID)
        {
            if (reject())
            {
                rejected("connect asks for responses on stream " + responseStreamId, header, subscription);
            }
            return;
        }
        final Image image = subscription.imageBySessionId(header.sessionId());
        sessions.onConnect(producerId, group, instance, responseSessionId, responseWindow, endpoint, header.sessionId(),
            null == image ? null : image.sourceIdentity(), ipc);
    }

    /**
     * The active session of the producer a request names, if the request comes from that session's stream;
     * otherwise the request is counted and logged as from an unknown producer.
     */
    private ProducerSession knownSession(final long producerId, final Header header, final boolean ipc, final Subscription subscription)
    {
        final ProducerSession session = sessions.activeSession(producerId, header.sessionId(), ipc);
        if (null == session)
        {
            counters.unknownProducer.incrementRelease();
            if (rateLimitedLog.admit("unknown-producer"))
            {
                rateLimitedLog.warn("request from unknown producer " + Long.toHexString(producerId) + " via " +
                    source(header, subscription) + " dropped; it must connect first");
            }
        }
        return session;
    }

    private ControlledFragmentHandler.Action onSend(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header,
        final boolean ipc,
        final Subscription subscription)
    {
        if (!checkBlock(SendRequestDecoder.BLOCK_LENGTH, length, header, subscription))
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        sendDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long producerId = sendDecoder.producerId();
        final long sequence = sendDecoder.sequence();
        final int flags = sendDecoder.flags().getRaw();
        final ProducerSession session = knownSession(producerId, header, ipc, subscription);
        if (null == session)
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        session.lastSeenMs = nowMs;
        if (flusher.storeFull())
        {
            return refuse(session, sequence, flags, ErrorCode.STORE_FULL, STORE_FULL_TEXT);
        }
        if (sequence < 1)
        {
            return refuse(session, sequence, flags, ErrorCode.INVALID_REQUEST, "sequence " + sequence + " is below 1");
        }
        final ErrorCode error = frames.checkSend(buffer, offset, length, maxMessageSize);
        if (error != ErrorCode.NONE)
        {
            return refuse(session, sequence, flags, error, frames.errorText());
        }
        if (refuseOutsideWindow(session, sequence, flags))
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        return enqueue(session, sequence, flags, sendDecoder.timeBudgetMs(), buffer, frames.topicOffset(), frames.topicLength(),
            frames.bodyOffset(), frames.bodyLength()) ?
            ControlledFragmentHandler.Action.CONTINUE : ControlledFragmentHandler.Action.ABORT;
    }

    private boolean refuseOutsideWindow(final ProducerSession session, final long sequence, final int flags)
    {
        if (SendFlagsDecoder.resend((byte)flags) && session.history.classify(sequence) == ProducerHistory.OUTSIDE_WINDOW)
        {
            refuse(session, sequence, flags, ErrorCode.SEQUENCE_OUTSIDE_WINDOW, "sequence " + sequence +
                " is more than " + ProducerHistory.WINDOW + " below the highest seen (" + session.history.highest() +
                "): the broker cannot tell whether it was stored, so it does not store it");
            return true;
        }
        return false;
    }

    /**
     * Hand one send to the writer, which appends it now, or answers a resend of a sequence accepted before with the
     * original's index.
     *
     * @return false if the responder has no room for its answer now: the caller aborts the fragment and Aeron keeps it.
     */
    private boolean enqueue(
        final ProducerSession session,
        final long sequence,
        final int flags,
        final int timeBudgetMs,
        final DirectBuffer buffer,
        final int topicOffset,
        final int topicLength,
        final int bodyOffset,
        final int bodyLength)
    {
        final int slot = SendFlagsDecoder.oneway((byte)flags) ? JournalWriterAgent.NO_RESPONSE : session.slot;
        if (slot != JournalWriterAgent.NO_RESPONSE && !responderHasRoom(1))
        {
            return false;
        }
        final ProducerHistory history = session.history;
        final int seen = history.classify(sequence);
        final long deadlineNs = nowNs + TimeUnit.MILLISECONDS.toNanos(
            Math.min(syncFlushTimeoutMs, Math.max(0, timeBudgetMs - RESPONSE_MARGIN_MS)));
        if (seen == ProducerHistory.DUPLICATE)
        {
            counters.duplicatesReceived.incrementRelease();
            writer.duplicate(session, slot, sequence, deadlineNs);
            return true;
        }
        if (seen == ProducerHistory.NEW)
        {
            history.accept(sequence);
        }
        // else: a first attempt that arrives after more than WINDOW newer sequences (its thread was descheduled
        // between taking a sequence and sending). It cannot be a duplicate, so it is stored, but not remembered:
        // a resend of it would be outside the window and refused.
        counters.sendsReceived.incrementRelease();
        writer.append(session, slot, sequence, flags, deadlineNs, nowEpochNs, buffer, topicOffset, topicLength, bodyOffset, bodyLength);
        return true;
    }

    /**
     * Whether the responder can queue this many more answers now; counts a back-off if not.
     */
    private boolean responderHasRoom(final int answers)
    {
        if (responder.remainingCapacity() >= answers)
        {
            return true;
        }
        counters.receiverBackedOff.incrementRelease();
        return false;
    }

    private ControlledFragmentHandler.Action onBatch(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header,
        final boolean ipc,
        final Subscription subscription)
    {
        if (!checkBlock(BatchSendRequestDecoder.BLOCK_LENGTH, length, header, subscription))
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        batchDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long producerId = batchDecoder.producerId();
        final long baseSequence = batchDecoder.baseSequence();
        final int flags = batchDecoder.flags().getRaw();
        final int timeBudgetMs = batchDecoder.timeBudgetMs();
        final ProducerSession session = knownSession(producerId, header, ipc, subscription);
        if (null == session)
        {
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        session.lastSeenMs = nowMs;
        if (flusher.storeFull())
        {
            final int countOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH + BatchSendRequestDecoder.BLOCK_LENGTH + 2;
            final int count = countOffset + 2 <= offset + length ? buffer.getShort(countOffset, LITTLE_ENDIAN) & 0xFFFF : 1;
            return refuseBatch(session, baseSequence, Math.max(1, count), flags, ErrorCode.STORE_FULL, STORE_FULL_TEXT);
        }

        // every length checked against the frame before anything is enqueued
        final ErrorCode error = frames.checkBatch(buffer, offset, length, maxMessageSize);
        final int count = frames.count();
        if (baseSequence < 1 || baseSequence > Long.MAX_VALUE - count)
        {
            return refuseBatch(session, baseSequence, 1, flags, ErrorCode.INVALID_REQUEST, "base sequence " + baseSequence +
                " is below 1 or too close to the largest sequence");
        }
        if (error != ErrorCode.NONE)
        {
            return refuseBatch(session, baseSequence, count, flags, error, frames.errorText());
        }
        // answers for the whole batch or none of it: wait (ABORT) until the responder has room for all of them
        if (!SendFlagsDecoder.oneway((byte)flags) && !responderHasRoom(count))
        {
            return count > responder.capacity() ?
                refuseBatch(session, baseSequence, count, flags, ErrorCode.MESSAGE_TOO_LARGE, "batch of " + count +
                " messages is more than the broker can answer at once (" + responder.capacity() + "); send fewer messages per batch") :
                ControlledFragmentHandler.Action.ABORT;
        }
        final int topicOffset = frames.topicOffset();
        final int topicLength = frames.topicLength();
        final int entryBlockLength = frames.entryBlockLength();
        int position = frames.firstEntryOffset();
        for (int i = 0; i < count; i++)
        {
            position += entryBlockLength;
            final int bodyLength = buffer.getInt(position, LITTLE_ENDIAN);
            final long sequence = baseSequence + i;
            if (!refuseOutsideWindow(session, sequence, flags) && !enqueue(
                session, sequence, flags, timeBudgetMs, buffer, topicOffset, topicLength, position + BODY_LENGTH_PREFIX, bodyLength))
            {
                refuse(session, sequence, flags, ErrorCode.BROKER_BUSY, "no room for the answer mid-batch");
            }
            position += BODY_LENGTH_PREFIX + bodyLength;
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    private ControlledFragmentHandler.Action refuseBatch(
        final ProducerSession session, final long baseSequence, final int count, final int flags, final ErrorCode code, final String text)
    {
        for (int i = 0; i < count; i++)
        {
            refuse(session, baseSequence + i, flags, code, text);
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    private ControlledFragmentHandler.Action refuse(
        final ProducerSession session, final long sequence, final int flags, final ErrorCode code, final String text)
    {
        if (rateLimitedLog.admit(code.name()))
        {
            rateLimitedLog.warn("refused msgId " + Protocol.msgId(session.producerId, sequence) + " from " +
                session.describe() + ": " + text);
        }
        if (!SendFlagsDecoder.oneway((byte)flags))
        {
            responder.sendError(session, sequence, code, text);
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }
}
