package io.peregrine.broker;

import java.util.ArrayList;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.peregrine.journal.Journal;
import io.peregrine.journal.Watermarks;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.Sizing;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.ReplicaAckDecoder;
import io.peregrine.transport.codec.ReplicaHelloDecoder;
import org.agrona.DirectBuffer;
import org.agrona.collections.ArrayListUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;

/**
 * The master's side of replication, on the pipeline thread: takes slaves' hellos and acks on haListenChannel, feeds
 * each accepted slave through its own {@link SlaveLink}, and keeps the replicated watermark, the lowest index the
 * in-sync slaves have acknowledged, which SYNC_MASTER answers wait for (as SYNC_FLUSH answers wait for the flushed
 * watermark: nothing blocks).
 *
 * <p>A slave is in sync while it is heard from within haLivenessTimeout, lacks no record the master appended longer
 * than haSlaveLagTime ago (Kafka's replica.lag.time.max.ms), and is no more than haSlaveFallbehindMax bytes of records
 * behind. One that drops out rejoins once it meets all three again. Times are on the clock the journal writer stamps
 * appends with.
 *
 * <p>A hello is answered from the journal: a slave whose last record (index and CRC) is the master's record at that
 * index is fed from the record after it; an empty slave from the master's first record; any other slave is refused
 * with the reason. A slave that holds records the master does not (it diverged) is told, as well, the newest of its
 * checkpoints (records 0, 1, 2, 4... before its last) that the master holds too: cut back to it (see
 * {@link io.peregrine.journal.JournalCut}), it is fed from there.
 */
final class ReplicationMaster implements Agent, FragmentHandler
{
    private static final int BATCH_BYTES = 64 * 1024;
    private static final int FRAME_OVERHEAD = 128;
    private static final int POLL_LIMIT = 16;
    private static final int MAX_CHECKPOINTS = 64;

    private final BrokerContext ctx;
    private final Aeron aeron;
    private final Journal journal;
    private final AppendHistory appended;
    private final BrokerCounters counters;
    private final RateLimitedLog log;
    private final EpochNanoClock clock;
    private final Subscription subscription;
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final ReplicaHelloDecoder hello = new ReplicaHelloDecoder();
    private final ReplicaAckDecoder ack = new ReplicaAckDecoder();
    private final ArrayList<SlaveLink> links = new ArrayList<>();
    private final long[] checkpointIndices = new long[MAX_CHECKPOINTS];
    private final int[] checkpointCrcs = new int[MAX_CHECKPOINTS];
    private int checkpoints;
    private long cutAfterIndex;
    private final boolean ackFlushed;
    private final long livenessMs;
    private final long heartbeatMs;
    private final long lagTimeMs;
    private final long fallbehindMax;
    private final int batchBytes;
    private final int maxFrameLength;
    private final int termLength;
    private final long epoch;
    private long nextLinkId;
    private long replicatedIndex = -1;
    private final Watermarks watermarks;
    private long publishedReplicated;
    private int inSyncSlaves;
    private long nowMs;

    ReplicationMaster(
        final BrokerContext ctx,
        final Aeron aeron,
        final Journal journal,
        final AppendHistory appended,
        final BrokerCounters counters,
        final RateLimitedLog log,
        final Subscription subscription,
        final int maxRecordLength,
        final EpochNanoClock clock,
        final Watermarks watermarks)
    {
        this.watermarks = watermarks;
        this.publishedReplicated = watermarks.replicated();
        this.ctx = ctx;
        this.aeron = aeron;
        this.journal = journal;
        this.appended = appended;
        this.counters = counters;
        this.log = log;
        this.clock = clock;
        this.subscription = subscription;
        this.ackFlushed = ctx.slaveAckFlushed();
        this.livenessMs = ctx.haLivenessTimeoutMs();
        this.heartbeatMs = ctx.haHeartbeatIntervalMs();
        this.lagTimeMs = ctx.haSlaveLagTimeMs();
        this.fallbehindMax = ctx.haSlaveFallbehindMax();
        // a frame is a batch plus at most one record over it, and must fit Aeron's largest message
        this.batchBytes = Math.max(0, Math.min(BATCH_BYTES, Sizing.AERON_MAX_MESSAGE_LENGTH - maxRecordLength - 2 * FRAME_OVERHEAD));
        this.maxFrameLength = batchBytes + maxRecordLength + FRAME_OVERHEAD;
        this.termLength = Sizing.replicaTermLength(maxFrameLength);
        this.epoch = 0;
        this.nextLinkId = clock.nanoTime(); // a restarted master's links differ from the last run's
    }

    public String roleName()
    {
        return "replication-master";
    }

    public int doWork()
    {
        nowMs = clock.nanoTime() / 1_000_000;
        int work = subscription.poll(this, POLL_LIMIT);
        final long masterLastIndex = appended.lastIndex();
        long watermark = Long.MAX_VALUE;
        int inSync = 0;
        long lagRecords = 0;
        long lagBytes = 0;
        for (int i = links.size() - 1; i >= 0; i--)
        {
            final SlaveLink link = links.get(i);
            try
            {
                work += link.doWork(nowMs, masterLastIndex, epoch, heartbeatMs, counters);
            }
            catch (final RuntimeException ex)
            {
                log.info("replication: slave " + link.describe + " dropped: " + ex.getMessage());
                link.close();
            }
            if (link.state == SlaveLink.CLOSED || nowMs - link.lastHeardMs > livenessMs)
            {
                if (link.state != SlaveLink.CLOSED)
                {
                    log.info("replication: slave " + link.describe + " gone (silent for " + (nowMs - link.lastHeardMs) + " ms)");
                }
                else if (null == link.refusal)
                {
                    log.info("replication: slave " + link.describe + " gone (its stream was closed)");
                }
                link.close();
                ArrayListUtil.fastUnorderedRemove(links, i);
                continue;
            }
            if (link.state != SlaveLink.STREAMING)
            {
                continue;
            }
            final long acked = link.ackedIndex(ackFlushed);
            final long records = appended.recordsAfter(acked);
            final long bytes = appended.bytesAfter(acked);
            final long lagMs = appended.lagMs(acked, nowMs);
            final boolean inSyncNow = lagMs != AppendHistory.UNKNOWN && lagMs <= lagTimeMs && bytes != AppendHistory.UNKNOWN &&
                bytes <= fallbehindMax;
            if (inSyncNow != link.inSync)
            {
                link.inSync = inSyncNow;
                log.info("replication: slave " + link.describe + (inSyncNow ? " in sync at index " + acked :
                    " out of sync: acked index " + acked + (lagMs == AppendHistory.UNKNOWN ? ", further behind than the master remembers" :
                    ", lacks records appended " + lagMs + " ms ago, " + records + " records and " + bytes + " bytes behind")));
            }
            if (inSyncNow)
            {
                inSync++;
                watermark = Math.min(watermark, acked);
            }
            lagRecords = records == AppendHistory.UNKNOWN || lagRecords == AppendHistory.UNKNOWN ? AppendHistory.UNKNOWN :
                Math.max(lagRecords, records);
            lagBytes = bytes == AppendHistory.UNKNOWN || lagBytes == AppendHistory.UNKNOWN ? AppendHistory.UNKNOWN : Math.max(lagBytes, bytes);
        }
        inSyncSlaves = inSync;
        replicatedIndex = inSync > 0 ? watermark : -1;
        if (replicatedIndex > publishedReplicated)
        {
            publishedReplicated = replicatedIndex;
            watermarks.replicated(replicatedIndex);
        }
        counters.slavesConnected.setRelease(links.size());
        counters.slavesInSync.setRelease(inSync);
        counters.replicaAckedIndex.setRelease(replicatedIndex);
        counters.replicaLagRecords.setRelease(lagRecords);
        counters.replicaLagBytes.setRelease(lagBytes);
        return work;
    }

    /**
     * @return slaves in sync as of the last duty cycle.
     */
    int inSyncSlaves()
    {
        return inSyncSlaves;
    }

    /**
     * @return the lowest index the in-sync slaves have acknowledged (written or flushed, per slaveAckPolicy); -1 if none
     * is in sync.
     */
    long replicatedIndex()
    {
        return replicatedIndex;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header fragmentHeader)
    {
        final int templateId = WireFrames.check(header, buffer, offset, length);
        try
        {
            if (templateId == ReplicaAckDecoder.TEMPLATE_ID)
            {
                ack.wrapAndApplyHeader(buffer, offset, header);
                onAck(ack.nodeId(), ack.linkId(), ack.writtenIndex(), ack.flushedIndex());
                return;
            }
            if (templateId == ReplicaHelloDecoder.TEMPLATE_ID)
            {
                hello.wrapAndApplyHeader(buffer, offset, header);
                final Image image = subscription.imageBySessionId(fragmentHeader.sessionId());
                onHello(null == image ? null : image.sourceIdentity(), offset + length);
                return;
            }
        }
        catch (final IndexOutOfBoundsException ex)
        {
            ReplicationSlave.rejected("its fields run past the frame's " + length + " bytes", "replication master", counters, log);
            return;
        }
        ReplicationSlave.rejected(templateId < 0 ? WireFrames.describe(templateId, header, length) : "unknown template id " + templateId,
            "replication master", counters, log);
    }

    private void onAck(final long nodeId, final long linkId, final long written, final long flushed)
    {
        final SlaveLink link = link(nodeId);
        String refusal = null;
        if (null == link || link.linkId != linkId)
        {
            refusal = "it is for link " + linkId + ", not the node's current link" + (null == link ? "" : " " + link.linkId);
        }
        else if (written > link.sentIndex || written > appended.lastIndex())
        {
            refusal = "written index " + written + " is above the last index sent to it (" + link.sentIndex + ")";
        }
        else if (written < link.writtenIndex || flushed > written)
        {
            refusal = "written index " + written + " went back (was " + link.writtenIndex + ") or flushed " + flushed + " is above it";
        }
        if (null != refusal)
        {
            counters.replicaAcksRefused.incrementRelease();
            if (log.admit("replica-ack"))
            {
                log.warn("replication: refused an ack from slave node " + Long.toHexString(nodeId) + ": " + refusal);
            }
            return;
        }
        link.lastHeardMs = nowMs;
        link.acked = true;
        link.writtenIndex = written;
        link.flushedIndex = Math.max(link.flushedIndex, flushed);
    }

    private void onHello(final String sourceIdentity, final int frameEnd)
    {
        final long nodeId = hello.nodeId();
        final long lastIndex = hello.lastIndex();
        final int lastCrc = hello.lastCrc();
        final int maxMessageSize = hello.maxMessageSize();
        checkpoints = 0;
        for (final ReplicaHelloDecoder.CheckpointsDecoder checkpoint : hello.checkpoints())
        {
            if (checkpoints < checkpointIndices.length)
            {
                checkpointIndices[checkpoints] = checkpoint.index();
                checkpointCrcs[checkpoints++] = checkpoint.crc();
            }
        }
        final String dataEndpoint = hello.dataEndpoint();
        final String rollCycle = hello.rollCycle();
        if (hello.limit() > frameEnd)
        {
            ReplicationSlave.rejected("a hello whose strings run past the frame", "replication master", counters, log);
            return;
        }
        final SlaveLink existing = link(nodeId);
        final String describe = Long.toHexString(nodeId) + "@" + dataEndpoint;
        if (null != existing && !existing.acked && existing.startAfterIndex == lastIndex && existing.describe.equals(describe))
        {
            // sent before the slave had the start (its acks, on the same stream, come after its hellos); not counted as
            // hearing from it, so a link whose slave never acks (it restarted meanwhile) expires and the next hello rebuilds it
            return;
        }
        final String endpoint = ProducerSessions.verifiedEndpoint(dataEndpoint, sourceIdentity);
        if (null == endpoint)
        {
            if (log.admit("replica-endpoint"))
            {
                log.warn("replication: ignored a hello from " + sourceIdentity + ": its data endpoint '" + dataEndpoint +
                    "' is not on the host it sends from");
            }
            return;
        }
        if (null != existing)
        {
            existing.close();
            links.remove(existing);
        }
        final String refusal = refusal(lastIndex, lastCrc, maxMessageSize, rollCycle);
        final Journal.RecordReader reader = null == refusal ? journal.readerAfter(lastIndex) : null;
        final String why = null == refusal && null == reader ? "the master no longer holds its record " + lastIndex : refusal;
        final String dataChannel = Channels.replicaPublication(endpoint, termLength);
        links.add(new SlaveLink(aeron, dataChannel, Protocol.REPLICA_DATA_STREAM_ID, nodeId, nextLinkId++, describe, lastIndex,
            null == why ? reader : null, why, null == refusal ? -1 : cutAfterIndex, batchBytes, maxFrameLength, nowMs));
        if (null != why)
        {
            log.warn("replication: refused slave " + describe + ": " + why);
        }
        else
        {
            log.info("replication: slave " + describe + " connected; feeding it from index " + lastIndex + " on (master's last " +
                appended.lastIndex() + ")");
        }
    }

    /**
     * @return why a slave with this journal cannot be fed, or null if it can; {@link #cutAfterIndex} is then where a
     * diverged slave can be cut back to, or -1.
     */
    private String refusal(final long lastIndex, final int lastCrc, final int maxMessageSize, final String rollCycle)
    {
        cutAfterIndex = -1;
        final String resync = "; move the slave's store aside and start it empty to copy the master afresh";
        if (!ctx.rollCycle().equals(rollCycle))
        {
            return "its rollCycle " + rollCycle + " is not the master's " + ctx.rollCycle() + "; start it with rollCycle=" + ctx.rollCycle() +
                " on an empty store";
        }
        if (maxMessageSize < ctx.maxMessageSize())
        {
            return "its maxMessageSize " + maxMessageSize + " is below the master's " + ctx.maxMessageSize() + "; start it with maxMessageSize=" +
                ctx.maxMessageSize();
        }
        if (lastIndex < 0)
        {
            return null;
        }
        final long masterLast = appended.lastIndex();
        final long crc = lastIndex > masterLast ? Journal.NO_RECORD : journal.storedCrc(lastIndex);
        if (crc != Journal.NO_RECORD && (int)crc == lastCrc)
        {
            return null;
        }
        final long first = journal.firstIndex();
        if (crc == Journal.NO_RECORD && lastIndex <= masterLast && lastIndex < first)
        {
            return "its last record " + lastIndex + " is older than the master's first retained record " + first + " (fileReservedTime)" + resync;
        }
        final String diverged = crc != Journal.NO_RECORD ? "its record at index " + lastIndex + " differs from the master's (CRC 0x" +
            Integer.toHexString(lastCrc) + " against 0x" + Integer.toHexString((int)crc) + ")" :
            lastIndex > masterLast ? "its journal ends at index " + lastIndex + ", beyond the master's last " + masterLast :
            "the master holds no record at its last index " + lastIndex;
        cutAfterIndex = commonCheckpoint(masterLast);
        if (cutAfterIndex < 0)
        {
            return diverged + ", and none of its " + checkpoints + " checkpoints back from there is the master's record at that index: " +
                "the journals share nothing the slave sent" + resync;
        }
        return diverged + ": the journals diverged after index " + cutAfterIndex + " at the latest (the newest record of the slave's " +
            "checkpoints that the master holds too); cut the slave's journal back to it and it is fed from there";
    }

    /**
     * @return the newest of the hello's checkpoints whose record the master holds too, or -1.
     */
    private long commonCheckpoint(final long masterLast)
    {
        long common = -1;
        for (int i = 0; i < checkpoints; i++)
        {
            final long index = checkpointIndices[i];
            if (index > common && index <= masterLast)
            {
                final long crc = journal.storedCrc(index);
                if (crc != Journal.NO_RECORD && (int)crc == checkpointCrcs[i])
                {
                    common = index;
                }
            }
        }
        return common;
    }

    private SlaveLink link(final long nodeId)
    {
        for (int i = 0, size = links.size(); i < size; i++)
        {
            if (links.get(i).nodeId == nodeId)
            {
                return links.get(i);
            }
        }
        return null;
    }

    public void onClose()
    {
        for (final SlaveLink link : links)
        {
            link.close();
        }
        links.clear();
    }
}
