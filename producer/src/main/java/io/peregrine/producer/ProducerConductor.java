package io.peregrine.producer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.aeron.FragmentAssembler;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.CloseEncoder;
import io.peregrine.transport.codec.ConnectAckDecoder;
import io.peregrine.transport.codec.ConnectEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendResponseDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's own thread: handshake, heartbeats, and matching responses to waiting sends.
 */
final class ProducerConductor implements Agent, FragmentHandler
{
    static final int STATE_CONNECTING = 0;
    static final int STATE_CONNECTED = 1;
    static final int STATE_REFUSED = 2;
    static final int STATE_CLOSED = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ProducerConductor.class);
    private static final long CONNECT_RESEND_MS = 250;
    private static final long RELINK_INTERVAL_MS = 500;
    private static final long EXPIRY_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Producer.Context ctx;
    private final long producerId;
    private final int responseSessionId;
    private final Producer producer;
    private final ErrorHandler errorHandler;
    private final int responseSessionIdForLink;
    private ProducerLink link;
    private long nextRelinkMs;
    private final PendingSends pending;
    private final EpochClock clock;
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    // whoever holds it polls the response image: the producer thread, or a thread blocked in send()
    private final AtomicInteger pollFlag = new AtomicInteger();
    private final ControlledFragmentHandler callerHandler = this::onCallerFragment;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SendResponseDecoder responseDecoder = new SendResponseDecoder();
    private final ConnectAckDecoder ackDecoder = new ConnectAckDecoder();
    private final ConnectEncoder connectEncoder = new ConnectEncoder();
    private final CloseEncoder closeEncoder = new CloseEncoder();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(new byte[1024]);
    private final SendStatus[] statuses = SendStatus.values();
    private final AtomicCounter unmatchedResponses;

    private volatile int state = STATE_CONNECTING;
    private volatile int brokerMaxMessageSize;
    private volatile String refusal;
    private volatile ErrorKind refusalKind;
    private final NanoClock nanoClock;
    private final PendingSends.TimeoutText timeoutText;
    private final PendingSends.Resender resender;
    private int responseStreamSessionId;
    private long nextExpiryNs;
    private String responseEndpoint;
    private long lastRequestSentMs;
    private long lastConnectSentMs;
    private final UnsafeBuffer connectBuffer = new UnsafeBuffer(new byte[2048]);
    private int connectLength;
    private long heartbeatIntervalMs = 1000;

    ProducerConductor(
        final Producer.Context ctx,
        final Producer producer,
        final long producerId,
        final int responseSessionId,
        final PendingSends pending,
        final AtomicCounter unmatchedResponses,
        final ErrorHandler errorHandler)
    {
        this.producer = producer;
        this.link = producer.link();
        this.errorHandler = errorHandler;
        this.responseSessionIdForLink = responseSessionId;
        this.ctx = ctx;
        this.producerId = producerId;
        this.responseSessionId = responseSessionId;
        this.pending = pending;
        this.clock = ctx.epochClock();
        this.nanoClock = ctx.nanoClock();
        this.timeoutText = (sequence) -> "no response from broker " + ctx.brokerChannel() + " by the send's deadline for msgId " +
            Protocol.msgId(producerId, sequence);
        this.unmatchedResponses = unmatchedResponses;
        this.resender = producer::resendRetained;
    }

    public String roleName()
    {
        return "peregrine-producer-" + ctx.instanceName();
    }

    public int doWork()
    {
        if (link.isBroken())
        {
            return relink(clock.time());
        }
        int work = producer.sendQueue().drain();
        if (pollFlag.compareAndSet(0, 1))
        {
            try
            {
                work += link.subscription.poll(assembler, 16);
            }
            finally
            {
                pollFlag.set(0);
            }
        }
        final long nowNs = nanoClock.nanoTime();
        if (nowNs - nextExpiryNs >= 0)
        {
            nextExpiryNs = nowNs + EXPIRY_INTERVAL_NS;
            if (pending.inFlight() > 0)
            {
                work += pending.expire(nowNs, timeoutText, resender);
            }
        }
        final long nowMs = clock.time();
        final int state = this.state;
        if (state == STATE_CONNECTED)
        {
            if (!link.publication.isConnected())
            {
                LOG.warn("lost connection to broker {}; reconnecting", ctx.brokerChannel());
                this.state = STATE_CONNECTING;
            }
            else if (nowMs - lastConnectSentMs >= heartbeatIntervalMs)
            {
                // the handshake doubles as the keepalive: a broker that restarted and lost this producer's
                // session learns it again within one interval, even while sends keep flowing
                work += sendConnect(nowMs);
            }
        }
        else if (state != STATE_CLOSED && nowMs - lastConnectSentMs >= CONNECT_RESEND_MS)
        {
            work += sendConnect(nowMs);
        }
        return work;
    }

    private int relink(final long nowMs)
    {
        if (state == STATE_CLOSED || nowMs < nextRelinkMs)
        {
            return 0;
        }
        nextRelinkMs = nowMs + RELINK_INTERVAL_MS;
        if (state != STATE_CONNECTING)
        {
            LOG.warn("producer {} lost its media driver (broker {}); reconnecting", ctx.instanceName(), ctx.brokerChannel());
            state = STATE_CONNECTING;
        }
        if (null != ctx.aeron())
        {
            return 0; // the application's own client: nothing this producer can reopen
        }
        try
        {
            final ProducerLink fresh = ProducerLink.open(ctx, responseSessionIdForLink, errorHandler);
            final ProducerLink old = link;
            while (!pollFlag.compareAndSet(0, 1))
            {
                Thread.onSpinWait(); // a blocked sender is polling the old link's answers: it lets go within one poll
            }
            try
            {
                link = fresh;
                producer.link(fresh);
                old.close();
            }
            finally
            {
                pollFlag.set(0);
            }
            responseEndpoint = null;
            connectLength = 0;
            return 1;
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("reconnect of producer {} failed: {}", ctx.instanceName(), ex.toString());
            return 0;
        }
    }

    private int sendConnect(final long nowMs)
    {
        if (!link.publication.isConnected())
        {
            return 0;
        }
        if (null == responseEndpoint)
        {
            if (ctx.isIpc())
            {
                responseEndpoint = "";
            }
            else
            {
                final String resolved = link.subscription.resolvedEndpoint();
                if (null == resolved)
                {
                    return 0;
                }
                responseEndpoint = resolved;
            }
        }
        if (0 == connectLength)
        {
            // encoded once per link: the keepalive allocates nothing
            connectEncoder.wrapAndApplyHeader(connectBuffer, 0, headerEncoder)
                .producerId(producerId)
                .responseStreamId(Protocol.RESPONSE_STREAM_ID)
                .responseSessionId(responseSessionId)
                .maxMessageSize(ctx.maxMessageSize())
                .responseWindow(Channels.responseWindow(ctx.maxInFlight()))
                .producerGroup(ctx.producerGroup())
                .instanceName(ctx.instanceName())
                .responseEndpoint(responseEndpoint)
                .clientVersion(Protocol.VERSION);
            connectLength = MessageHeaderEncoder.ENCODED_LENGTH + connectEncoder.encodedLength();
        }
        lastConnectSentMs = nowMs; // a back-pressured attempt is not retried before the next interval
        if (producer.sendQueue().offerControl(connectBuffer, connectLength))
        {
            lastRequestSentMs = nowMs;
        }
        return 1;
    }

    /**
     * Record that a send request went out, which also serves as a heartbeat.
     *
     * @param nowMs epoch time.
     */
    void onRequestSent(final long nowMs)
    {
        lastRequestSentMs = nowMs;
    }

    /**
     * For a thread blocked in {@code send}: read answers itself instead of waiting for the producer thread to
     * read them and wake it, which on a small host costs a thread hand-off per send. Only if no one else is
     * reading them, and only answers to blocking sends: an answer to an async send, a connect acknowledgement,
     * a fragment or anything unexpected is left for the producer thread (callbacks run only there), and so is
     * everything behind it.
     *
     * @return answers read.
     */
    int pollForBlockedSender()
    {
        if (state != STATE_CONNECTED || !pollFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            final ProducerLink current = producer.link();
            // a link whose Aeron client died is the producer thread's to replace, as it checks before its own poll
            return current.isBroken() ? 0 : current.subscription.controlledPoll(callerHandler, 16);
        }
        finally
        {
            pollFlag.set(0);
        }
    }

    private ControlledFragmentHandler.Action onCallerFragment(
        final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if ((header.flags() & FrameDescriptor.UNFRAGMENTED) != FrameDescriptor.UNFRAGMENTED ||
            WireFrames.check(headerDecoder, buffer, offset, length) != SendResponseDecoder.TEMPLATE_ID)
        {
            return ControlledFragmentHandler.Action.ABORT;
        }
        responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (responseDecoder.producerId() != producerId || pending.isAsync(responseDecoder.sequence()))
        {
            return ControlledFragmentHandler.Action.ABORT;
        }
        onFragment(buffer, offset, length, header);
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int templateId = WireFrames.check(headerDecoder, buffer, offset, length);
        if (templateId == SendResponseDecoder.TEMPLATE_ID)
        {
            responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (responseDecoder.producerId() != producerId)
            {
                unmatchedResponses.increment();
                return;
            }
            final long sequence = responseDecoder.sequence();
            final long journalIndex = responseDecoder.journalIndex();
            final ErrorCode errorCode = responseDecoder.errorCode();
            final int status = responseDecoder.statusRaw();
            if (errorCode == ErrorCode.NONE && status < statuses.length)
            {
                pending.complete(sequence, status, null, null, journalIndex);
            }
            else
            {
                final String text = responseDecoder.errorText();
                pending.complete(sequence, 0, errorKind(errorCode), text.isEmpty() ? errorCode.name() : text, journalIndex);
            }
        }
        else if (templateId == ConnectAckDecoder.TEMPLATE_ID)
        {
            onConnectAck(buffer, offset, header.sessionId());
        }
        else
        {
            unmatchedResponses.increment();
            LOG.warn("dropped a response from broker {}: {}", ctx.brokerChannel(),
                templateId < 0 ? WireFrames.describe(templateId, headerDecoder, length) : "unexpected template " + templateId);
        }
    }

    private void onConnectAck(final DirectBuffer buffer, final int offset, final int brokerSessionId)
    {
        ackDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (ackDecoder.producerId() != producerId)
        {
            unmatchedResponses.increment();
            return;
        }
        final ErrorCode errorCode = ackDecoder.errorCode();
        final int maxMessageSize = ackDecoder.maxMessageSize();
        final int heartbeatMs = ackDecoder.heartbeatIntervalMs();
        final String brokerVersion = ackDecoder.brokerVersion();
        final String reason = ackDecoder.reason();
        if (errorCode == ErrorCode.NONE)
        {
            brokerMaxMessageSize = maxMessageSize;
            heartbeatIntervalMs = Math.max(1, heartbeatMs);
            if (state != STATE_CONNECTED)
            {
                LOG.info("producer {}/{} connected to broker {} (version {}, maxMessageSize {})",
                    ctx.producerGroup(), ctx.instanceName(), ctx.brokerChannel(), brokerVersion, maxMessageSize);
            }
            // a new response stream means a new broker (or the same one restarted, which may have lost what was in
            // flight), also when it came back too fast for this producer to notice it had gone
            final boolean newBroker = state != STATE_CONNECTED || brokerSessionId != responseStreamSessionId;
            responseStreamSessionId = brokerSessionId;
            state = STATE_CONNECTED;
            if (newBroker && pending.inFlight() > 0)
            {
                pending.resendAll(nanoClock.nanoTime(), resender); // async sends that may be resent, at once
            }
        }
        else if (state != STATE_REFUSED || !reason.equals(refusal))
        {
            refusalKind = errorCode == ErrorCode.PROTOCOL_MISMATCH ? ErrorKind.PROTOCOL_MISMATCH : ErrorKind.CONNECTION_REFUSED;
            refusal = "broker " + ctx.brokerChannel() + " refused producer " + ctx.producerGroup() + "/" + ctx.instanceName() +
                ": " + reason;
            LOG.warn(refusal);
            state = STATE_REFUSED;
        }
    }

    static ErrorKind errorKind(final ErrorCode code)
    {
        switch (code)
        {
            case MESSAGE_TOO_LARGE:
                return ErrorKind.MESSAGE_TOO_LARGE;
            case BROKER_BUSY:
                return ErrorKind.BROKER_BUSY;
            case NOT_CONNECTED:
            case UNKNOWN_PRODUCER:
                return ErrorKind.NOT_CONNECTED;
            case BROKER_IS_SLAVE:
                return ErrorKind.BROKER_IS_SLAVE;
            case JOURNAL_WRITE_FAILED:
                return ErrorKind.JOURNAL_WRITE_FAILED;
            case PROTOCOL_MISMATCH:
                return ErrorKind.PROTOCOL_MISMATCH;
            case INVALID_TOPIC:
                return ErrorKind.INVALID_TOPIC;
            case SHUTTING_DOWN:
                return ErrorKind.SHUTTING_DOWN;
            case TOO_MANY_PRODUCERS:
            case DUPLICATE_PRODUCER:
            case RESPONSE_CHANNEL_REFUSED:
                return ErrorKind.CONNECTION_REFUSED;
            case SEQUENCE_OUTSIDE_WINDOW:
                return ErrorKind.SEQUENCE_OUTSIDE_WINDOW;
            case STORE_FULL:
                return ErrorKind.STORE_FULL;
            default:
                return ErrorKind.INVALID_REQUEST;
        }
    }

    public void onClose()
    {
        if (state == STATE_CONNECTED)
        {
            closeEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder).producerId(producerId);
            producer.sendQueue().drain();
            producer.sendQueue().offerControl(controlBuffer, MessageHeaderEncoder.ENCODED_LENGTH + closeEncoder.encodedLength());
        }
        state = STATE_CLOSED;
        while (!pollFlag.compareAndSet(0, 1))
        {
            Thread.onSpinWait(); // taken for good: no blocked sender polls the link once the producer closes it
        }
        pending.failAll(ErrorKind.CLOSED, "producer closed");
    }

    int state()
    {
        return state;
    }

    int brokerMaxMessageSize()
    {
        return brokerMaxMessageSize;
    }

    String refusal()
    {
        return refusal;
    }

    ErrorKind refusalKind()
    {
        return refusalKind;
    }

    static long msToNs(final long ms)
    {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }
}
