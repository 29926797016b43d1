package io.peregrine.broker;

import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.Watermarks;
import io.peregrine.transport.Channels;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.IdleStrategies;
import io.peregrine.transport.Protocol;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running broker: embedded media driver, journal, and the receive → journal → respond pipeline.
 *
 * <pre>{@code
 * try (Broker broker = Broker.launch(new BrokerContext().set("storePathRootDir", dir)))
 * {
 *     ...
 * }
 * }</pre>
 */
public final class Broker implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    private static final long START_TIMEOUT_MS = 10_000;
    private static final long DRAIN_TIMEOUT_MS = 5_000;
    private static final long SHUTDOWN_NOTICE_TIMEOUT_MS = 1_000;
    /**
     * Answers the broker holds at most while they wait for their watermark; a request that would need one more waits
     * in Aeron's stream (flow control pushes back on its producer).
     */
    static final int PENDING_RESPONSES = 64 * 1024;
    private static final int APPEND_HISTORY = 256 * 1024;
    private static final int HELLO_TERM_MESSAGE_SIZE = 4096;

    private final BrokerContext ctx;
    private StoreLock storeLock;
    private MediaDriver driver;
    private Aeron aeron;
    private Journal journal;
    private Watermarks watermarks;
    private BrokerCounters counters;
    private ReceiverAgent receiver;
    private Responder responder;
    private ProducerSessions sessions;
    private AgentRunner runner;
    private AgentRunner flusherRunner;
    private AgentRunner tailRunner;
    private Flusher flusher;
    private String listenEndpoint;
    private String haEndpoint;
    private String readyLine;
    private boolean closed;

    private Broker(final BrokerContext ctx)
    {
        this.ctx = ctx;
    }

    /**
     * Start a broker. Returns once it accepts sends; the READY line has then gone to the context's listener.
     *
     * @param ctx configuration; concluded here.
     * @return the running broker.
     */
    public static Broker launch(final BrokerContext ctx)
    {
        Journal.disableAnalytics();
        if (!ctx.isConcluded())
        {
            ctx.conclude();
        }
        final Broker broker = new Broker(ctx);
        try
        {
            broker.start();
        }
        catch (final RuntimeException ex)
        {
            broker.close();
            throw ex;
        }
        return broker;
    }

    private void start()
    {
        storeLock = StoreLock.acquire(ctx.storeDir(), ctx.aeronDir());
        final boolean staleDriverDir = storeLock.previousOwnerDeadWith(ctx.aeronDir());
        if (staleDriverDir)
        {
            LOG.info("previous broker on this store (dead) left aeron dir {}; clearing it", ctx.aeronDir());
        }
        driver = EmbeddedDriver.launch(ctx.aeronDir(), ctx.idleStrategy(), staleDriverDir, ctx.driverCustomizer());
        final ErrorHandler errorHandler = (ex) -> LOG.error("broker error", ex);
        aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(driver.aeronDirectoryName())
            .errorHandler(errorHandler)
            .subscriberErrorHandler(errorHandler));

        final int maxRecordLength = JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, ctx.maxMessageSize());
        counters = new BrokerCounters(aeron);
        flusher = new Flusher(ctx.syncFlush(), ctx.flushIntervalMs(), ctx.epochClock(), ctx.journalDir(), ctx.flushListener(), counters);
        final ProducerHistories histories = new ProducerHistories(ctx.producerHistories());
        journal = JournalRecovery.open(ctx, maxRecordLength, histories);
        watermarks = Watermarks.create(ctx.storeDir(),
            (ctx.syncFlush() ? Watermarks.SYNC_FLUSH : 0) | (ctx.syncMaster() ? Watermarks.SYNC_MASTER : 0), journal.lastIndex());
        flusher.start(journal, watermarks, ctx.fileReservedTimeMs(), ctx.usableSpace(),
            Math.max(ctx.diskSpaceFloor(), 2 * Journal.blockSizeFor(maxRecordLength)), ctx.pretouch(),
            ctx.pageCacheWindow());
        final RateLimitedLog rateLimitedLog = new RateLimitedLog(LOG, ctx.epochClock(), 1000);

        // tagged, so that the consumers' stream shares the endpoint even when its port was 0
        final long listenTag = aeron.nextCorrelationId();
        final Subscription udp = aeron.addSubscription(Channels.tagged(Channels.requestSubscription(ctx.listenChannel()), listenTag),
            Protocol.REQUEST_STREAM_ID);
        final Subscription ipc = ctx.ipcEnabled() ?
            aeron.addSubscription(CommonContext.IPC_CHANNEL, Protocol.REQUEST_STREAM_ID) : null;
        listenEndpoint = Channels.awaitResolvedEndpoint(udp, START_TIMEOUT_MS);

        final AppendHistory appendHistory = new AppendHistory(APPEND_HISTORY, journal.lastIndex());
        // offset from the nano clock: SystemEpochNanoClock allocates an Instant per call on JDK 17
        final EpochNanoClock epochNanoClock = new OffsetEpochNanoClock();
        final Agent replicationAgent;
        ReplicationMaster replication = null;
        if (ctx.slave())
        {
            final ExclusivePublication toMaster = aeron.addExclusivePublication(
                Channels.requestPublication(ctx.haMasterChannel(), HELLO_TERM_MESSAGE_SIZE), Protocol.REPLICA_REQUEST_STREAM_ID);
            final Subscription fromMaster = aeron.addSubscription(
                Channels.requestSubscription(ctx.haSlaveChannel()), Protocol.REPLICA_DATA_STREAM_ID);
            haEndpoint = Channels.awaitResolvedEndpoint(fromMaster, START_TIMEOUT_MS);
            replicationAgent = new ReplicationSlave(ctx, journal, flusher, counters, rateLimitedLog, toMaster, fromMaster, haEndpoint,
                maxRecordLength);
        }
        else
        {
            final Subscription fromSlaves = aeron.addSubscription(
                Channels.requestSubscription(ctx.haListenChannel()), Protocol.REPLICA_REQUEST_STREAM_ID);
            haEndpoint = Channels.awaitResolvedEndpoint(fromSlaves, START_TIMEOUT_MS);
            replication = new ReplicationMaster(ctx, aeron, journal, appendHistory, counters, rateLimitedLog, fromSlaves, maxRecordLength,
                epochNanoClock, watermarks);
            replicationAgent = replication;
        }
        sessions = new ProducerSessions(ctx, aeron, counters, rateLimitedLog, histories);
        responder = new Responder(sessions, counters, PENDING_RESPONSES, ctx.syncFlush() ? flusher : null,
            ctx.syncMaster() ? replication : null, ctx.nanoClock());
        sessions.responder(responder);
        final JournalWriterAgent writer = new JournalWriterAgent(
            journal, responder, counters, rateLimitedLog, epochNanoClock, flusher, appendHistory);
        receiver = new ReceiverAgent(ctx, sessions, responder, counters, rateLimitedLog, writer, epochNanoClock, udp, ipc, flusher);

        runner = new AgentRunner(IdleStrategies.create(ctx.idleStrategy()), errorHandler, null,
            new CompositeAgent(receiver, writer, replicationAgent, responder, sessions));
        // the pipeline's log lines are written on the flusher's thread: a logging backend may block. Under ASYNC_FLUSH
        // no answer waits for this thread (flushes are timed, pre-touch is work it finds), so it idles quietly, as long
        // as the pre-toucher stays ahead of the writer (Flusher.quietParkNs)
        flusherRunner = new AgentRunner(IdleStrategies.create(ctx.idleStrategy(), () -> flusher.quietParkNs(System.nanoTime())), errorHandler, null,
            new CompositeAgent(flusher, rateLimitedLog));
        final long lastIndexAtStart = journal.lastIndex(); // the pipeline owns the journal once it runs (a slave may cut it back)
        counters.journalLastIndex.setRelease(lastIndexAtStart);
        // consumers on a thread of their own: however many and however slow, they never hold up the pipeline
        final Subscription tailUdp = aeron.addSubscription(Channels.taggedReference(listenTag), Protocol.TAIL_REQUEST_STREAM_ID);
        final Subscription tailIpc = ctx.ipcEnabled() ? aeron.addSubscription(CommonContext.IPC_CHANNEL, Protocol.TAIL_REQUEST_STREAM_ID) : null;
        final RateLimitedLog tailLog = new RateLimitedLog(LOG, ctx.epochClock(), 1000);
        final TailServer tailServer = new TailServer(ctx, aeron, counters, tailLog, ctx.epochClock(), tailUdp, tailIpc, maxRecordLength);
        // with no consumer connected, nothing but a subscribe can come: it is read within IdleStrategies.QUIET_PARK_NS
        tailRunner = new AgentRunner(IdleStrategies.create(ctx.idleStrategy(), tailServer::servesNone), errorHandler, null,
            new CompositeAgent(tailServer, tailLog));
        AgentRunner.startOnThread(flusherRunner);
        AgentRunner.startOnThread(runner);
        AgentRunner.startOnThread(tailRunner);

        readyLine = "READY listen=aeron:udp?endpoint=" + listenEndpoint +
            (null != ipc ? " ipc=" + CommonContext.IPC_CHANNEL : "") +
            " aeronDir=" + driver.aeronDirectoryName() +
            " store=" + ctx.storeDir() +
            " maxMessageSize=" + ctx.maxMessageSize() +
            " flushDiskType=" + (ctx.syncFlush() ? "SYNC_FLUSH" : "ASYNC_FLUSH") +
            " journalLastIndex=" + lastIndexAtStart +
            " brokerRole=" + ctx.brokerRole() +
            (ctx.slave() ? " haMaster=" + ctx.haMasterChannel() + " haSlave=aeron:udp?endpoint=" + haEndpoint :
                " haListen=aeron:udp?endpoint=" + haEndpoint);
        ctx.readyListener().accept(readyLine);
    }

    /**
     * @return host:port the broker listens on for UDP sends (resolved if the configured port was 0).
     */
    public String listenEndpoint()
    {
        return listenEndpoint;
    }

    /**
     * @return the UDP channel producers should send to.
     */
    public String udpChannel()
    {
        return "aeron:udp?endpoint=" + listenEndpoint;
    }

    /**
     * @return a master's replication channel, where slaves connect (its haListenChannel, port resolved); a slave's own
     * channel it takes records on.
     */
    public String haChannel()
    {
        return "aeron:udp?endpoint=" + haEndpoint;
    }

    /**
     * @return master: slaves connected now.
     */
    public long slavesConnected()
    {
        return counters.slavesConnected.get();
    }

    /**
     * @return master: slaves in sync now.
     */
    public long slavesInSync()
    {
        return counters.slavesInSync.get();
    }

    /**
     * @return master: the lowest index the in-sync slaves acknowledged, -1 if none is in sync.
     */
    public long replicatedIndex()
    {
        return counters.replicaAckedIndex.get();
    }

    /**
     * @return master: slave acks refused (another link, or above what was sent to that slave).
     */
    public long replicaAcksRefused()
    {
        return counters.replicaAcksRefused.get();
    }

    /**
     * @return slave: the last index it wrote from its master.
     */
    public long slaveWrittenIndex()
    {
        return counters.slaveWrittenIndex.get();
    }

    /**
     * @return slave: hellos its master refused.
     */
    public long slaveRefusals()
    {
        return counters.slaveRefusals.get();
    }

    /**
     * @return slave: the index its master said to cut its journal back to, as its journals diverged after it; -1 if none.
     */
    public long slaveCutAfterIndex()
    {
        return counters.slaveCutAfterIndex.get();
    }

    /**
     * @return sends answered FLUSH_SLAVE_TIMEOUT since start.
     */
    public long flushSlaveTimeouts()
    {
        return counters.flushSlaveTimeouts.get();
    }

    /**
     * @return sends answered SLAVE_NOT_AVAILABLE since start.
     */
    public long slaveNotAvailable()
    {
        return counters.slaveNotAvailable.get();
    }

    /**
     * @return consumers the broker streams to now.
     */
    public long consumersConnected()
    {
        return counters.consumersConnected.get();
    }

    /**
     * @return frames from consumers rejected (truncated, of another schema or version, or of unknown type).
     */
    public long tailFramesRejected()
    {
        return counters.tailFramesRejected.get();
    }

    /**
     * @return messages sent to consumers since start.
     */
    public long consumerMessagesSent()
    {
        return counters.consumerMessagesSent.get();
    }

    /**
     * @return the directory of the broker's media driver, which IPC producers join.
     */
    public String aeronDirectoryName()
    {
        return driver.aeronDirectoryName();
    }

    /**
     * @return the line printed when the broker became ready.
     */
    public String readyLine()
    {
        return readyLine;
    }

    /**
     * @return producers connected now.
     */
    public long producersConnected()
    {
        return counters.producersConnected.get();
    }

    /**
     * @return frames rejected as truncated, of another schema or version, or of unknown type.
     */
    public long framesRejected()
    {
        return counters.framesRejected.get();
    }

    /**
     * @return the journal's flusher, for tests in this package.
     */
    Flusher flusher()
    {
        return flusher;
    }

    /**
     * @return times the receiver left a request in Aeron's stream, to be read again, because the answers waiting for
     * their watermark filled the broker's queue (under SYNC_FLUSH or SYNC_MASTER, a flush or a slave lagging).
     */
    public long receiverBackOffs()
    {
        return counters.receiverBackedOff.get();
    }

    /**
     * @return sends refused with an error response.
     */
    public long sendsRefused()
    {
        return counters.sendsRefused.get();
    }

    /**
     * @return requests from producers the broker does not know.
     */
    public long unknownProducerRequests()
    {
        return counters.unknownProducer.get();
    }

    /**
     * @return responses dropped: the producer was gone, or its response stream stayed full past the stall limit
     * or the send's deadline.
     */
    public long responsesDropped()
    {
        return counters.responsesDropped.get();
    }

    /**
     * @return times an answer was held back a duty cycle because its producer's response stream was full.
     */
    public long responsesDelayed()
    {
        return counters.responsesDelayed.get();
    }

    /**
     * @return resends of already accepted sequences, answered without storing them again.
     */
    public long duplicatesReceived()
    {
        return counters.duplicatesReceived.get();
    }

    /**
     * @return journal pages touched ahead of the writer since start.
     */
    public long pagesPreTouched()
    {
        return flusher.pagesPreTouched();
    }

    /**
     * @return journal flushes (fsync) since start.
     */
    public long flushes()
    {
        return counters.flushes.get();
    }

    /**
     * @return time spent in journal flushes since start, in nanoseconds; divided by {@link #flushes()}, the
     * average flush (fsync) takes this long.
     */
    public long flushNanos()
    {
        return counters.flushNanos.get();
    }

    /**
     * @return sends answered FLUSH_DISK_TIMEOUT since start.
     */
    public long flushTimeouts()
    {
        return counters.flushTimeouts.get();
    }

    /**
     * @return sends stored in the journal since start.
     */
    public long sendsStored()
    {
        return counters.sendsStored.get();
    }

    /**
     * Stop taking sends, answer what is pending, then close the journal, the driver and the store lock.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (null != runner && null != receiver)
        {
            receiver.stopAccepting();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MS);
            long cycleAfterDrained = Long.MAX_VALUE; // a responder duty cycle that began after the receiver stopped
            while (!runner.isClosed())
            {
                if (cycleAfterDrained == Long.MAX_VALUE && receiver.isStopped())
                {
                    cycleAfterDrained = responder.dutyCycles() + 1;
                }
                if (responder.dutyCycles() >= cycleAfterDrained && responder.isIdle())
                {
                    break;
                }
                if (System.nanoTime() - deadline > 0)
                {
                    LOG.warn("shutdown: pending sends not drained within {} ms", DRAIN_TIMEOUT_MS);
                    break;
                }
                Thread.yield();
            }
        }
        CloseHelper.closeAll(tailRunner, runner, flusherRunner);
        if (null != sessions)
        {
            // the agents have stopped: this thread may use the sessions and the responder now
            sessions.noticeShutdown(SHUTDOWN_NOTICE_TIMEOUT_MS);
            sessions.closeAll();
        }
        CloseHelper.closeAll(counters, aeron, journal, watermarks, driver, storeLock);
        LOG.info("broker stopped");
    }
}
