package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalCut;
import io.peregrine.journal.RecordView;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.ReplicaAckEncoder;
import io.peregrine.transport.codec.ReplicaHelloEncoder;
import io.peregrine.transport.codec.ReplicaRecordsDecoder;
import io.peregrine.transport.codec.ReplicaStartDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A slave's side of replication, on its pipeline thread: says hello to the master (its node id, where its journal
 * ends and that record's CRC) until the master answers with a start, then writes each record the master sends at the
 * master's index, byte for byte, after checking it, and acknowledges what it has written and flushed. Silence from
 * the master for haLivenessTimeout, or a record that does not check, ends the link; the slave then says hello again,
 * so it follows a restarted master without an operator. A master's refusal is logged with its reason and counted, and
 * asked again every haLivenessTimeout. One because the journals diverged names the index to cut back to: the slave
 * cuts its journal back by itself (haSlaveAutoCut, the default; the flusher pauses meanwhile) and says hello again, or
 * logs the command that does it and shows the index in a counter.
 */
final class ReplicationSlave implements Agent, FragmentHandler
{
    private static final long NO_LINK = Long.MIN_VALUE;
    private static final long NO_CUT = Long.MIN_VALUE;
    private static final int POLL_LIMIT = 8;
    private static final String NODE_ID_FILE = "replica-node-id";
    private static final int CHECKPOINTS = 48;
    private static final int CHECKPOINT_CYCLES = 64;

    private final BrokerContext ctx;
    private final Journal journal;
    private final Flusher flusher;
    private final BrokerCounters counters;
    private final RateLimitedLog log;
    private final EpochClock clock;
    private final ExclusivePublication toMaster;
    private final Subscription fromMaster;
    private final FragmentAssembler assembler = new FragmentAssembler(this, 0, true); // direct: records are checked and written in place
    private final String dataEndpoint;
    private final long nodeId;
    private final long livenessMs;
    private final long heartbeatMs;
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
    private final int maxRecordLength;
    private final UnsafeBuffer recordWrapper = new UnsafeBuffer(0, 0);
    private final RecordView view = new RecordView();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final ReplicaHelloEncoder hello = new ReplicaHelloEncoder();
    private final ReplicaAckEncoder ack = new ReplicaAckEncoder();
    private final ReplicaStartDecoder start = new ReplicaStartDecoder();
    private final ReplicaRecordsDecoder records = new ReplicaRecordsDecoder();
    private final long[] checkpointIndices = new long[CHECKPOINTS];
    private final int[] checkpointCrcs = new int[CHECKPOINTS];
    private int checkpoints;
    private long checkpointsOf = Long.MIN_VALUE;
    private long linkId = NO_LINK;
    private long writtenIndex;
    private long ackedWritten = Long.MIN_VALUE;
    private long ackedFlushed = Long.MIN_VALUE;
    private long lastHeardMs;
    private long lastAckMs;
    private long nextHelloMs;
    private String lastRefusal;
    private long nowMs;
    private long cutPending = NO_CUT;
    private boolean stopped;

    ReplicationSlave(
        final BrokerContext ctx,
        final Journal journal,
        final Flusher flusher,
        final BrokerCounters counters,
        final RateLimitedLog log,
        final ExclusivePublication toMaster,
        final Subscription fromMaster,
        final String dataEndpoint,
        final int maxRecordLength)
    {
        this.ctx = ctx;
        this.journal = journal;
        this.flusher = flusher;
        this.counters = counters;
        this.log = log;
        this.clock = ctx.epochClock();
        this.toMaster = toMaster;
        this.fromMaster = fromMaster;
        this.dataEndpoint = dataEndpoint;
        this.nodeId = nodeId(ctx.storeDir());
        this.livenessMs = ctx.haLivenessTimeoutMs();
        this.heartbeatMs = ctx.haHeartbeatIntervalMs();
        this.maxRecordLength = maxRecordLength;
        this.writtenIndex = journal.lastIndex();
        counters.slaveWrittenIndex.setRelease(writtenIndex);
    }

    public String roleName()
    {
        return "replication-slave";
    }

    public int doWork()
    {
        nowMs = clock.time();
        if (cutPending != NO_CUT)
        {
            return cutBackOncePaused();
        }
        if (stopped)
        {
            return 0;
        }
        int work = fromMaster.poll(assembler, POLL_LIMIT);
        if (linkId == NO_LINK)
        {
            if (nowMs >= nextHelloMs && sendHello())
            {
                nextHelloMs = nowMs + (null == lastRefusal ? heartbeatMs : livenessMs);
                work++;
            }
            return work;
        }
        if (nowMs - lastHeardMs > livenessMs)
        {
            log.info("replication: master at " + ctx.haMasterChannel() + " silent for " + (nowMs - lastHeardMs) + " ms; saying hello again");
            dropLink();
            return work;
        }
        final long flushed = flusher.flushedWatermark();
        if (writtenIndex != ackedWritten || flushed != ackedFlushed || nowMs - lastAckMs >= heartbeatMs)
        {
            work += sendAck(flushed);
        }
        return work;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header fragmentHeader)
    {
        final int templateId = WireFrames.check(header, buffer, offset, length);
        try
        {
            if (templateId == ReplicaRecordsDecoder.TEMPLATE_ID)
            {
                records.wrapAndApplyHeader(buffer, offset, header);
                if (records.linkId() == linkId)
                {
                    onRecords(offset + length);
                }
                return;
            }
            if (templateId == ReplicaStartDecoder.TEMPLATE_ID)
            {
                start.wrapAndApplyHeader(buffer, offset, header);
                if (start.nodeId() == nodeId)
                {
                    onReplicaStart(offset + length);
                }
                return;
            }
        }
        catch (final IndexOutOfBoundsException ex)
        {
            rejected("its fields run past the frame's " + length + " bytes", "replication slave", counters, log);
            return;
        }
        rejected(templateId < 0 ? WireFrames.describe(templateId, header, length) : "unknown template id " + templateId,
            "replication slave", counters, log);
    }

    /**
     * Count and log (rate-limited) a replication frame that cannot be decoded; the link goes on.
     */
    static void rejected(final String why, final String who, final BrokerCounters counters, final RateLimitedLog log)
    {
        counters.framesRejected.incrementRelease();
        if (log.admit("replica-frame"))
        {
            log.warn(who + ": rejected a frame: " + why);
        }
    }

    private void onReplicaStart(final int frameEnd)
    {
        final long startLinkId = start.linkId();
        final long startAfter = start.startAfterIndex();
        final long masterLast = start.masterLastIndex();
        final long cutAfter = start.cutAfterIndex();
        final String refusal = start.refusal();
        if (start.limit() > frameEnd)
        {
            rejected("a start whose refusal runs past the frame", "replication slave", counters, log);
            return;
        }
        if (!refusal.isEmpty() && linkId == NO_LINK)
        {
            counters.slaveRefusals.incrementRelease();
            final boolean cut = cutAfter >= 0 && cutAfter < writtenIndex;
            counters.slaveCutAfterIndex.setRelease(cut ? cutAfter : -1);
            if (cut && ctx.haSlaveAutoCut())
            {
                log.warn("replication: the master at " + ctx.haMasterChannel() + " refused this slave: " + refusal +
                    ". Cutting the journal back to " + cutAfter + " (haSlaveAutoCut)");
                cutPending = cutAfter;
                flusher.requestPause();
                return;
            }
            if (!refusal.equals(lastRefusal) || log.admit("replica-refused"))
            {
                log.warn("replication: the master at " + ctx.haMasterChannel() + " refused this slave: " + refusal +
                    (cut ? ". To rejoin, stop this broker and run `peregrine journal cut " + ctx.storeDir() + " --after " + cutAfter +
                    "`: the cycle files holding records after " + cutAfter + " move to " + JournalCut.divergedDir(ctx.journalDir()) +
                    " (kept whole, not deleted); then start it again" : ""));
            }
            lastRefusal = refusal;
            nextHelloMs = nowMs + livenessMs;
            return;
        }
        if (linkId != NO_LINK || startAfter != writtenIndex || !refusal.isEmpty())
        {
            return; // an answer to an earlier hello
        }
        lastRefusal = null;
        counters.slaveCutAfterIndex.setRelease(-1);
        linkId = startLinkId;
        lastHeardMs = nowMs;
        counters.slaveMasterIndex.setRelease(masterLast);
        log.info("replication: following the master at " + ctx.haMasterChannel() + " from index " + startAfter + " (master's last " +
            masterLast + ")");
        sendAck(flusher.flushedWatermark()); // tells the master the start arrived: hellos sent before it are stale
    }

    /**
     * Once the flusher has let go of the journal, cut it back on this thread (the journal's writer), then say hello
     * again from the cut. Blocks the pipeline for as long as the cut takes: moving files, and writing back the records
     * of the cut's cycle up to the cut. A cut that fails stops replication until a restart, which finishes it.
     */
    private int cutBackOncePaused()
    {
        if (!flusher.isPaused())
        {
            return 0;
        }
        final long cut = cutPending;
        cutPending = NO_CUT;
        try
        {
            final JournalCut.Result result = journal.cutBack(cut);
            writtenIndex = journal.lastIndex();
            log.warn("replication: cut the journal back to index " + cut + "; " + result.movedFiles().size() +
                " cycle file(s) holding what followed kept in " + result.keptIn() + ", " + result.rebuilt() + " record(s) written back");
        }
        catch (final RuntimeException ex)
        {
            stopped = true;
            log.warn("replication: could not cut the journal back to index " + cut + " (" + ex.getMessage() + "); this slave stops " +
                "replicating: restart it, a start finishes a cut that stopped part way");
        }
        flusher.resumeAt(writtenIndex);
        counters.slaveCutAfterIndex.setRelease(-1);
        counters.slaveWrittenIndex.setRelease(writtenIndex);
        lastRefusal = null;
        nextHelloMs = nowMs;
        return 1;
    }

    private void onRecords(final int frameEnd)
    {
        lastHeardMs = nowMs;
        counters.slaveMasterIndex.setRelease(records.masterLastIndex());
        if (records.previousIndex() != writtenIndex)
        {
            // Aeron delivers the stream in order, so a frame after a lost one (an image that rejoined) shows up here
            fail("the master's frame follows index " + records.previousIndex() + " but this slave ends at " + writtenIndex);
            return;
        }
        final long before = writtenIndex;
        for (final ReplicaRecordsDecoder.RecordsDecoder entry : records.records())
        {
            final long index = entry.index();
            entry.wrapRecord(recordWrapper);
            final int length = recordWrapper.capacity();
            if (records.limit() > frameEnd)
            {
                rejected("record " + index + " runs past the frame", "replication slave", counters, log);
                dropLink();
                break;
            }
            if (length > maxRecordLength)
            {
                fail("record " + index + " of " + length + " bytes is over this slave's limit of " + maxRecordLength + "; raise maxMessageSize");
                break;
            }
            // checked and written where it lies, in the term buffer or the assembler's (direct) buffer: one copy, into the journal
            final String damage = view.wrap(index, recordWrapper.addressOffset(), length).validate();
            if (null != damage)
            {
                fail("record " + index + " from the master does not check: " + damage);
                break;
            }
            try
            {
                journal.writeAt(index, recordWrapper, 0, length);
            }
            catch (final RuntimeException ex)
            {
                fail("could not write record " + index + ": " + ex.getMessage());
                break;
            }
            writtenIndex = index;
        }
        if (writtenIndex != before)
        {
            flusher.appended(writtenIndex);
            counters.slaveWrittenIndex.setRelease(writtenIndex);
        }
    }

    private void fail(final String why)
    {
        if (log.admit("replica-record"))
        {
            log.warn("replication: " + why + "; saying hello again");
        }
        dropLink();
    }

    private void dropLink()
    {
        linkId = NO_LINK;
        nextHelloMs = nowMs;
        ackedWritten = Long.MIN_VALUE;
    }

    private boolean sendHello()
    {
        if (checkpointsOf != writtenIndex)
        {
            checkpoints = journal.checkpoints(checkpointIndices, checkpointCrcs, CHECKPOINT_CYCLES);
            checkpointsOf = writtenIndex;
        }
        hello.wrapAndApplyHeader(out, 0, headerEncoder)
            .nodeId(nodeId)
            .lastEpoch(0)
            .lastIndex(writtenIndex)
            .lastCrc(checkpoints > 0 ? checkpointCrcs[0] : 0)
            .maxMessageSize(ctx.maxMessageSize());
        final ReplicaHelloEncoder.CheckpointsEncoder group = hello.checkpointsCount(checkpoints);
        for (int i = 0; i < checkpoints; i++)
        {
            group.next().index(checkpointIndices[i]).crc(checkpointCrcs[i]);
        }
        hello.dataEndpoint(dataEndpoint).rollCycle(ctx.rollCycle());
        return toMaster.offer(out, 0, MessageHeaderEncoder.ENCODED_LENGTH + hello.encodedLength()) > 0;
    }

    private int sendAck(final long flushed)
    {
        final long flushedIndex = Math.min(flushed, writtenIndex);
        ack.wrapAndApplyHeader(out, 0, headerEncoder)
            .nodeId(nodeId)
            .linkId(linkId)
            .writtenIndex(writtenIndex)
            .flushedIndex(flushedIndex);
        if (toMaster.offer(out, 0, MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength()) > 0)
        {
            ackedWritten = writtenIndex;
            ackedFlushed = flushed;
            lastAckMs = nowMs;
            return 1;
        }
        return 0;
    }

    /**
     * This slave's node id, kept in its store with where the store is (host and path), so that a restarted slave is the
     * same node to its master and a copy of a store (a slave seeded from another's files) is a node of its own.
     *
     * @param storeDir the slave's store.
     * @return its node id.
     */
    static long nodeId(final File storeDir)
    {
        final File file = new File(storeDir, NODE_ID_FILE);
        try
        {
            final String where = hostName() + ":" + storeDir.getCanonicalPath();
            if (file.isFile())
            {
                final String[] kept = Files.readString(file.toPath(), StandardCharsets.UTF_8).trim().split(" ", 2);
                final long id = Long.parseUnsignedLong(kept[0], 16);
                if (kept.length == 2 && kept[1].equals(where))
                {
                    return id;
                }
                if (kept.length == 1)
                {
                    writeNodeId(storeDir, file, id, where); // written before the location was kept with it
                    return id;
                }
            }
            final long id = new SecureRandom().nextLong();
            writeNodeId(storeDir, file, id, where);
            return id;
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalStateException("cannot read or create the slave's node id in " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static void writeNodeId(final File storeDir, final File file, final long id, final String where) throws IOException
    {
        final File tmp = new File(storeDir, NODE_ID_FILE + ".tmp");
        Files.writeString(tmp.toPath(), Long.toHexString(id) + " " + where + System.lineSeparator(), StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        Journal.forceDirectory(storeDir);
    }

    private static String hostName()
    {
        try
        {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
        }
        catch (final IOException ex)
        {
            try
            {
                return InetAddress.getLocalHost().getHostName();
            }
            catch (final IOException ignore)
            {
                return "unknown-host";
            }
        }
    }
}
