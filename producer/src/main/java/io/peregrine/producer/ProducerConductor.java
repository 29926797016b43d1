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
import io.peregrine.transport.codec.CloseAckDecoder;
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

    /**
     * What {@link #pollForBlockedSender()} returns when the next answer is the producer thread's to read.
     */
    static final int LEFT_FOR_PRODUCER_THREAD = -1;

    private static final Logger LOG = LoggerFactory.getLogger(ProducerConductor.class);
    private static final long CONNECT_RESEND_MS = 250;
    private static final long RELINK_INTERVAL_MS = 500;
    private static final long EXPIRY_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Producer.Context ctx;
    private final long producerId;
    private final int responseSessionId;
    private final Producer producer;
    private final ErrorHandler errorHandler;
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
    private final CloseAckDecoder closeAckDecoder = new CloseAckDecoder();
    private final ConnectEncoder connectEncoder = new ConnectEncoder();
    private final CloseEncoder closeEncoder = new CloseEncoder();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(new byte[1024]);
    private final SendStatus[] statuses = SendStatus.values();

    private volatile int state = STATE_CONNECTING;
    private volatile boolean closeRequested;
    private volatile boolean closeSettled;
    private volatile long onewayStored = -1;
    private boolean closeSent;
    private boolean callerAborted; // written and read only while holding the poll flag
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
        final ErrorHandler errorHandler)
    {
        this.producer = producer;
        this.link = producer.link();
        this.errorHandler = errorHandler;
        this.ctx = ctx;
        this.producerId = producerId;
        this.responseSessionId = responseSessionId;
        this.pending = pending;
        this.clock = ctx.epochClock();
        this.nanoClock = ctx.nanoClock();
        this.timeoutText = (sequence) -> "no response from broker " + ctx.brokerChannel() + " by the send's deadline for msgId " +
            Protocol.msgId(producerId, sequence);
        this.resender = producer::resendRetained;
    }

    public String roleName()
    {
        return "peregrine-producer-" + ctx.instanceName();
    }

    public int doWork()
    {
        if (closeRequested && !closeSettled)
        {
            progressClose();
        }
        if (link.isBroken())
        {
            return closeRequested ? 0 : relink(clock.time());
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

    /**
     * Ask for an orderly close: drain the send queue, send Close, and take the broker's CloseAck, which says that
     * everything sent before it is stored; {@link #isCloseSettled()} turns true then, or at once if not connected.
     */
    void requestClose()
    {
        closeRequested = true;
    }

    /**
     * @return true once a requested close has been acknowledged by the broker, or there was no broker to ask.
     */
    boolean isCloseSettled()
    {
        return closeSettled;
    }

    /**
     * @return oneway sends the broker said it stored (from its CloseAck), or -1 if it did not say.
     */
    long onewayStored()
    {
        return onewayStored;
    }

    private int progressClose()
    {
        if (state != STATE_CONNECTED || link.isBroken() || link.responsesEnded())
        {
            // nobody to drain to, or nobody left to answer (a broker that stopped closed its response stream): what
            // was not confirmed is reported as such
            closeSettled = true;
            return 1;
        }
        if (closeSent || producer.sendQueue().queued() > 0)
        {
            return 0;
        }
        closeEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder).producerId(producerId);
        closeSent = producer.sendQueue().offerControl(controlBuffer, MessageHeaderEncoder.ENCODED_LENGTH + closeEncoder.encodedLength());
        return closeSent ? 1 : 0;
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
            final ProducerLink fresh = ProducerLink.open(ctx, responseSessionId, errorHandler);
            final ProducerLink old = link;
            // no application thread may be offering to the old publication, nor a blocked sender polling the old
            // image, while it closes: each lets go within one drain or one poll
            producer.sendQueue().lock();
            while (!pollFlag.compareAndSet(0, 1))
            {
                Thread.onSpinWait();
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
                producer.sendQueue().unlock();
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
     * @return answers read; {@link #LEFT_FOR_PRODUCER_THREAD} if the next answer is the producer thread's to read,
     * so the caller should let that thread have the flag rather than take it again at once.
     */
    int pollForBlockedSender()
    {
        // read before the CAS: a spinning sender must not keep taking the line from the producer thread's CAS
        if (state != STATE_CONNECTED || pollFlag.get() != 0 || !pollFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            final ProducerLink current = producer.link();
            // a link whose Aeron client died is the producer thread's to replace, as it checks before its own poll
            if (current.isBroken())
            {
                return 0;
            }
            callerAborted = false;
            final int read = current.subscription.controlledPoll(callerHandler, 16);
            return read == 0 && callerAborted ? LEFT_FOR_PRODUCER_THREAD : read;
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
            callerAborted = true;
            return ControlledFragmentHandler.Action.ABORT;
        }
        responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (responseDecoder.producerId() != producerId || pending.isAsync(responseDecoder.sequence()))
        {
            callerAborted = true;
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
                return; // not this producer's (a broker bug or a stray stream): nothing waits for it
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
        else if (templateId == CloseAckDecoder.TEMPLATE_ID)
        {
            onCloseAck(buffer, offset);
        }
        else
        {
            LOG.warn("dropped a response from broker {}: {}", ctx.brokerChannel(),
                templateId < 0 ? WireFrames.describe(templateId, headerDecoder, length) : "unexpected template " + templateId);
        }
    }

    /**
     * The broker ended this producer's session: the answer to its Close, or a broker that is stopping. Either way
     * everything it took from this producer is stored, and the ack says how many oneway sends that was.
     */
    private void onCloseAck(final DirectBuffer buffer, final int offset)
    {
        closeAckDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (closeAckDecoder.producerId() != producerId)
        {
            return;
        }
        onewayStored = closeAckDecoder.onewayStored();
        if (closeRequested)
        {
            closeSent = true; // the session is gone: nothing more to send
            closeSettled = true;
        }
        else if (state == STATE_CONNECTED)
        {
            LOG.warn("broker {} ended the session of producer {}/{} (it is stopping); reconnecting", ctx.brokerChannel(),
                ctx.producerGroup(), ctx.instanceName());
            state = STATE_CONNECTING;
        }
    }

    private void onConnectAck(final DirectBuffer buffer, final int offset, final int brokerSessionId)
    {
        ackDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (ackDecoder.producerId() != producerId)
        {
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
        if (state == STATE_CONNECTED && !closeSent)
        {
            // the orderly close ran out of time before Close went out: still tell the broker to free the session
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
}
