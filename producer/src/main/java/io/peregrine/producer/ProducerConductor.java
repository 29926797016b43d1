package io.peregrine.producer;

import java.util.concurrent.TimeUnit;

import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.CloseEncoder;
import io.peregrine.transport.codec.ConnectAckDecoder;
import io.peregrine.transport.codec.ConnectEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's own thread (Aeron's ClientConductor role): the handshake and its keepalive, draining what
 * application threads left in the send queue, reading answers when no blocked sender does, timing out and resending
 * async sends, replacing the link when the media driver goes, and the orderly close. Its state is read by any thread.
 */
final class ProducerConductor implements Agent, ResponseReader.Listener
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
    private final ErrorHandler errorHandler;
    private final PendingSends pending;
    private final SendQueue queue;
    private final ResponseReader reader;
    private final EpochClock clock;
    private final NanoClock nanoClock;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ConnectEncoder connectEncoder = new ConnectEncoder();
    private final CloseEncoder closeEncoder = new CloseEncoder();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(new byte[1024]);
    private final UnsafeBuffer connectBuffer = new UnsafeBuffer(new byte[2048]);
    private PendingSends.Resender resender = (slot, nowNs) -> false;

    private volatile ProducerLink link;
    private volatile int state = STATE_CONNECTING;
    private volatile boolean closeRequested;
    private volatile boolean closeSettled;
    private volatile long onewayStored = -1;
    private volatile int brokerMaxMessageSize;
    private volatile String refusal;
    private volatile ErrorKind refusalKind;
    private boolean closeSent;
    private volatile int responseStreamSessionId;
    private long nextExpiryNs;
    private long nextRelinkMs;
    private String responseEndpoint;
    private long lastConnectSentMs;
    private int connectLength;
    private long heartbeatIntervalMs = 1000;

    ProducerConductor(
        final Producer.Context ctx,
        final long producerId,
        final int responseSessionId,
        final ProducerLink link,
        final PendingSends pending,
        final ErrorHandler errorHandler)
    {
        this.ctx = ctx;
        this.producerId = producerId;
        this.responseSessionId = responseSessionId;
        this.link = link;
        this.pending = pending;
        this.errorHandler = errorHandler;
        this.clock = ctx.epochClock();
        this.nanoClock = ctx.nanoClock();
        this.queue = new SendQueue(ctx.sendQueueLength() + RingBufferDescriptor.TRAILER_LENGTH, this::link);
        this.reader = new ResponseReader(producerId, ctx.brokerChannel(), pending, this);
    }

    /**
     * @param resender hands a retained async request to the send queue again.
     */
    void resender(final PendingSends.Resender resender)
    {
        this.resender = resender;
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
        final ProducerLink link = this.link;
        if (link.isBroken())
        {
            return closeRequested ? 0 : relink(clock.time());
        }
        int work = queue.drain();
        work += reader.poll(link.subscription);
        final long nowNs = nanoClock.nanoTime();
        if (nowNs - nextExpiryNs >= 0)
        {
            nextExpiryNs = nowNs + EXPIRY_INTERVAL_NS;
            if (pending.inFlight() > 0)
            {
                work += pending.expire(nowNs, resender);
            }
        }
        work += pending.dispatchCallbacks(); // outside the poll: a slow callback never holds the response stream
        final long nowMs = clock.time();
        final int state = this.state;
        if (state == STATE_CONNECTED)
        {
            if (!link.publication.isConnected())
            {
                LOG.warn("lost connection to broker {}; reconnecting", ctx.brokerChannel());
                this.state = STATE_CONNECTING;
            }
            else if (!closeRequested && nowMs - lastConnectSentMs >= heartbeatIntervalMs)
            {
                // the handshake doubles as the keepalive: a broker that restarted and lost this producer's
                // session learns it again within one interval, even while sends keep flowing
                work += sendConnect(nowMs);
            }
        }
        else if (state != STATE_CLOSED && !closeRequested && nowMs - lastConnectSentMs >= CONNECT_RESEND_MS)
        {
            work += sendConnect(nowMs);
        }
        return work;
    }

    /**
     * Ask for an orderly close: drain the send queue, send Close, and take the broker's CloseAck, which says that
     * everything sent before it is stored; {@link #isCloseSettled()} turns true then, or at once if not connected.
     * From now on application threads hand nothing more over.
     */
    void requestClose()
    {
        closeRequested = true;
    }

    /**
     * @return true once {@link #requestClose()} was called: the producer takes no more sends.
     */
    boolean isCloseRequested()
    {
        return closeRequested;
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

    private void progressClose()
    {
        final ProducerLink link = this.link;
        if (state != STATE_CONNECTED || link.isBroken() || link.responsesEnded())
        {
            // nobody to drain to, or nobody left to answer (a broker that stopped closed its response stream): what
            // was not confirmed is reported as such
            closeSettled = true;
            return;
        }
        if (!closeSent && queue.queued() == 0)
        {
            closeSent = offerClose();
        }
    }

    private boolean offerClose()
    {
        closeEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder).producerId(producerId);
        return queue.offerControl(controlBuffer, MessageHeaderEncoder.ENCODED_LENGTH + closeEncoder.encodedLength());
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
            queue.lock();
            reader.lock();
            try
            {
                link = fresh;
                old.close();
            }
            finally
            {
                reader.unlock();
                queue.unlock();
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
        final ProducerLink link = this.link;
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
        queue.offerControl(connectBuffer, connectLength);
        return 1;
    }

    /**
     * For a thread blocked in {@code send}: read answers to blocking sends, see {@link ResponseReader}.
     *
     * @return answers read, or {@link ResponseReader#LEFT_FOR_PRODUCER_THREAD}.
     */
    int pollForBlockedSender()
    {
        return state == STATE_CONNECTED ? reader.pollForBlockedSender(link) : 0;
    }

    public boolean isKeepalive(final ConnectAckDecoder ack, final int brokerSessionId)
    {
        return state == STATE_CONNECTED && brokerSessionId == responseStreamSessionId && ack.errorCode() == ErrorCode.NONE &&
            ack.maxMessageSize() == brokerMaxMessageSize;
    }

    public void onConnectAck(final ConnectAckDecoder ack, final int brokerSessionId)
    {
        final ErrorCode errorCode = ack.errorCode();
        if (errorCode == ErrorCode.NONE)
        {
            brokerMaxMessageSize = ack.maxMessageSize();
            heartbeatIntervalMs = Math.max(1, ack.heartbeatIntervalMs());
            if (state != STATE_CONNECTED)
            {
                // the strings are decoded only here, not for each keepalive's answer
                LOG.info("producer {}/{} connected to broker {} (version {}, maxMessageSize {})",
                    ctx.producerGroup(), ctx.instanceName(), ctx.brokerChannel(), ack.brokerVersion(), brokerMaxMessageSize);
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
            return;
        }
        ack.skipBrokerVersion();
        final String reason = ack.reason();
        if (state != STATE_REFUSED || !reason.equals(refusal))
        {
            refusalKind = errorCode == ErrorCode.PROTOCOL_MISMATCH ? ErrorKind.PROTOCOL_MISMATCH :
                errorCode == ErrorCode.BROKER_IS_SLAVE ? ErrorKind.BROKER_IS_SLAVE : ErrorKind.CONNECTION_REFUSED;
            refusal = "broker " + ctx.brokerChannel() + " refused producer " + ctx.producerGroup() + "/" + ctx.instanceName() +
                ": " + reason;
            LOG.warn(refusal);
            state = STATE_REFUSED;
        }
    }

    /**
     * The broker ended this producer's session: the answer to its Close, or a broker that is stopping. Either way
     * everything it took from this producer is stored, and the ack says how many oneway sends that was.
     */
    public void onCloseAck(final long onewayStored)
    {
        this.onewayStored = onewayStored;
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

    public void onClose()
    {
        if (state == STATE_CONNECTED && !closeSent)
        {
            // the orderly close ran out of time before Close went out: still tell the broker to free the session
            queue.drain();
            offerClose();
        }
        state = STATE_CLOSED;
        reader.lock(); // taken for good: no blocked sender polls the link once the producer closes it
        pending.failAll(ErrorKind.CLOSED, "producer closed");
        pending.dispatchCallbacks();
    }

    /**
     * Why a send cannot be made now, as a flow-control code.
     *
     * @return 0 if connected, {@link Producer#CLOSED} or {@link Producer#NOT_CONNECTED}.
     * @throws SendException if the broker refused this producer (a caller must not retry that).
     */
    long notReady()
    {
        if (closeRequested)
        {
            return Producer.CLOSED;
        }
        final int state = this.state;
        if (state == STATE_REFUSED)
        {
            throw new SendException(refusalKind, refusal);
        }
        return state == STATE_CONNECTED ? 0 : Producer.NOT_CONNECTED;
    }

    /**
     * Check a body against the broker's limit and this producer's publication.
     *
     * @throws SendException with {@link ErrorKind#MESSAGE_TOO_LARGE} naming both sizes.
     */
    void checkSize(final int length)
    {
        final int brokerMax = brokerMaxMessageSize;
        if (length > brokerMax)
        {
            throw new SendException(ErrorKind.MESSAGE_TOO_LARGE, "message body of " + length +
                " bytes is over the broker's maxMessageSize of " + brokerMax + " bytes");
        }
        final int frameMax = link.publication.maxMessageLength() - Protocol.MAX_SEND_REQUEST_OVERHEAD;
        if (length > frameMax)
        {
            throw new SendException(ErrorKind.MESSAGE_TOO_LARGE, "message body of " + length +
                " bytes is over this producer's limit of " + frameMax + " bytes (raise Producer.Context.maxMessageSize)");
        }
    }

    /**
     * Check a batch's bodies together against the broker's limit and this producer's publication.
     *
     * @throws SendException with {@link ErrorKind#MESSAGE_TOO_LARGE} naming both sizes.
     */
    void checkBatchSize(final long total, final int count)
    {
        final int brokerMax = brokerMaxMessageSize;
        if (total > brokerMax)
        {
            throw new SendException(ErrorKind.MESSAGE_TOO_LARGE, "batch bodies total " + total +
                " bytes, over the broker's maxMessageSize of " + brokerMax + " bytes");
        }
        final int frameMax = link.publication.maxMessageLength();
        if (total + Protocol.MAX_SEND_REQUEST_OVERHEAD + 4L * count > frameMax)
        {
            throw new SendException(ErrorKind.MESSAGE_TOO_LARGE, "batch of " + total + " body bytes is over this producer's " +
                "limit of " + frameMax + " bytes per request (raise Producer.Context.maxMessageSize)");
        }
    }

    /**
     * @return true while threads blocked in {@code send} can read their own answers: connected, not closing, and the
     * link whole and connected. Otherwise only the producer thread moves things on (handshake, reconnect, close).
     */
    boolean sendersCanRead()
    {
        final ProducerLink link = this.link;
        return state == STATE_CONNECTED && !closeRequested && !link.isBroken() && link.publication.isConnected();
    }

    long answersReadBySenders()
    {
        return reader.readBySenders();
    }

    ProducerLink link()
    {
        return link;
    }

    SendQueue queue()
    {
        return queue;
    }

    int state()
    {
        return state;
    }

    int brokerMaxMessageSize()
    {
        return brokerMaxMessageSize;
    }
}
