package io.peregrine.broker;

import java.nio.ByteBuffer;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.peregrine.journal.Journal;
import io.peregrine.journal.RecordView;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.ReplicaRecordsEncoder;
import io.peregrine.transport.codec.ReplicaStartEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A master's feed to one slave: the record stream (an exclusive publication to the endpoint the slave named), a
 * journal reader of its own that streams from where the slave's journal ends (never an in-memory copy), and what the
 * slave has acknowledged. Each frame is a batch of whole records read from the journal, bounded in bytes; a frame the
 * publication does not take (back-pressure) is kept and offered again, so the reader never runs ahead of what the
 * slave can receive. Pipeline thread only.
 */
final class SlaveLink implements Journal.RecordHandler
{
    static final int ADDING = 0;
    static final int STARTING = 1;
    static final int STREAMING = 2;
    static final int CLOSED = 3;

    private static final int MAX_RECORDS_PER_FRAME = 65_534;

    final long nodeId;
    final long linkId;
    final String describe;
    final long startAfterIndex;
    final String refusal;
    private final long cutAfterIndex;
    int state = ADDING;
    long lastHeardMs;
    long writtenIndex;
    long flushedIndex;
    long sentIndex;
    boolean inSync;
    boolean acked;
    private boolean closed;

    private final Aeron aeron;
    private final long registrationId;
    private final Journal.RecordReader reader;
    private final int batchBytes;
    private final UnsafeBuffer frame;
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ReplicaRecordsEncoder recordsEncoder = new ReplicaRecordsEncoder();
    private final ReplicaStartEncoder startEncoder = new ReplicaStartEncoder();
    private ReplicaRecordsEncoder.RecordsEncoder group;
    private ExclusivePublication publication;
    private final PendingFrame pending;
    private long pendingRecordBytes;
    private long batchRecordBytes;
    private int batchRecords;
    private long lastSentMs;

    /**
     * @param reader          the journal after startAfterIndex; null if the link only carries a refusal.
     * @param refusal         why the slave is not fed; null if it is.
     * @param cutAfterIndex   with a refusal because the journals diverged, where the slave can cut back to; -1 otherwise.
     * @param maxFrameLength  room for a batch and one largest record.
     */
    SlaveLink(
        final Aeron aeron,
        final String channel,
        final int streamId,
        final long nodeId,
        final long linkId,
        final String describe,
        final long startAfterIndex,
        final Journal.RecordReader reader,
        final String refusal,
        final long cutAfterIndex,
        final int batchBytes,
        final int maxFrameLength,
        final long nowMs)
    {
        this.aeron = aeron;
        this.nodeId = nodeId;
        this.linkId = linkId;
        this.describe = describe;
        this.startAfterIndex = startAfterIndex;
        this.reader = reader;
        this.refusal = refusal;
        this.cutAfterIndex = cutAfterIndex;
        this.batchBytes = batchBytes;
        this.frame = new UnsafeBuffer(ByteBuffer.allocateDirect(null == refusal ? maxFrameLength : 4096));
        this.pending = new PendingFrame(frame);
        this.writtenIndex = startAfterIndex;
        this.flushedIndex = -1;
        this.sentIndex = startAfterIndex;
        this.lastHeardMs = nowMs;
        this.registrationId = aeron.asyncAddExclusivePublication(channel, streamId);
    }

    /**
     * Move the link on: wait for its publication, send the start (or the refusal), then records and heartbeats.
     *
     * @param masterLastIndex the master's last appended index.
     * @return work done; the link is {@link #CLOSED} afterwards if it is finished or broken.
     */
    int doWork(final long nowMs, final long masterLastIndex, final long epoch, final long heartbeatMs, final BrokerCounters counters)
    {
        switch (state)
        {
            case ADDING:
                publication = aeron.getExclusivePublication(registrationId); // throws if the driver refused the channel
                if (null == publication)
                {
                    return 0;
                }
                state = STARTING;
                return 1;
            case STARTING:
                if (!publication.isConnected() || !offerStart(masterLastIndex, epoch))
                {
                    return 0;
                }
                lastSentMs = nowMs;
                state = null == refusal ? STREAMING : CLOSED; // a closed publication lingers until the refusal is delivered
                return 1;
            case STREAMING:
                return stream(nowMs, masterLastIndex, heartbeatMs, counters);
            default:
                return 0;
        }
    }

    private int stream(final long nowMs, final long masterLastIndex, final long heartbeatMs, final BrokerCounters counters)
    {
        if (pending.isEmpty())
        {
            if (sentIndex < masterLastIndex)
            {
                encodeBatch(masterLastIndex);
            }
            else if (nowMs - lastSentMs >= heartbeatMs)
            {
                encodeBatchHeader(masterLastIndex);
                recordsEncoder.recordsCount(0);
                pending.hold(MessageHeaderEncoder.ENCODED_LENGTH + recordsEncoder.encodedLength());
                pendingRecordBytes = 0;
            }
            else
            {
                return 0;
            }
        }
        final int outcome = pending.offer(publication);
        if (outcome == PendingFrame.SENT)
        {
            lastSentMs = nowMs;
            counters.bytesReplicated.getAndAddRelease(pendingRecordBytes);
            return 1;
        }
        if (outcome == PendingFrame.ENDED)
        {
            state = CLOSED;
        }
        return 0; // back-pressured or not connected: the frame stays, and liveness decides about the slave
    }

    private void encodeBatch(final long masterLastIndex)
    {
        encodeBatchHeader(masterLastIndex);
        group = recordsEncoder.recordsCount(MAX_RECORDS_PER_FRAME);
        batchRecordBytes = 0;
        batchRecords = 0;
        long frameBytes = 0;
        while (reader.readNext(this))
        {
            frameBytes = recordsEncoder.encodedLength();
            if (frameBytes >= batchBytes || batchRecords == MAX_RECORDS_PER_FRAME || sentIndex >= masterLastIndex)
            {
                break;
            }
        }
        group.resetCountToIndex();
        group = null;
        pending.hold(MessageHeaderEncoder.ENCODED_LENGTH + recordsEncoder.encodedLength());
        pendingRecordBytes = batchRecordBytes;
    }

    private void encodeBatchHeader(final long masterLastIndex)
    {
        recordsEncoder.wrapAndApplyHeader(frame, 0, header).linkId(linkId).masterLastIndex(masterLastIndex).previousIndex(sentIndex);
    }

    public void onRecord(final RecordView record)
    {
        group.next().index(record.index()).putRecord(record.buffer(), 0, record.length());
        sentIndex = record.index();
        batchRecordBytes += record.length();
        batchRecords++;
    }

    private boolean offerStart(final long masterLastIndex, final long epoch)
    {
        startEncoder.wrapAndApplyHeader(frame, 0, header)
            .nodeId(nodeId)
            .linkId(linkId)
            .epoch(epoch)
            .startAfterIndex(startAfterIndex)
            .masterLastIndex(masterLastIndex)
            .cutAfterIndex(null == refusal ? -1 : cutAfterIndex)
            .refusal(null == refusal ? "" : refusal);
        return publication.offer(frame, 0, MessageHeaderEncoder.ENCODED_LENGTH + startEncoder.encodedLength()) > 0;
    }

    /**
     * @return the index the slave's acks say it holds under the master's policy.
     */
    long ackedIndex(final boolean flushed)
    {
        return flushed ? flushedIndex : writtenIndex;
    }

    /**
     * @return true once the slave's publication is connected (its subscription is there).
     */
    boolean connected()
    {
        return null != publication && publication.isConnected();
    }

    void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        state = CLOSED;
        CloseHelper.quietCloseAll(reader, publication);
        if (null == publication)
        {
            aeron.asyncRemovePublication(registrationId);
        }
    }
}
