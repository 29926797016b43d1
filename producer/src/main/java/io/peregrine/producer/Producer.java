package io.peregrine.producer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.aeron.Aeron;
import io.peregrine.transport.Channels;
import io.peregrine.transport.IdleStrategies;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.Sizing;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends messages to a Peregrine broker over Aeron UDP or IPC.
 *
 * <p>Thread-safe: any number of application threads may send at once, lock-free from the calling thread to
 * the Aeron publication: each request is encoded into a per-thread buffer and offered straight to the publication
 * by a thread that finds nothing queued and no other thread offering; otherwise it is copied into the producer's
 * send queue (a many-to-one ring; a large one waits for what is queued, then goes straight to the publication),
 * and whichever thread finds the queue free drains it into Aeron. Answers are read by the producer's own thread,
 * which runs every callback; a thread blocked in {@code send} reads answers to blocking sends itself while no
 * other thread is reading, so a blocking send does not wait for a hand-off between threads.
 *
 * <p>The work is split as in Aeron's client: this class is the API; {@link BlockingSender} and {@link AsyncSender}
 * make the sends, {@link RequestEncoder} encodes them, {@link SendQueue} hands them to the publication,
 * {@link ResponseReader} reads the answers into {@link PendingSends}, {@link ProducerConductor} runs the
 * producer's own thread (handshake, keepalive, expiry, reconnect, close), and {@link ProducerThreadIdle} lets that
 * thread park while every send in flight has a blocked thread reading its answer.
 *
 * <pre>{@code
 * try (Producer producer = Producer.start(new Producer.Context()
 *     .producerGroup("orders")
 *     .brokerChannel("aeron:udp?endpoint=127.0.0.1:40456")))
 * {
 *     SendResult result = producer.send(new Message().topic("orders").body(bytes));
 * }
 * }</pre>
 */
public final class Producer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Producer.class);
    private static final int MAX_BATCH = 65_535;

    /**
     * sendAsync: maxInFlight sends are already waiting for their outcome.
     */
    public static final long BUSY = -1;

    /**
     * sendAsync / sendOneway: the producer is not connected to the broker (yet, or any more).
     */
    public static final long NOT_CONNECTED = -2;

    /**
     * sendAsync / sendOneway: Aeron's flow control is pushing back; try again shortly.
     */
    public static final long BACK_PRESSURED = -3;

    /**
     * sendAsync / sendOneway: the producer is closed.
     */
    public static final long CLOSED = -4;

    private static final Set<String> INSTANCES = ConcurrentHashMap.newKeySet();

    private final Context ctx;
    private final long producerId;
    private final PendingSends pending;
    private final ProducerConductor conductor;
    private final AgentRunner runner;
    private final BlockingSender blockingSender;
    private final AsyncSender asyncSender;
    private final AtomicLong retries = new AtomicLong();
    private final AtomicInteger readers = new AtomicInteger();
    private final ThreadLocal<Caller> callers;
    private volatile boolean closed;

    private Producer(final Context ctx)
    {
        this.ctx = ctx;
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        long id = 0;
        while (id == 0)
        {
            id = random.nextLong();
        }
        producerId = id;
        final int responseSessionId = random.nextInt();

        final ErrorHandler errorHandler = (ex) -> LOG.warn("Aeron client error in producer {}: {}", ctx.instanceName(), ex.toString());
        pending = new PendingSends(ctx.maxInFlight(), (ex) -> LOG.warn("a send callback of producer {} threw", ctx.instanceName(), ex),
            ctx.brokerChannel(), producerId);
        conductor = new ProducerConductor(ctx, producerId, responseSessionId, ProducerLink.open(ctx, responseSessionId, errorHandler),
            pending, errorHandler);
        callers = ThreadLocal.withInitial(() -> new Caller(producerId, ctx.idleStrategy()));
        final AtomicLong sequences = new AtomicLong();
        final IdleStrategy idle = ProducerThreadIdle.create(ctx.idleStrategy(), pending, readers, conductor.queue(), conductor::sendersCanRead);
        runner = new AgentRunner(idle, errorHandler, null, conductor);
        final Runnable wakeIfParked = idle instanceof ProducerThreadIdle ? () -> ((ProducerThreadIdle)idle).wake(runner.thread()) : () -> { };
        blockingSender = new BlockingSender(ctx, producerId, pending, sequences, retries, conductor, conductor.queue(), callers, readers,
            () -> LockSupport.unpark(runner.thread()), wakeIfParked);
        asyncSender = new AsyncSender(ctx, pending, sequences, retries, conductor, conductor.queue(), callers, wakeIfParked);
        conductor.resender(asyncSender);
        AgentRunner.startOnThread(runner);
    }

    /**
     * Start a producer. It connects to the broker in the background; sends wait for the connection
     * within their timeout.
     *
     * @param ctx configuration; concluded here.
     * @return the running producer.
     */
    public static Producer start(final Context ctx)
    {
        ctx.conclude();
        final String instance = ctx.producerGroup() + '/' + ctx.instanceName();
        if (!INSTANCES.add(instance))
        {
            throw new IllegalStateException("a producer of group " + ctx.producerGroup() + " with instance name " +
                ctx.instanceName() + " already runs in this JVM; give each producer its own instanceName");
        }
        try
        {
            return new Producer(ctx);
        }
        catch (final RuntimeException ex)
        {
            INSTANCES.remove(instance);
            throw ex;
        }
    }

    /**
     * Send and wait for the outcome, with the context's default timeout.
     *
     * @param message to send.
     * @return the outcome.
     * @throws SendTimeoutException if no response arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public SendResult send(final Message message)
    {
        return send(message, ctx.sendMsgTimeoutMs());
    }

    /**
     * Send and wait for the outcome. An attempt that gets no answer in its share of the timeout, or whose
     * connection drops, is resent with the same message id up to retryTimesWhenSendFailed times; a BROKER_BUSY
     * answer (nothing stored) is resent after a back-off of 1 ms doubling up to 50 ms for as long as the timeout
     * allows, and only then thrown.
     *
     * @param message   to send.
     * @param timeoutMs how long to wait for the outcome in all.
     * @return the outcome.
     * @throws SendTimeoutException if no response arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public SendResult send(final Message message, final long timeoutMs)
    {
        return blockingSender.send(message, timeoutMs);
    }

    /**
     * {@link #send(Message, long)} into a reusable holder: allocates nothing in steady state.
     *
     * @param message   to send.
     * @param timeoutMs how long to wait for the outcome in all.
     * @param results   filled with the outcome (count 1); reuse it for this thread's next send.
     * @return results.
     * @throws SendTimeoutException if no response arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public SendResults send(final Message message, final long timeoutMs, final SendResults results)
    {
        blockingSender.send(message, timeoutMs, results);
        return results;
    }

    /**
     * Send several messages to one topic in one request and wait for all outcomes, with the context's
     * default timeout.
     *
     * @param messages to send, all with the same topic; each gets its own message id and result.
     * @return one result per message, in order.
     * @throws SendTimeoutException if not every outcome arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public List<SendResult> sendBatch(final List<Message> messages)
    {
        return sendBatch(messages, ctx.sendMsgTimeoutMs());
    }

    /**
     * Send several messages to one topic in one request and wait for all outcomes. The broker stores each
     * as its own record (message i gets the sequence after message i - 1) and answers each; the whole batch
     * is resent, with the same ids, after an attempt that got no answer (see retryTimesWhenSendFailed).
     * Flags (waitStoreMsgOK) come from the first message; the bodies together must fit the broker's
     * maxMessageSize.
     *
     * @param messages  to send, all with the same topic.
     * @param timeoutMs how long to wait for all outcomes.
     * @return one result per message, in order.
     * @throws SendTimeoutException if not every outcome arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public List<SendResult> sendBatch(final List<Message> messages, final long timeoutMs)
    {
        final SendResults results = sendBatch(messages, timeoutMs, new SendResults(messages.size()));
        final List<SendResult> list = new ArrayList<>(results.count());
        for (int i = 0; i < results.count(); i++)
        {
            list.add(results.result(i));
        }
        return list;
    }

    /**
     * {@link #sendBatch(List, long)} into a reusable holder: allocates nothing in steady state.
     *
     * @param messages  to send, all with the same topic.
     * @param timeoutMs how long to wait for all outcomes.
     * @param results   filled with one outcome per message, in order; reuse it for the next batch of this thread.
     * @return results.
     * @throws SendTimeoutException if not every outcome arrives in time.
     * @throws SendException        for any other failure, with its {@link ErrorKind}.
     */
    public SendResults sendBatch(final List<Message> messages, final long timeoutMs, final SendResults results)
    {
        final int count = messages.size();
        if (count == 0 || count > Math.min(MAX_BATCH, ctx.maxInFlight()))
        {
            throw new IllegalArgumentException("a batch has 1 to " + Math.min(MAX_BATCH, ctx.maxInFlight()) + " messages, not " + count);
        }
        blockingSender.sendBatch(messages, timeoutMs, results);
        return results;
    }

    /**
     * Send without waiting, with the context's default timeout. The callback is called exactly once, on
     * the producer's thread, for every send this accepts (a positive return).
     *
     * @param message  to send; it may be reused as soon as this returns.
     * @param callback called with the outcome.
     * @return the send's sequence (&gt; 0), or {@link #BUSY}, {@link #NOT_CONNECTED}, {@link #BACK_PRESSURED},
     * {@link #CLOSED} if it was not sent (the callback is then not called).
     * @throws SendException for caller mistakes: an invalid topic or a body over the broker's limit.
     */
    public long sendAsync(final Message message, final SendCallback callback)
    {
        return sendAsync(message, ctx.sendMsgTimeoutMs(), callback);
    }

    /**
     * Send without waiting. The callback is called exactly once, on the producer's thread, for every send
     * this accepts: with the status, or with a {@link SendTimeoutException} if none arrives within timeoutMs
     * (checked in rounds: the timeout is reported up to about 8 ms after the deadline).
     *
     * @param message   to send; it may be reused as soon as this returns.
     * @param timeoutMs how long the outcome may take.
     * @param callback  called with the outcome.
     * @return the send's sequence (&gt; 0), or {@link #BUSY}, {@link #NOT_CONNECTED}, {@link #BACK_PRESSURED},
     * {@link #CLOSED} if it was not sent (the callback is then not called).
     * @throws SendException for caller mistakes: an invalid topic or a body over the broker's limit.
     */
    public long sendAsync(final Message message, final long timeoutMs, final SendCallback callback)
    {
        return asyncSender.sendAsync(message, timeoutMs, callback);
    }

    /**
     * Send without waiting and complete the future with the outcome (allocates a future per send; use
     * {@link #sendAsync(Message, SendCallback)} where garbage matters).
     *
     * @param message to send; it may be reused as soon as this returns.
     * @return a future completed on the producer's thread with the result, or exceptionally with a
     * {@link SendException} (also when the send could not be made, e.g. busy or not connected).
     */
    public CompletableFuture<SendResult> sendAsync(final Message message)
    {
        final CompletableFuture<SendResult> future = new CompletableFuture<>();
        try
        {
            final long result = sendAsync(message, new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    future.complete(new SendResult(status, producerId, sequence, journalIndex));
                }

                public void onError(final long sequence, final SendException error)
                {
                    future.completeExceptionally(error);
                }
            });
            if (result < 0)
            {
                future.completeExceptionally(new SendException(codeKind(result), codeText(result)));
            }
        }
        catch (final SendException ex)
        {
            future.completeExceptionally(ex);
        }
        return future;
    }

    /**
     * Send and await no response: the broker stores the message but does not answer. Returns once the
     * request is queued for Aeron; {@link #close()} hands every accepted request to the broker before it
     * returns, and {@link #onewayUnconfirmed()} then says how many the broker did not confirm.
     *
     * @param message to send; it may be reused as soon as this returns.
     * @return the send's sequence (&gt; 0), or {@link #NOT_CONNECTED}, {@link #BACK_PRESSURED}, {@link #CLOSED}.
     * @throws SendException for caller mistakes: an invalid topic or a body over the broker's limit.
     */
    public long sendOneway(final Message message)
    {
        return asyncSender.sendOneway(message);
    }

    /**
     * @return how many times sends were resent (same message id): blocking and batch sends after an attempt timed
     * out, the connection dropped or the broker answered BROKER_BUSY; async sends, if retryTimesWhenSendAsyncFailed
     * is set, after an attempt timed out or a new broker stream appeared.
     */
    public long retries()
    {
        return retries.get();
    }

    /**
     * @return answers that threads blocked in {@code send} read from the response stream themselves, without a
     * hand-off from the producer's thread, since start (diagnostics: on a small host that hand-off is a context
     * switch per send).
     */
    public long answersReadBySenders()
    {
        return conductor.answersReadBySenders();
    }

    /**
     * @return sends that threads blocked in {@code send} or {@code sendBatch} are reading the answers to themselves
     * now (diagnostics): while every send in flight has such a reader, the producer's own thread parks. A blocked
     * thread stops counting once it gives up reading (it parks after about 10,000 yields) or its wait ends.
     */
    public int sendersReading()
    {
        return readers.get();
    }

    /**
     * @return sends (blocking and async) waiting for their outcome now, at most maxInFlight; for example, wait
     * for 0 before {@link #close()} so no async send fails with CLOSED.
     */
    public int inFlight()
    {
        return pending.inFlight();
    }

    /**
     * The message id of one of this producer's sequences.
     *
     * @param sequence as returned by a send.
     * @return the id, as every Peregrine tool prints it.
     */
    public String msgId(final long sequence)
    {
        return Protocol.msgId(producerId, sequence);
    }

    /**
     * Words for a negative code of {@link #sendAsync(Message, SendCallback)} or {@link #sendOneway(Message)}.
     *
     * @param code the negative return value.
     * @return what it means.
     */
    public String codeText(final long code)
    {
        if (code == BUSY)
        {
            return "busy: " + ctx.maxInFlight() + " sends already in flight (maxInFlight)";
        }
        if (code == NOT_CONNECTED)
        {
            return "not connected to broker " + ctx.brokerChannel();
        }
        if (code == BACK_PRESSURED)
        {
            return "back-pressured by broker " + ctx.brokerChannel();
        }
        if (code == CLOSED)
        {
            return "producer is closed";
        }
        return "code " + code;
    }

    private static ErrorKind codeKind(final long code)
    {
        if (code == BUSY || code == BACK_PRESSURED)
        {
            return ErrorKind.BROKER_BUSY;
        }
        return code == CLOSED ? ErrorKind.CLOSED : ErrorKind.NOT_CONNECTED;
    }

    /**
     * @return this producer's random 64-bit id, the first part of its message ids.
     */
    public long producerId()
    {
        return producerId;
    }

    /**
     * @return whether the handshake with the broker has completed and the connection is up.
     */
    public boolean isConnected()
    {
        return conductor.state() == ProducerConductor.STATE_CONNECTED;
    }

    /**
     * @return the largest body the broker accepts, or 0 before the first handshake.
     */
    public int brokerMaxMessageSize()
    {
        return conductor.brokerMaxMessageSize();
    }

    /**
     * @return the configuration.
     */
    public Context context()
    {
        return ctx;
    }

    /**
     * Leave in order: take no more sends, hand everything already accepted to the broker, and wait (up to
     * closeTimeoutMs) for the broker's answer to Close, which comes once everything sent before it is stored;
     * then fail sends still waiting for an answer and release Aeron resources. Oneway sends the broker did not
     * confirm (it was gone, restarted, or refused them) are counted in {@link #onewayUnconfirmed()} and logged.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            conductor.requestClose();
            LockSupport.unpark(runner.thread()); // its thread drains and sends Close: not after a park
            // the system clock, not the injected one: close is bounded in real time even where a test froze the clock
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.closeTimeoutMs());
            final IdleStrategy idle = callers.get().idle;
            idle.reset();
            while (!conductor.isCloseSettled() && System.nanoTime() - deadlineNs < 0 && !runner.isClosed())
            {
                idle.idle();
            }
            CloseHelper.closeAll(runner, conductor.link()); // the runner has stopped: the link no longer changes
            INSTANCES.remove(ctx.producerGroup() + '/' + ctx.instanceName());
            final long unconfirmed = onewayUnconfirmed();
            if (unconfirmed > 0)
            {
                LOG.warn("producer {}/{} closed: {} of {} oneway sends were not confirmed stored by broker {} ({})", ctx.producerGroup(),
                    ctx.instanceName(), unconfirmed, asyncSender.onewaySent(), ctx.brokerChannel(), conductor.onewayStored() < 0 ?
                    "it did not answer Close within closeTimeoutMs=" + ctx.closeTimeoutMs() + " ms" :
                    "it was unreachable or restarted meanwhile, or refused them, e.g. STORE_FULL");
            }
        }
    }

    /**
     * @return oneway sends accepted by {@link #sendOneway(Message)} (a positive return) since the producer started.
     */
    public long onewaySent()
    {
        return asyncSender.onewaySent();
    }

    /**
     * Oneway sends get no answer, so only the broker's answer to Close tells whether they arrived: it counts the
     * producer's oneway sends it stored.
     *
     * @return after {@link #close()}, how many of {@link #onewaySent()} the broker did not confirm stored (all of
     * them if it did not answer Close); before close, 0.
     */
    public long onewayUnconfirmed()
    {
        if (!closed || !runner.isClosed())
        {
            return 0;
        }
        return Math.max(0, asyncSender.onewaySent() - Math.max(0, conductor.onewayStored()));
    }

    /**
     * Configuration of a producer, validated once by {@link #conclude()}.
     */
    public static final class Context implements Cloneable
    {
        /**
         * Default producer group.
         */
        public static final String PRODUCER_GROUP_DEFAULT = "DEFAULT_PRODUCER";
        /**
         * Default instance name.
         */
        public static final String INSTANCE_NAME_DEFAULT = "DEFAULT";
        /**
         * Default broker channel: the broker's default UDP endpoint on loopback.
         */
        public static final String BROKER_CHANNEL_DEFAULT = "aeron:udp?endpoint=127.0.0.1:40456";
        /**
         * Default time a blocking send waits for its outcome.
         */
        public static final long SEND_MSG_TIMEOUT_MS_DEFAULT = 3000;
        /**
         * Default largest body this producer's publication is sized for (the broker's limit applies too).
         */
        public static final int MAX_MESSAGE_SIZE_DEFAULT = 4 * 1024 * 1024;
        /**
         * Default most sends waiting for a response at once.
         */
        public static final int MAX_IN_FLIGHT_DEFAULT = 4096;
        /**
         * Default number of resends of a blocking send after a timed-out attempt or a dropped connection.
         */
        public static final int RETRY_TIMES_WHEN_SEND_FAILED_DEFAULT = 2;
        /**
         * Default bytes of the queue between application threads and the publication (frames up to an eighth
         * of it are queued; larger ones are offered directly, in order).
         */
        public static final int SEND_QUEUE_LENGTH_DEFAULT = 4 * 1024 * 1024;
        /**
         * Default longest time {@link Producer#close()} waits for the broker to confirm what was sent before it.
         */
        public static final long CLOSE_TIMEOUT_MS_DEFAULT = 5000;
        /**
         * Default host the producer receives UDP responses on.
         */
        public static final String RESPONSE_HOST_DEFAULT = "127.0.0.1";

        private boolean concluded;
        private String producerGroup = PRODUCER_GROUP_DEFAULT;
        private String instanceName = INSTANCE_NAME_DEFAULT;
        private String brokerChannel = BROKER_CHANNEL_DEFAULT;
        private String aeronDirectoryName;
        private Aeron aeron;
        private long sendMsgTimeoutMs = SEND_MSG_TIMEOUT_MS_DEFAULT;
        private int maxMessageSize = MAX_MESSAGE_SIZE_DEFAULT;
        private int maxInFlight = MAX_IN_FLIGHT_DEFAULT;
        private int retryTimesWhenSendFailed = RETRY_TIMES_WHEN_SEND_FAILED_DEFAULT;
        private int retryTimesWhenSendAsyncFailed;
        private long asyncBusyWaitMs;
        private long closeTimeoutMs = CLOSE_TIMEOUT_MS_DEFAULT;
        private int sendQueueLength = SEND_QUEUE_LENGTH_DEFAULT;
        private String idleStrategy = IdleStrategies.DEFAULT;
        private String responseHost = RESPONSE_HOST_DEFAULT;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private EpochClock epochClock = SystemEpochClock.INSTANCE;
        private boolean ipc;

        /**
         * Validate and derive values. Called by {@link Producer#start}.
         *
         * @return this.
         * @throws IllegalArgumentException naming the setting that is wrong.
         */
        public Context conclude()
        {
            if (concluded)
            {
                throw new IllegalStateException("Context already concluded: use a new Context per producer");
            }
            requireName("producerGroup", producerGroup);
            requireName("instanceName", instanceName);
            ipc = Channels.checkBrokerChannel(brokerChannel, null != aeronDirectoryName || null != aeron);
            if (sendMsgTimeoutMs <= 0)
            {
                throw new IllegalArgumentException("sendMsgTimeoutMs must be > 0: " + sendMsgTimeoutMs);
            }
            if (maxMessageSize <= 0)
            {
                throw new IllegalArgumentException("maxMessageSize must be > 0: " + maxMessageSize);
            }
            Sizing.termLength(maxMessageSize);
            if (maxInFlight <= 0 || maxInFlight > (1 << 20))
            {
                throw new IllegalArgumentException("maxInFlight must be in 1..1048576: " + maxInFlight);
            }
            if (retryTimesWhenSendFailed < 0 || retryTimesWhenSendFailed > 100)
            {
                throw new IllegalArgumentException("retryTimesWhenSendFailed must be in 0..100: " + retryTimesWhenSendFailed);
            }
            if (retryTimesWhenSendAsyncFailed < 0 || retryTimesWhenSendAsyncFailed > 100)
            {
                throw new IllegalArgumentException("retryTimesWhenSendAsyncFailed must be in 0..100: " + retryTimesWhenSendAsyncFailed);
            }
            if (sendQueueLength < 64 * 1024 || !BitUtil.isPowerOfTwo(sendQueueLength))
            {
                throw new IllegalArgumentException("sendQueueLength must be a power of two >= 65536: " + sendQueueLength);
            }
            if (asyncBusyWaitMs < 0)
            {
                throw new IllegalArgumentException("asyncBusyWaitMs must be >= 0: " + asyncBusyWaitMs);
            }
            if (closeTimeoutMs < 0)
            {
                throw new IllegalArgumentException("closeTimeoutMs must be >= 0: " + closeTimeoutMs);
            }
            IdleStrategies.create(idleStrategy);
            concluded = true;
            return this;
        }

        private static void requireName(final String key, final String value)
        {
            if (null == value || value.isEmpty() || value.length() > 255)
            {
                throw new IllegalArgumentException(key + " must be 1 to 255 characters: '" + value + "'");
            }
        }

        /**
         * @param producerGroup logical group of producers.
         * @return this.
         */
        public Context producerGroup(final String producerGroup)
        {
            this.producerGroup = producerGroup;
            return this;
        }

        /**
         * @return the producer group.
         */
        public String producerGroup()
        {
            return producerGroup;
        }

        /**
         * @param instanceName name of this producer within its group.
         * @return this.
         */
        public Context instanceName(final String instanceName)
        {
            this.instanceName = instanceName;
            return this;
        }

        /**
         * @return the instance name.
         */
        public String instanceName()
        {
            return instanceName;
        }

        /**
         * @param brokerChannel the broker's listen channel: {@code aeron:udp?endpoint=host:port} or {@code aeron:ipc}.
         * @return this.
         */
        public Context brokerChannel(final String brokerChannel)
        {
            this.brokerChannel = brokerChannel;
            return this;
        }

        /**
         * @return the broker channel.
         */
        public String brokerChannel()
        {
            return brokerChannel;
        }

        /**
         * @param aeronDirectoryName directory of a running media driver to join (the broker's aeronDir for IPC);
         *                           null (default) to use an embedded driver shared by this JVM's producers.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @return the media driver directory, or null for the embedded driver.
         */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param aeron a client owned by the application, used instead of a shared one and not closed by the producer.
         * @return this.
         */
        public Context aeron(final Aeron aeron)
        {
            this.aeron = aeron;
            return this;
        }

        /**
         * @return the application's Aeron client, or null.
         */
        public Aeron aeron()
        {
            return aeron;
        }

        /**
         * @param sendMsgTimeoutMs how long {@link Producer#send(Message)} waits for its outcome (default 3000).
         * @return this.
         */
        public Context sendMsgTimeoutMs(final long sendMsgTimeoutMs)
        {
            this.sendMsgTimeoutMs = sendMsgTimeoutMs;
            return this;
        }

        /**
         * @return the default send timeout in ms.
         */
        public long sendMsgTimeoutMs()
        {
            return sendMsgTimeoutMs;
        }

        /**
         * @param maxMessageSize largest body this producer's publication must carry; sizes its term buffers.
         * @return this.
         */
        public Context maxMessageSize(final int maxMessageSize)
        {
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        /**
         * @return the largest body the publication is sized for.
         */
        public int maxMessageSize()
        {
            return maxMessageSize;
        }

        /**
         * @param maxInFlight most sends waiting for a response at once (default 4096). The response stream is
         *                    sized to take that many answers at once, up to about 21,000 over UDP (a 4 MiB
         *                    window, the usual net.core.rmem_max); beyond that a burst of answers can be
         *                    back-pressured and dropped, and those sends time out.
         * @return this.
         */
        public Context maxInFlight(final int maxInFlight)
        {
            this.maxInFlight = maxInFlight;
            return this;
        }

        /**
         * @return most sends in flight.
         */
        public int maxInFlight()
        {
            return maxInFlight;
        }

        /**
         * @param retryTimesWhenSendFailed how often a blocking send is resent, with the same message id, when an
         *                                 attempt gets no answer or the connection drops (default 2). The attempts
         *                                 share the send's timeout equally; the broker stores a resent message
         *                                 once and answers with its state.
         * @return this.
         */
        public Context retryTimesWhenSendFailed(final int retryTimesWhenSendFailed)
        {
            this.retryTimesWhenSendFailed = retryTimesWhenSendFailed;
            return this;
        }

        /**
         * @return resends of a blocking send.
         */
        public int retryTimesWhenSendFailed()
        {
            return retryTimesWhenSendFailed;
        }

        /**
         * @param retryTimesWhenSendAsyncFailed how often an async send is resent, with the same message id, when an
         *                                      attempt gets no answer in its share of the send's timeout or the
         *                                      producer reconnects (default 0: off). To resend, the producer keeps a
         *                                      copy of each async request of up to 64 KiB (larger ones are not
         *                                      resent): one more copy per send, and up to 2 × maxInFlight copies of
         *                                      the largest request sent held in memory. The broker stores a resent
         *                                      message once; the callback is still called exactly once.
         * @return this.
         */
        public Context retryTimesWhenSendAsyncFailed(final int retryTimesWhenSendAsyncFailed)
        {
            this.retryTimesWhenSendAsyncFailed = retryTimesWhenSendAsyncFailed;
            return this;
        }

        /**
         * @return resends of an async send.
         */
        public int retryTimesWhenSendAsyncFailed()
        {
            return retryTimesWhenSendAsyncFailed;
        }

        /**
         * @param sendQueueLength bytes of the lock-free queue between application threads and the publication
         *                        (power of two, default 4 MiB).
         * @return this.
         */
        public Context sendQueueLength(final int sendQueueLength)
        {
            this.sendQueueLength = sendQueueLength;
            return this;
        }

        /**
         * @return bytes of the send queue.
         */
        public int sendQueueLength()
        {
            return sendQueueLength;
        }

        /**
         * @param asyncBusyWaitMs how long sendAsync waits for an in-flight slot before returning {@link Producer#BUSY}
         *                        (default 0: at once).
         * @return this.
         */
        public Context asyncBusyWaitMs(final long asyncBusyWaitMs)
        {
            this.asyncBusyWaitMs = asyncBusyWaitMs;
            return this;
        }

        /**
         * @return how long sendAsync waits for an in-flight slot.
         */
        public long asyncBusyWaitMs()
        {
            return asyncBusyWaitMs;
        }

        /**
         * @param closeTimeoutMs longest time {@link Producer#close()} waits for the broker to confirm that everything
         *                       sent before it is stored (default 5000; 0 closes at once).
         * @return this.
         */
        public Context closeTimeoutMs(final long closeTimeoutMs)
        {
            this.closeTimeoutMs = closeTimeoutMs;
            return this;
        }

        /**
         * @return longest time close waits for the broker.
         */
        public long closeTimeoutMs()
        {
            return closeTimeoutMs;
        }

        /**
         * @param idleStrategy of the producer's thread and of an embedded driver, see {@link IdleStrategies}.
         * @return this.
         */
        public Context idleStrategy(final String idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        /**
         * @return the idle strategy name.
         */
        public String idleStrategy()
        {
            return idleStrategy;
        }

        /**
         * @param responseHost local address the broker's UDP responses come to (default 127.0.0.1). The broker
         *                     only answers to the address the producer's requests come from.
         * @return this.
         */
        public Context responseHost(final String responseHost)
        {
            this.responseHost = responseHost;
            return this;
        }

        /**
         * @return the response host.
         */
        public String responseHost()
        {
            return responseHost;
        }

        /**
         * @param nanoClock for deadlines; tests inject their own.
         * @return this.
         */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        /**
         * @return the clock for deadlines.
         */
        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /**
         * @param epochClock for heartbeats; tests inject their own.
         * @return this.
         */
        public Context epochClock(final EpochClock epochClock)
        {
            this.epochClock = epochClock;
            return this;
        }

        /**
         * @return the clock for heartbeats.
         */
        public EpochClock epochClock()
        {
            return epochClock;
        }

        /**
         * @return true if the broker channel is IPC (valid after conclude).
         */
        public boolean isIpc()
        {
            return ipc;
        }
    }
}
