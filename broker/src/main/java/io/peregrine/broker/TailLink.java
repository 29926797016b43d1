package io.peregrine.broker;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.peregrine.journal.JournalReader;
import io.peregrine.journal.StoredMessage;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.TailFrom;
import io.peregrine.transport.codec.TailMessagesEncoder;
import io.peregrine.transport.codec.TailStartEncoder;
import org.agrona.CloseHelper;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * The broker's stream to one consumer: a publication to where the consumer listens, a {@link JournalReader} of its
 * own (catch-up and live are the same reading of the journal), and the position the consumer acknowledged. A frame
 * is a batch of whole messages, bounded in bytes; one the publication does not take (back-pressure) is kept and
 * offered again, and nothing more is read until it goes, so a consumer that stops reading costs one frame and the
 * publication's terms, never a growing buffer. Tail thread only.
 */
final class TailLink implements JournalReader.MessageHandler
{
    static final int ADDING = 0;
    static final int STARTING = 1;
    static final int STREAMING = 2;
    static final int CLOSED = 3;

    private static final int MAX_MESSAGES_PER_FRAME = 65_534;
    private static final int INITIAL_FRAME_CAPACITY = 64 * 1024;
    private static final int SCAN_LIMIT = 4096; // records looked at per read, so a rare topic does not stall the others

    final long consumerId;
    final long linkId;
    final String name;
    final String describe;
    final String refusal;
    int state = ADDING;
    long lastHeardMs;
    long sentIndex = -1;
    long ackedIndex = -1;
    boolean acked;
    private final TailFrom requestFrom;
    private final long requestValue;
    private boolean closed;

    private final Aeron aeron;
    private final long registrationId;
    private final JournalReader reader;
    private final int batchBytes;
    private final int heartbeatMs;
    private final int livenessMs;
    private final ExpandableDirectByteBuffer frame;
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final TailMessagesEncoder messagesEncoder = new TailMessagesEncoder();
    private final TailStartEncoder startEncoder = new TailStartEncoder();
    private TailMessagesEncoder.MessagesEncoder group;
    private ExclusivePublication publication;
    private final PendingFrame pending;
    private int batchMessages;
    private long pendingLastIndex;
    private long lastSentMs;
    private final long startAfterIndex;

    /**
     * @param reader     positioned where the consumer asked; null if the link only carries a refusal.
     * @param refusal    why the consumer is not served; null if it is.
     * @param from       where the subscribe this link answers asked to start; with AFTER (a resuming consumer),
     *                   fromValue is its last message, which it may ack.
     */
    TailLink(
        final Aeron aeron,
        final String channel,
        final int streamId,
        final long consumerId,
        final long linkId,
        final String name,
        final String describe,
        final JournalReader reader,
        final String refusal,
        final TailFrom from,
        final long fromValue,
        final int batchBytes,
        final int heartbeatMs,
        final int livenessMs,
        final long nowMs)
    {
        this.aeron = aeron;
        this.consumerId = consumerId;
        this.linkId = linkId;
        this.name = name;
        this.describe = describe;
        this.reader = reader;
        this.refusal = refusal;
        this.batchBytes = batchBytes;
        this.heartbeatMs = heartbeatMs;
        this.livenessMs = livenessMs;
        this.frame = new ExpandableDirectByteBuffer(null == refusal ? INITIAL_FRAME_CAPACITY : 4096);
        this.pending = new PendingFrame(frame);
        this.lastHeardMs = nowMs;
        this.registrationId = aeron.asyncAddExclusivePublication(channel, streamId);
        this.requestFrom = from;
        this.requestValue = fromValue;
        if (null != reader)
        {
            this.ackedIndex = reader.committedIndex();
        }
        final long startAfter = from == TailFrom.AFTER ? fromValue : -1;
        this.sentIndex = Math.max(startAfter, ackedIndex);
        this.startAfterIndex = null == reader ? -1 : Math.max(startAfter, reader.lastIndex());
    }

    /**
     * Move the link on: wait for its publication, send the start (or the refusal), then messages and heartbeats.
     *
     * @param brokerLastIndex the journal's last index, as the broker last published it.
     * @return work done; the link is {@link #CLOSED} afterwards if it is finished or broken.
     */
    int doWork(final long nowMs, final long brokerLastIndex, final BrokerCounters counters)
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
                if (!publication.isConnected() || !offerStart(brokerLastIndex))
                {
                    return 0;
                }
                lastSentMs = nowMs;
                state = null == refusal ? STREAMING : CLOSED; // a closed publication lingers until the refusal is delivered
                return 1;
            case STREAMING:
                return stream(nowMs, brokerLastIndex, counters);
            default:
                return 0;
        }
    }

    private int stream(final long nowMs, final long brokerLastIndex, final BrokerCounters counters)
    {
        if (pending.isEmpty())
        {
            if (publication.availableWindow() <= 0)
            {
                return 0; // the consumer is not keeping up: read nothing until it does
            }
            encodeBatch(brokerLastIndex);
            if (batchMessages == 0)
            {
                if (nowMs - lastSentMs < heartbeatMs)
                {
                    return 0;
                }
                pending.hold(MessageHeaderEncoder.ENCODED_LENGTH + messagesEncoder.encodedLength()); // a heartbeat
            }
        }
        final int outcome = pending.offer(publication);
        if (outcome == PendingFrame.SENT)
        {
            lastSentMs = nowMs;
            if (batchMessages > 0)
            {
                sentIndex = pendingLastIndex;
                counters.consumerMessagesSent.getAndAddRelease(batchMessages);
            }
            return 1;
        }
        if (outcome == PendingFrame.ENDED)
        {
            state = CLOSED;
        }
        return 0; // back-pressured or not connected: the frame stays, and liveness decides about the consumer
    }

    private void encodeBatch(final long brokerLastIndex)
    {
        messagesEncoder.wrapAndApplyHeader(frame, 0, header).linkId(linkId).brokerLastIndex(brokerLastIndex);
        group = messagesEncoder.messagesCount(MAX_MESSAGES_PER_FRAME);
        batchMessages = 0;
        while (batchMessages < MAX_MESSAGES_PER_FRAME && messagesEncoder.encodedLength() < batchBytes && reader.poll(this, 1, SCAN_LIMIT) == 1)
        {
            batchMessages++;
        }
        group.resetCountToIndex();
        group = null;
        pending.hold(batchMessages == 0 ? 0 : MessageHeaderEncoder.ENCODED_LENGTH + messagesEncoder.encodedLength());
    }

    public void onMessage(final StoredMessage message)
    {
        group.next()
            .index(message.index())
            .producerId(message.producerId())
            .sequence(message.sequence())
            .receivedEpochNs(message.receivedEpochNs())
            .storedEpochNs(message.storedEpochNs())
            .putTopic(message.topicBytes(), 0, message.topicBytes().capacity())
            .putBody(message.body(), 0, message.bodyLength());
        pendingLastIndex = message.index();
    }

    private boolean offerStart(final long brokerLastIndex)
    {
        startEncoder.wrapAndApplyHeader(frame, 0, header)
            .consumerId(consumerId)
            .linkId(linkId)
            .brokerLastIndex(brokerLastIndex)
            .heartbeatIntervalMs(heartbeatMs)
            .livenessTimeoutMs(livenessMs)
            .startAfterIndex(startAfterIndex)
            .refusal(null == refusal ? "" : refusal);
        return publication.offer(frame, 0, MessageHeaderEncoder.ENCODED_LENGTH + startEncoder.encodedLength()) > 0;
    }

    /**
     * @return true if the consumer cannot have acknowledged this index: it is above what was sent to it.
     */
    boolean ackRefused(final long index)
    {
        return index > sentIndex;
    }

    /**
     * Take the consumer's acknowledged position, checked with {@link #ackRefused(long)}.
     */
    void ack(final long index, final long nowMs)
    {
        lastHeardMs = nowMs;
        acked = true;
        ackedIndex = Math.max(ackedIndex, index); // one below is a heartbeat of a consumer that has not committed since
    }

    /**
     * @return true if this link answers a subscribe from that position.
     */
    boolean isFor(final TailFrom from, final long fromValue)
    {
        return from == requestFrom && fromValue == requestValue;
    }

    /**
     * @return the index of the last record the link's reader has read (sent or skipped); -1 if none, or no reader.
     */
    long readIndex()
    {
        return null == reader ? -1 : reader.lastIndex();
    }

    /**
     * Keep a named consumer's acknowledged position, if it moved since last kept (one small write, no fsync; see
     * {@link JournalReader#commit(long)}).
     */
    void keepPosition()
    {
        if (null != name && null != reader && ackedIndex > reader.committedIndex())
        {
            reader.commit(ackedIndex);
        }
    }

    /**
     * Keep the position and let go of the stream, the reader and its name.
     */
    void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        state = CLOSED;
        try
        {
            keepPosition();
        }
        finally
        {
            CloseHelper.quietClose(publication);
            if (null == publication)
            {
                aeron.asyncRemovePublication(registrationId);
            }
            CloseHelper.close(reader); // forces the kept position to disk: a failure reaches the caller, which logs it
        }
    }
}
