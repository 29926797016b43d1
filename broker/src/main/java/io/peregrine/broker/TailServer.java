package io.peregrine.broker;

import java.io.File;
import java.util.ArrayList;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalReader;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.Sizing;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.TailAckDecoder;
import io.peregrine.transport.codec.TailFrom;
import io.peregrine.transport.codec.TailSubscribeDecoder;
import org.agrona.DirectBuffer;
import org.agrona.collections.ArrayListUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;

/**
 * Streams what the broker stored to consumers over Aeron, on a thread of its own so that consumers, fast or slow,
 * never hold up the pipeline. Takes subscribes and acks on the broker's listen channel (stream
 * {@link Protocol#TAIL_REQUEST_STREAM_ID}), and feeds each consumer through its own {@link TailLink}: a
 * {@link JournalReader} on the store, read only as fast as the consumer's stream takes frames.
 *
 * <p>A named consumer's acknowledged position is kept as the named reader's (in {@code <store>/readers}), written
 * at most every {@link #KEEP_INTERVAL_MS} while it moves and when the consumer leaves or goes silent; the name is held
 * while it is connected. A subscribe that cannot be served (a name in use, a position whose records retention
 * deleted, a bad topic or endpoint) is answered with the reason on the consumer's stream.
 */
final class TailServer implements Agent, FragmentHandler
{
    /**
     * How often a moving named consumer's acknowledged position is written to disk.
     */
    static final long KEEP_INTERVAL_MS = 100;

    private static final int BATCH_BYTES = 64 * 1024;
    private static final int POLL_LIMIT = 16;
    private static final int MAX_CONSUMERS = 1024;

    private final BrokerContext ctx;
    private final Aeron aeron;
    private final BrokerCounters counters;
    private final RateLimitedLog log;
    private final EpochClock clock;
    private final Subscription udp;
    private final Subscription ipc;
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final TailSubscribeDecoder subscribe = new TailSubscribeDecoder();
    private final TailAckDecoder ack = new TailAckDecoder();
    private final ArrayList<TailLink> links = new ArrayList<>();
    private final int heartbeatMs;
    private final int livenessMs;
    private final int termLength;
    private final File journalDir;
    private long nextLinkId;
    private long lastKeptMs;
    private long nowMs;
    private boolean fromIpc;

    TailServer(
        final BrokerContext ctx,
        final Aeron aeron,
        final BrokerCounters counters,
        final RateLimitedLog log,
        final EpochClock clock,
        final Subscription udp,
        final Subscription ipc,
        final int maxRecordLength)
    {
        this.ctx = ctx;
        this.aeron = aeron;
        this.counters = counters;
        this.log = log;
        this.clock = clock;
        this.udp = udp;
        this.ipc = ipc;
        this.heartbeatMs = ctx.heartbeatIntervalMs();
        this.livenessMs = (int)Math.min(Integer.MAX_VALUE, ctx.producerLivenessTimeoutMs());
        this.termLength = Sizing.replicaTermLength(BATCH_BYTES + maxRecordLength + 256);
        this.journalDir = ctx.journalDir();
        this.nextLinkId = System.nanoTime(); // a restarted broker's links differ from the last run's
    }

    public String roleName()
    {
        return "tail-server";
    }

    /**
     * @return true while no consumer is connected (or being answered). Tail thread.
     */
    boolean servesNone()
    {
        return links.isEmpty();
    }

    public int doWork()
    {
        nowMs = clock.time();
        fromIpc = false;
        int work = udp.poll(this, POLL_LIMIT);
        if (null != ipc)
        {
            fromIpc = true;
            work += ipc.poll(this, POLL_LIMIT);
        }
        final long brokerLastIndex = Math.max(counters.journalLastIndex.get(), counters.slaveWrittenIndex.get());
        final boolean keep = nowMs - lastKeptMs >= KEEP_INTERVAL_MS;
        final long deletedThrough = keep && !servesNone() ? Journal.deletedThrough(journalDir) : Long.MIN_VALUE;
        for (int i = links.size() - 1; i >= 0; i--)
        {
            final TailLink link = links.get(i);
            try
            {
                work += link.doWork(nowMs, brokerLastIndex, counters);
                if (keep)
                {
                    link.keepPosition();
                    final long read = link.readIndex();
                    if (read >= 0 && read < deletedThrough)
                    {
                        // retention deleted records this consumer had not read: end its stream; subscribing again after
                        // its last message, it is refused with the reason
                        log.warn("tail: consumer " + link.describe + " fell behind retention: records after index " + read +
                            " up to " + deletedThrough + " were deleted (fileReservedTime) before it read them");
                        link.state = TailLink.CLOSED;
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                log.info("tail: consumer " + link.describe + " dropped: " + ex.getMessage());
                close(link);
            }
            if (link.state == TailLink.CLOSED || nowMs - link.lastHeardMs > livenessMs)
            {
                if (link.state != TailLink.CLOSED)
                {
                    log.info("tail: consumer " + link.describe + " gone (silent for " + (nowMs - link.lastHeardMs) + " ms)");
                }
                close(link);
                ArrayListUtil.fastUnorderedRemove(links, i);
            }
        }
        if (keep)
        {
            lastKeptMs = nowMs;
        }
        counters.consumersConnected.setRelease(links.size());
        return work;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header fragmentHeader)
    {
        final int templateId = WireFrames.check(header, buffer, offset, length);
        try
        {
            if (templateId == TailAckDecoder.TEMPLATE_ID)
            {
                ack.wrapAndApplyHeader(buffer, offset, header);
                onAck(ack.consumerId(), ack.linkId(), ack.ackedIndex(), ack.closing() != 0);
                return;
            }
            if (templateId == TailSubscribeDecoder.TEMPLATE_ID)
            {
                subscribe.wrapAndApplyHeader(buffer, offset, header);
                final Subscription from = fromIpc ? ipc : udp;
                final Image image = from.imageBySessionId(fragmentHeader.sessionId());
                onSubscribe(null == image ? null : image.sourceIdentity(), offset + length);
                return;
            }
        }
        catch (final IndexOutOfBoundsException ex)
        {
            rejected("its fields run past the frame's " + length + " bytes");
            return;
        }
        rejected(templateId < 0 ? WireFrames.describe(templateId, header, length) : "unknown template id " + templateId);
    }

    private void onAck(final long consumerId, final long linkId, final long index, final boolean closing)
    {
        final TailLink link = link(consumerId);
        if (null != link && link.linkId != linkId && closing)
        {
            log.info("tail: consumer " + link.describe + " left before its stream started");
            close(link); // the name is free at once, not when the link expires
            links.remove(link);
            return;
        }
        if (null == link || link.linkId != linkId || link.ackRefused(index))
        {
            if (log.admit("tail-ack"))
            {
                log.warn("tail: ignored an ack from consumer " + Long.toHexString(consumerId) + ": " + (null == link || link.linkId != linkId ?
                    "it is for link " + linkId + ", not the consumer's current one" : "acked index " + index + " is above the last index " +
                    "sent to it (" + link.sentIndex + ")"));
            }
            return;
        }
        link.ack(index, nowMs);
        if (closing)
        {
            log.info("tail: consumer " + link.describe + " left at index " + index);
            close(link);
            links.remove(link);
        }
    }

    private void onSubscribe(final String sourceIdentity, final int frameEnd)
    {
        final long consumerId = subscribe.consumerId();
        final TailFrom from = subscribe.from();
        final long fromValue = subscribe.fromValue();
        final boolean readCommitted = subscribe.readCommitted() != 0;
        final int dataSessionId = subscribe.dataSessionId();
        final String name = subscribe.name();
        final String topic = subscribe.topic();
        final String dataEndpoint = subscribe.dataEndpoint();
        final String clientVersion = subscribe.clientVersion();
        if (subscribe.limit() > frameEnd)
        {
            rejected("a subscribe whose strings run past the frame");
            return;
        }
        final TailLink existing = link(consumerId);
        if (null != existing && existing.state != TailLink.CLOSED && !existing.acked && existing.isFor(from, fromValue))
        {
            // sent again before the consumer had the start (it acks at once when it has): not a consumer that lost its
            // stream, whose acks on it came before; one that lost it before acking is heard again once the link expires
            return;
        }
        final String channel = fromIpc ?
            (dataEndpoint.isEmpty() ? Channels.tailPublication(null, dataSessionId, termLength) : null) :
            udpChannel(dataEndpoint, sourceIdentity);
        if (null == channel)
        {
            if (log.admit("tail-endpoint"))
            {
                log.warn("tail: ignored a subscribe from " + sourceIdentity + ": its data endpoint '" + dataEndpoint +
                    "' is not on the host it sends from");
            }
            return;
        }
        if (null != existing)
        {
            close(existing); // a consumer resubscribing (it lost the stream): its position is kept first
            links.remove(existing);
        }
        final String describe = (name.isEmpty() ? "" : "'" + name + "' ") + Long.toHexString(consumerId) + "@" +
            (fromIpc ? "ipc" : dataEndpoint);
        String refusal = refusal(name, topic, from, clientVersion);
        JournalReader reader = null;
        if (null == refusal)
        {
            try
            {
                reader = open(name, topic, from, fromValue, readCommitted);
            }
            catch (final RuntimeException ex)
            {
                refusal = ex.getMessage();
            }
        }
        // a link that only carries a refusal holds no name
        final TailLink link = new TailLink(aeron, channel, Protocol.TAIL_DATA_STREAM_ID, consumerId, nextLinkId++,
            name.isEmpty() || null != refusal ? null : name, describe, reader, refusal, from, fromValue, BATCH_BYTES, heartbeatMs, livenessMs,
            nowMs);
        links.add(link);
        if (null != refusal)
        {
            counters.consumersRefused.incrementRelease();
            log.warn("tail: refused consumer " + describe + ": " + refusal);
        }
        else
        {
            log.info("tail: consumer " + describe + " subscribed" + (topic.isEmpty() ? "" : " to topic " + topic) + " from " +
                from + (from == TailFrom.INDEX || from == TailFrom.AFTER || from == TailFrom.TIME ? " " + fromValue : "") +
                (reader.committedIndex() >= 0 && from != TailFrom.AFTER ? " (resuming after its kept position " + reader.committedIndex() + ")" :
                ""));
        }
    }

    private String refusal(final String name, final String topic, final TailFrom from, final String clientVersion)
    {
        if (!Protocol.VERSION.equals(clientVersion))
        {
            return "consumer version " + clientVersion + " is not the broker's " + Protocol.VERSION;
        }
        if (!topic.isEmpty() && null != Protocol.validateTopic(topic))
        {
            return Protocol.validateTopic(topic);
        }
        if (from == TailFrom.NULL_VAL)
        {
            return "unknown start position";
        }
        if (links.size() >= MAX_CONSUMERS)
        {
            return "the broker serves " + MAX_CONSUMERS + " consumers already";
        }
        for (int i = 0, size = links.size(); i < size; i++)
        {
            final TailLink link = links.get(i);
            if (!name.isEmpty() && name.equals(link.name))
            {
                return "consumer '" + name + "' is connected already (" + link.describe + ")";
            }
        }
        return null;
    }

    private JournalReader open(final String name, final String topic, final TailFrom from, final long fromValue, final boolean readCommitted)
    {
        final JournalReader.Context readerCtx = new JournalReader.Context()
            .storeDir(ctx.storeDir())
            .name(name.isEmpty() ? null : name)
            .topic(topic.isEmpty() ? null : topic)
            .readCommitted(readCommitted);
        switch (from)
        {
            case END:
                readerCtx.from(JournalReader.Start.END);
                break;
            case INDEX:
                readerCtx.fromIndex(fromValue);
                break;
            case TIME:
                readerCtx.fromTime(fromValue);
                break;
            case AFTER:
                readerCtx.fromIndex(fromValue + 1);
                break;
            default:
                readerCtx.from(JournalReader.Start.START);
                break;
        }
        final JournalReader reader = JournalReader.open(readerCtx);
        if (from == TailFrom.AFTER)
        {
            reader.resumeAfter(fromValue); // a consumer resuming knows what it has; its kept position may be older
        }
        return reader;
    }

    private String udpChannel(final String dataEndpoint, final String sourceIdentity)
    {
        final String endpoint = ProducerSessions.verifiedEndpoint(dataEndpoint, sourceIdentity);
        return null == endpoint ? null : Channels.tailPublication(endpoint, 0, termLength);
    }

    private void rejected(final String why)
    {
        counters.tailFramesRejected.incrementRelease(); // this thread's own counter: the pipeline writes framesRejected
        if (log.admit("tail-frame"))
        {
            log.warn("tail: rejected a frame: " + why);
        }
    }

    private void close(final TailLink link)
    {
        try
        {
            link.close();
        }
        catch (final RuntimeException ex)
        {
            log.warn("tail: could not keep the position of consumer " + link.describe + ": " + ex.getMessage());
        }
    }

    private TailLink link(final long consumerId)
    {
        for (int i = 0, size = links.size(); i < size; i++)
        {
            if (links.get(i).consumerId == consumerId)
            {
                return links.get(i);
            }
        }
        return null;
    }

    public void onClose()
    {
        for (final TailLink link : links)
        {
            close(link);
        }
        links.clear();
        counters.consumersConnected.setRelease(0);
    }
}
