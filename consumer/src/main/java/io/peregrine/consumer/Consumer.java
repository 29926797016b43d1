package io.peregrine.consumer;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import io.peregrine.transport.Channels;
import io.peregrine.transport.IdleStrategies;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.SharedAeron;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.TailAckEncoder;
import io.peregrine.transport.codec.TailFrom;
import io.peregrine.transport.codec.TailMessagesDecoder;
import io.peregrine.transport.codec.TailStartDecoder;
import io.peregrine.transport.codec.TailSubscribeEncoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.LangUtil;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tails what a broker stored, over Aeron: the broker streams its journal to this consumer from the position asked
 * (catch-up), then each message as it is stored (live), on a stream of the consumer's own. A consumer that does not
 * poll is not buffered for: the broker reads its journal only as fast as the consumer's stream takes it.
 *
 * <pre>{@code
 * try (Consumer consumer = Consumer.connect(new Consumer.Context()
 *     .brokerChannel("aeron:udp?endpoint=127.0.0.1:40123").name("billing").topic("orders.eu")))
 * {
 *     while (running)
 *     {
 *         if (consumer.poll((message) -> handle(message.index(), message.body(), message.bodyLength()), 10) == 0)
 *         {
 *             idle.idle();
 *         }
 *         consumer.commit(); // a named consumer resumes after the last message committed when it connects again
 *     }
 * }
 * }</pre>
 *
 * <p>Messages come once each, in index order. With {@link Context#readCommitted(boolean)} (the default) only messages
 * that are durable under the broker's policy (flushed under SYNC_FLUSH, on an in-sync slave under SYNC_MASTER) are
 * streamed. If the broker falls silent or its stream goes away (it restarted), the consumer subscribes again after
 * the last message it handed over, so nothing is missed or repeated; {@link #resubscribes()} counts these. Over IPC
 * the driver is the broker's: when the broker stops, the consumer lets go of the driver and joins it again once the
 * broker is back (each poll checks, at most every 250 ms, without blocking), then subscribes again the same way.
 *
 * <p>A named consumer's acknowledged position is kept by the broker beside its store (it is the broker's named reader
 * of that name): {@link #commit()} sends it, the broker writes it within {@code 100 ms}, and at once when the consumer
 * closes. A consumer that connects with a name the broker has a position for resumes after it, whatever its start.
 * One consumer of a name is connected at a time. One thread uses a consumer.
 */
public final class Consumer implements AutoCloseable
{
    /**
     * Where a consumer without a kept position starts.
     */
    public enum Start
    {
        /** The first message the broker retains. */
        START,
        /** After the last message stored: only what is stored from now on. */
        END
    }

    /**
     * Receives messages from {@link #poll}.
     */
    @FunctionalInterface
    public interface MessageHandler
    {
        /**
         * One message; the view is valid only during the call.
         *
         * @param message the message.
         */
        void onMessage(ConsumedMessage message);
    }

    private static final Logger LOG = LoggerFactory.getLogger(Consumer.class);
    private static final long RESUBSCRIBE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int REQUEST_TERM_MESSAGE_SIZE = 4096;
    private static final int FRAGMENT_LIMIT = 64;
    private static final int MAX_POLL_ROUNDS = 64;
    private static final long RELINK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int SUBSCRIBING = 0;
    private static final int STREAMING = 1;
    private static final int CLOSED = 2;

    private final Context ctx;
    private final NanoClock clock;
    private final long consumerId;
    private final int dataSessionId;
    private SharedAeron shared; // null while its driver is gone and it has not connected again
    private Aeron aeron;
    private ExclusivePublication requests;
    private Subscription data;
    private String dataEndpoint;
    private long nextRelinkNs;
    private final ControlledFragmentAssembler assembler;
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(new byte[REQUEST_TERM_MESSAGE_SIZE]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final TailSubscribeEncoder subscribeEncoder = new TailSubscribeEncoder();
    private final TailAckEncoder ackEncoder = new TailAckEncoder();
    private final TailStartDecoder startDecoder = new TailStartDecoder();
    private final TailMessagesDecoder messagesDecoder = new TailMessagesDecoder();
    private final ConsumedMessage message = new ConsumedMessage();
    private int state = SUBSCRIBING;
    private long linkId = Long.MIN_VALUE;
    private int linkSessionId;
    private long lastIndex = -1;
    private long startAfterIndex = -1;
    private long committedIndex = -1;
    private long ackedIndex = Long.MIN_VALUE;
    private long brokerLastIndex = -1;
    private long heartbeatNs = TimeUnit.SECONDS.toNanos(1);
    private long livenessNs = TimeUnit.SECONDS.toNanos(10);
    private long lastSubscribeNs;
    private long lastAckNs;
    private long lastHeardNs;
    private long resubscribes;
    private String refusal;
    private MessageHandler handler;
    private int delivered;
    private int messageLimit;

    private Consumer(final Context ctx)
    {
        this.ctx = ctx;
        this.clock = ctx.nanoClock;
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        this.consumerId = random.nextLong();
        this.dataSessionId = random.nextInt();
        this.assembler = new ControlledFragmentAssembler(this::onFragment);
        openStreams();
    }

    /**
     * Join the driver (sharing this JVM's client for it) and add the request publication and the data subscription.
     *
     * @throws RuntimeException from Aeron if the driver is not there or refuses a stream; nothing is left held then.
     */
    private void openStreams()
    {
        final SharedAeron joined = SharedAeron.acquire(ctx.aeronDirectoryName, ctx.idleStrategy, (ex) -> LOG.warn("consumer: Aeron error", ex));
        ExclusivePublication publication = null;
        Subscription subscription = null;
        try
        {
            publication = joined.aeron().addExclusivePublication(
                Channels.requestPublication(ctx.brokerChannel, REQUEST_TERM_MESSAGE_SIZE), Protocol.TAIL_REQUEST_STREAM_ID);
            subscription = joined.aeron().addSubscription(
                Channels.tailSubscription(ctx.ipc, ctx.receiveHost, dataSessionId), Protocol.TAIL_DATA_STREAM_ID);
            dataEndpoint = ctx.ipc ? "" : Channels.awaitResolvedEndpoint(subscription, ctx.connectTimeoutMs);
        }
        catch (final Exception ex) // Aeron rethrows some checked exceptions unchecked
        {
            CloseHelper.quietCloseAll(publication, subscription);
            joined.release();
            LangUtil.rethrowUnchecked(ex);
        }
        shared = joined;
        aeron = joined.aeron();
        requests = publication;
        data = subscription;
    }

    /**
     * @return true if the streams are usable; false while the driver is gone (over IPC, the broker's driver: the
     * broker stopped), after letting go of the old streams and trying, at most every 250 ms, to join it again.
     */
    private boolean streamsUp(final long nowNs)
    {
        if (null != shared && !aeron.isClosed() && !requests.isClosed() && !data.isClosed())
        {
            return true;
        }
        if (null != shared)
        {
            LOG.warn("consumer {}: its media driver is gone{}; connecting again", describe(), ctx.ipc ? " (the broker's: it stopped)" : "");
            if (state == STREAMING)
            {
                resubscribes++;
            }
            state = SUBSCRIBING;
            closeStreams();
            nextRelinkNs = nowNs;
        }
        if (nowNs - nextRelinkNs < 0)
        {
            return false;
        }
        nextRelinkNs = nowNs + RELINK_INTERVAL_NS;
        if (null != ctx.aeronDirectoryName && !SharedAeron.isDriverUp(ctx.aeronDirectoryName))
        {
            return false; // not up yet: joining now would block for the driver timeout
        }
        try
        {
            openStreams();
            lastSubscribeNs = nowNs - RESUBSCRIBE_INTERVAL_NS; // subscribe again at once, after what it has
            LOG.info("consumer {}: joined the media driver again; subscribing after index {}", describe(), lastIndex);
            return true;
        }
        catch (final Exception ex) // Aeron rethrows some checked exceptions unchecked
        {
            LOG.debug("consumer {}: joining the media driver again failed: {}", describe(), ex.toString());
            return false;
        }
    }

    private void closeStreams()
    {
        CloseHelper.quietCloseAll(requests, data);
        if (null != shared)
        {
            shared.release();
        }
        shared = null;
        aeron = null;
        requests = null;
        data = null;
    }

    /**
     * Connect to a broker and wait until it answers, within {@link Context#connectTimeoutMs(long)}.
     *
     * @param ctx what to consume and from where; concluded here.
     * @return the consumer, streaming.
     * @throws ConsumerException with the broker's reason if it refused, or if it did not answer in time.
     * @throws IllegalArgumentException naming the setting that is wrong.
     */
    public static Consumer connect(final Context ctx)
    {
        ctx.conclude();
        final Consumer consumer = new Consumer(ctx);
        try
        {
            consumer.awaitStart();
        }
        catch (final RuntimeException ex)
        {
            consumer.release();
            throw ex;
        }
        return consumer;
    }

    private void awaitStart()
    {
        final IdleStrategy idle = IdleStrategies.create(ctx.idleStrategy);
        final long deadlineNs = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.connectTimeoutMs);
        while (state != STREAMING)
        {
            idle.idle(poll(null, 0)); // the poll stops at the start: nothing after it goes by unhandled
            if (clock.nanoTime() - deadlineNs > 0)
            {
                throw new ConsumerException("the broker at " + ctx.brokerChannel + " did not answer within " + ctx.connectTimeoutMs +
                    " ms (is it running, and reachable from " + (ctx.ipc ? "this driver" : ctx.receiveHost) + "?)");
            }
        }
    }

    /**
     * Hand over the messages that have arrived, in index order, and keep the stream alive (acks, heartbeats,
     * subscribing again after the broker fell silent).
     *
     * @param handler gets each message.
     * @param limit   messages to hand over before returning; whole frames are taken, and a frame may carry a batch,
     *                so a poll can hand over more.
     * @return messages handed over.
     * @throws ConsumerException if the broker refused this consumer when it subscribed again.
     */
    public int poll(final MessageHandler handler, final int limit)
    {
        if (state == CLOSED)
        {
            throw new IllegalStateException("consumer is closed");
        }
        if (null != refusal)
        {
            throw new ConsumerException("the broker refused consumer " + describe() + ": " + refusal);
        }
        if (!streamsUp(clock.nanoTime()))
        {
            return 0;
        }
        this.handler = handler;
        delivered = 0;
        messageLimit = limit;
        // a large message comes in many fragments (MTU-sized): take them in one call, up to the limit in messages
        for (int rounds = 0; rounds < MAX_POLL_ROUNDS && data.controlledPoll(assembler, FRAGMENT_LIMIT) == FRAGMENT_LIMIT &&
            delivered < limit && null == refusal; rounds++)
        {
            continue;
        }
        this.handler = null;
        final long nowNs = clock.nanoTime();
        if (state == STREAMING)
        {
            if (nowNs - lastHeardNs > livenessNs || null == data.imageBySessionId(linkSessionId))
            {
                state = SUBSCRIBING; // the broker is silent or its stream went away: subscribe again after what we have
                resubscribes++;
                lastSubscribeNs = nowNs - RESUBSCRIBE_INTERVAL_NS;
                LOG.info("consumer {}: the broker's stream was lost; subscribing again after index {}", describe(), lastIndex);
            }
            else if (committedIndex != ackedIndex || nowNs - lastAckNs >= heartbeatNs)
            {
                sendAck(nowNs, false);
            }
        }
        if (state == SUBSCRIBING && nowNs - lastSubscribeNs >= RESUBSCRIBE_INTERVAL_NS)
        {
            sendSubscribe(nowNs);
        }
        return delivered;
    }

    /**
     * Acknowledge every message handed over so far: a named consumer connecting again resumes after the last one.
     * Sent with the next poll if the request stream is busy now.
     */
    public void commit()
    {
        commit(lastIndex);
    }

    /**
     * Acknowledge the messages handed over up to an index (a frame's messages come in one poll; an application that
     * processed only some of them commits the last it did).
     *
     * @param index of a message handed over: at most {@link #lastIndex()}; a commit below the last is ignored.
     * @throws IllegalArgumentException if the index is beyond the last message handed over.
     */
    public void commit(final long index)
    {
        if (index > lastIndex)
        {
            throw new IllegalArgumentException("cannot commit index " + index + ": the last message handed over is " + lastIndex);
        }
        committedIndex = Math.max(committedIndex, index);
        if (state == STREAMING && committedIndex != ackedIndex)
        {
            sendAck(clock.nanoTime(), false);
        }
    }

    /**
     * @return the index of the last message handed over, or -1 if none yet.
     */
    public long lastIndex()
    {
        return lastIndex;
    }

    /**
     * @return the broker's last stored index, as of the last frame from it; with {@link #lastIndex()}, how far behind
     * this consumer is.
     */
    public long brokerLastIndex()
    {
        return brokerLastIndex;
    }

    /**
     * @return true while the broker is streaming to this consumer (false while it subscribes again).
     */
    public boolean isConnected()
    {
        return state == STREAMING;
    }

    /**
     * @return times this consumer subscribed again after losing the broker's stream.
     */
    public long resubscribes()
    {
        return resubscribes;
    }

    /**
     * Send the committed position and leave; waits up to the connect timeout for the broker to take it (a named
     * consumer's position is then kept), then lets go of the streams.
     */
    public void close()
    {
        if (state == CLOSED)
        {
            return;
        }
        try
        {
            if (state == SUBSCRIBING && null != shared && !aeron.isClosed())
            {
                sendAck(clock.nanoTime(), true); // a stream the broker may be starting: it lets go of it (and the name) at once
            }
            if (state == STREAMING && null != shared && !aeron.isClosed())
            {
                final long deadlineNs = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.connectTimeoutMs);
                while (!sendAck(clock.nanoTime(), true) && clock.nanoTime() - deadlineNs < 0)
                {
                    Thread.yield();
                }
                // the broker ends the stream once it has the position
                while (null != data.imageBySessionId(linkSessionId) && clock.nanoTime() - deadlineNs < 0)
                {
                    data.controlledPoll(assembler, FRAGMENT_LIMIT);
                    Thread.yield();
                }
            }
        }
        finally
        {
            release();
        }
    }

    private void release()
    {
        state = CLOSED;
        closeStreams();
    }

    private String describe()
    {
        return (null == ctx.name ? "" : "'" + ctx.name + "' ") + Long.toHexString(consumerId);
    }

    private void sendSubscribe(final long nowNs)
    {
        lastSubscribeNs = nowNs;
        final TailFrom from;
        final long fromValue;
        if (lastIndex >= 0 || startAfterIndex >= 0)
        {
            from = TailFrom.AFTER; // after what it has, or where its first stream started (from the end, a kept position)
            fromValue = Math.max(lastIndex, startAfterIndex);
        }
        else
        {
            from = ctx.fromIndex >= 0 ? TailFrom.INDEX : ctx.fromTimeMs >= 0 ? TailFrom.TIME : ctx.start == Start.END ? TailFrom.END :
                TailFrom.START;
            fromValue = ctx.fromIndex >= 0 ? ctx.fromIndex : ctx.fromTimeMs;
        }
        subscribeEncoder.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
            .consumerId(consumerId)
            .from(from)
            .fromValue(fromValue)
            .readCommitted((short)(ctx.readCommitted ? 1 : 0))
            .dataSessionId(dataSessionId)
            .name(null == ctx.name ? "" : ctx.name)
            .topic(null == ctx.topic ? "" : ctx.topic)
            .dataEndpoint(dataEndpoint)
            .clientVersion(Protocol.VERSION);
        requests.offer(requestBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + subscribeEncoder.encodedLength());
    }

    private boolean sendAck(final long nowNs, final boolean closing)
    {
        ackEncoder.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
            .consumerId(consumerId)
            .linkId(linkId)
            .ackedIndex(committedIndex)
            .closing((short)(closing ? 1 : 0));
        if (requests.offer(requestBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + ackEncoder.encodedLength()) > 0)
        {
            lastAckNs = nowNs;
            ackedIndex = committedIndex;
            return true;
        }
        return false;
    }

    private Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int templateId = WireFrames.check(headerDecoder, buffer, offset, length);
        if (templateId == TailMessagesDecoder.TEMPLATE_ID)
        {
            messagesDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (state != STREAMING || messagesDecoder.linkId() != linkId)
            {
                return Action.CONTINUE; // a stream the broker had before this one
            }
            lastHeardNs = clock.nanoTime();
            brokerLastIndex = messagesDecoder.brokerLastIndex();
            for (final TailMessagesDecoder.MessagesDecoder m : messagesDecoder.messages())
            {
                final long index = m.index();
                message.set(index, m.producerId(), m.sequence(), m.receivedEpochNs(), m.storedEpochNs());
                m.wrapTopic(message.topicBuffer());
                m.wrapBody(message.bodyBuffer());
                if (index <= lastIndex || null == handler)
                {
                    continue;
                }
                lastIndex = index;
                delivered++;
                handler.onMessage(message);
            }
            return delivered >= messageLimit ? Action.BREAK : Action.CONTINUE;
        }
        else if (templateId == TailStartDecoder.TEMPLATE_ID)
        {
            startDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (startDecoder.consumerId() != consumerId || state != SUBSCRIBING)
            {
                return Action.CONTINUE;
            }
            final long startLinkId = startDecoder.linkId();
            brokerLastIndex = startDecoder.brokerLastIndex();
            final long heartbeatMs = startDecoder.heartbeatIntervalMs();
            final long livenessMs = startDecoder.livenessTimeoutMs();
            final long startAfter = startDecoder.startAfterIndex();
            final String reason = startDecoder.refusal();
            if (!reason.isEmpty())
            {
                refusal = reason;
                return Action.BREAK;
            }
            linkId = startLinkId;
            linkSessionId = header.sessionId();
            startAfterIndex = Math.max(startAfterIndex, startAfter);
            heartbeatNs = TimeUnit.MILLISECONDS.toNanos(Math.max(1, heartbeatMs));
            livenessNs = TimeUnit.MILLISECONDS.toNanos(Math.max(1, livenessMs));
            lastHeardNs = clock.nanoTime();
            ackedIndex = Long.MIN_VALUE; // the new stream hears the position at once
            state = STREAMING;
            return Action.BREAK; // what follows on the stream is for the application's next poll
        }
        return Action.CONTINUE;
    }

    /**
     * What to consume, from where, and how to reach the broker.
     */
    public static final class Context
    {
        /**
         * Default time {@link #connect} waits for the broker's answer.
         */
        public static final long CONNECT_TIMEOUT_MS_DEFAULT = 5000;

        /**
         * Default host the consumer takes UDP streams on.
         */
        public static final String RECEIVE_HOST_DEFAULT = "127.0.0.1";

        private boolean concluded;
        private String brokerChannel;
        private String aeronDirectoryName;
        private String name;
        private String topic;
        private Start start = Start.START;
        private long fromIndex = -1;
        private long fromTimeMs = -1;
        private boolean readCommitted = true;
        private long connectTimeoutMs = CONNECT_TIMEOUT_MS_DEFAULT;
        private String receiveHost = RECEIVE_HOST_DEFAULT;
        private String idleStrategy = IdleStrategies.DEFAULT;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private boolean ipc;

        /**
         * Validate. Called by {@link Consumer#connect}.
         *
         * @return this.
         * @throws IllegalArgumentException naming the setting that is wrong.
         */
        public Context conclude()
        {
            if (concluded)
            {
                throw new IllegalStateException("Context already concluded: use a new Context per consumer");
            }
            ipc = Channels.checkBrokerChannel(brokerChannel, null != aeronDirectoryName);
            if (null != name && (name.isEmpty() || name.length() > 128 || name.startsWith(".") || !name.chars().allMatch((c) ->
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')))
            {
                throw new IllegalArgumentException("name '" + name + "' must be 1 to 128 of A-Z a-z 0-9 . _ - and not start with '.'");
            }
            if (null != topic && null != Protocol.validateTopic(topic))
            {
                throw new IllegalArgumentException(Protocol.validateTopic(topic));
            }
            if (connectTimeoutMs <= 0)
            {
                throw new IllegalArgumentException("connectTimeoutMs must be > 0: " + connectTimeoutMs);
            }
            IdleStrategies.create(idleStrategy);
            concluded = true;
            return this;
        }

        /**
         * @param brokerChannel the broker's listen channel, as producers use it: {@code aeron:udp?endpoint=host:port} or
         *                      {@code aeron:ipc}.
         * @return this.
         */
        public Context brokerChannel(final String brokerChannel)
        {
            this.brokerChannel = brokerChannel;
            return this;
        }

        /**
         * @param aeronDirectoryName directory of a running media driver to join (the broker's aeronDir for IPC); null
         *                           (default) for an embedded driver shared by this JVM's producers and consumers.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @param name a named consumer's name (A-Z a-z 0-9 . _ -): the broker keeps its committed position and it
         *             resumes after it, whatever the start; null (default) for a consumer that keeps none.
         * @return this.
         */
        public Context name(final String name)
        {
            this.name = name;
            return this;
        }

        /**
         * @param topic only messages of this topic; null (default) for all.
         * @return this.
         */
        public Context topic(final String topic)
        {
            this.topic = topic;
            return this;
        }

        /**
         * @param start from the first retained message (default) or from the end.
         * @return this.
         */
        public Context from(final Start start)
        {
            this.start = start;
            this.fromIndex = -1;
            this.fromTimeMs = -1;
            return this;
        }

        /**
         * @param index start with the message at this journal index, or the first one after it; 0 is the first
         *              retained. An index whose record retention has deleted is refused with a ConsumerException.
         * @return this.
         */
        public Context fromIndex(final long index)
        {
            this.fromIndex = index;
            this.fromTimeMs = -1;
            return this;
        }

        /**
         * @param epochMs start with the first message the broker stored at or after this time.
         * @return this.
         */
        public Context fromTime(final long epochMs)
        {
            this.fromTimeMs = epochMs;
            this.fromIndex = -1;
            return this;
        }

        /**
         * @param readCommitted only messages durable under the broker's policy (default true); false streams each
         *                      message as soon as it is written to the journal.
         * @return this.
         */
        public Context readCommitted(final boolean readCommitted)
        {
            this.readCommitted = readCommitted;
            return this;
        }

        /**
         * @param connectTimeoutMs how long {@link #connect} waits for the broker's answer, and close for it to take the
         *                         position.
         * @return this.
         */
        public Context connectTimeoutMs(final long connectTimeoutMs)
        {
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        /**
         * @param receiveHost local address the broker's UDP stream comes to (default 127.0.0.1); the broker sends
         *                    only to the host the consumer's requests come from.
         * @return this.
         */
        public Context receiveHost(final String receiveHost)
        {
            this.receiveHost = receiveHost;
            return this;
        }

        /**
         * @param idleStrategy of an embedded driver and of {@link #connect}'s wait: backoff (default), sleeping,
         *                     yielding or busy-spin.
         * @return this.
         */
        public Context idleStrategy(final String idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        /**
         * @param nanoClock for heartbeats and liveness (tests move it).
         * @return this.
         */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }
    }
}
