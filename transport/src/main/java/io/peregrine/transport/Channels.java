package io.peregrine.transport;

import java.util.concurrent.TimeUnit;

import io.aeron.ChannelUri;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;
import io.aeron.Subscription;
import org.agrona.BitUtil;

/**
 * Builds the channels Peregrine uses, with the UDP tuning that keeps large messages fast.
 *
 * <p>Measured on loopback: 512 KiB messages take about six times less time with {@code mtu=8k},
 * a 2 MiB receiver window and 2 MiB socket buffers than with Aeron's defaults.
 */
public final class Channels
{
    /**
     * MTU used on UDP channels unless the channel names its own.
     */
    public static final int UDP_MTU = 8 * 1024;

    /**
     * Receiver window and socket buffer sizes used on UDP channels unless the channel names its own.
     */
    public static final int UDP_WINDOW = 2 * 1024 * 1024;

    /**
     * Receiver window of each producer stream the broker takes in. Every producer has its own stream, and
     * the windows of all of them share the one socket buffer: measured with four producers of 1 KiB async
     * sends, 2 MiB windows over a 2 MiB buffer dropped packets and ran at 80 k msgs/s, 512 KiB windows over
     * a 4 MiB buffer at 220 k; a 64 KiB send was faster with the larger window (228 vs 371 µs p50).
     */
    public static final int REQUEST_RECEIVER_WINDOW = 1024 * 1024;

    /**
     * Socket receive buffer of the broker's UDP endpoint: the sum of the windows it should absorb. The
     * kernel caps it at net.core.rmem_max (4 MiB on the development host); see the tuning guide.
     */
    public static final int REQUEST_SOCKET_RCVBUF = 4 * 1024 * 1024;

    /**
     * Smallest term length of response publications: responses are small.
     */
    public static final int RESPONSE_TERM_LENGTH = 1024 * 1024;

    /**
     * Largest response window a producer may ask for: a UDP window may not exceed the socket's receive
     * buffer, which the kernel caps at net.core.rmem_max (4 MiB on the development host). It covers about
     * 21,000 answers outstanding at once.
     */
    public static final int MAX_RESPONSE_WINDOW = 4 * 1024 * 1024;

    /**
     * Bytes one answer takes in a stream: an Aeron frame header and a SendResponse without error text,
     * aligned to Aeron's 32-byte frames.
     */
    public static final int RESPONSE_FRAME_LENGTH = 96;

    /**
     * The flow-control window a producer needs so that the broker can answer all of its in-flight sends
     * at once without being back-pressured.
     *
     * @param maxInFlight the producer's bound on sends waiting for an answer.
     * @return window in bytes, a power of two between 128 KiB and {@link #MAX_RESPONSE_WINDOW}.
     */
    public static int responseWindow(final int maxInFlight)
    {
        final long needed = 2L * maxInFlight * RESPONSE_FRAME_LENGTH;
        return (int)Math.min(MAX_RESPONSE_WINDOW, Math.max(128 * 1024, BitUtil.findNextPositivePowerOfTwo(needed)));
    }

    /**
     * How far a broker's stream to a consumer may run ahead of what has been sent (Aeron's publication window; its
     * default is half a term, tens of MiB for large messages): with the consumer's receiver window, what the broker
     * holds for a consumer that stops reading.
     */
    public static final int TAIL_PUBLICATION_WINDOW = 2 * 1024 * 1024;

    private Channels()
    {
    }

    /**
     * Whether a channel is IPC.
     *
     * @param channel to test.
     * @return true for {@code aeron:ipc...}.
     */
    public static boolean isIpc(final String channel)
    {
        return channel.startsWith(CommonContext.IPC_CHANNEL);
    }

    /**
     * Check a client's brokerChannel setting: set, an Aeron channel, with an endpoint if UDP, with a driver if IPC.
     *
     * @param brokerChannel the setting.
     * @param hasDriver     whether the client was given a media driver to join (IPC needs the broker's).
     * @return true if the channel is IPC.
     * @throws IllegalArgumentException naming what is wrong.
     */
    public static boolean checkBrokerChannel(final String brokerChannel, final boolean hasDriver)
    {
        if (null == brokerChannel || brokerChannel.isEmpty())
        {
            throw new IllegalArgumentException("brokerChannel must be set");
        }
        final ChannelUri uri;
        try
        {
            uri = ChannelUri.parse(brokerChannel);
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalArgumentException("brokerChannel '" + brokerChannel + "' is not an Aeron channel: " + ex.getMessage(), ex);
        }
        if (!uri.isIpc() && null == uri.get(CommonContext.ENDPOINT_PARAM_NAME))
        {
            throw new IllegalArgumentException("brokerChannel '" + brokerChannel + "' has no endpoint");
        }
        if (uri.isIpc() && !hasDriver)
        {
            throw new IllegalArgumentException("brokerChannel '" + brokerChannel + "' is IPC: set aeronDirectoryName to the broker's aeronDir");
        }
        return uri.isIpc();
    }

    /**
     * Complete a producer's request publication channel: term length from the largest message and
     * UDP tuning where the user gave none.
     *
     * @param brokerChannel  as configured.
     * @param maxMessageSize largest body.
     * @return the channel to publish requests on.
     */
    public static String requestPublication(final String brokerChannel, final int maxMessageSize)
    {
        final ChannelUri uri = ChannelUri.parse(brokerChannel);
        uri.put(CommonContext.TERM_LENGTH_PARAM_NAME, Integer.toString(Sizing.termLength(maxMessageSize)));
        uri.put(CommonContext.SPARSE_PARAM_NAME, "true");
        if (!uri.isIpc())
        {
            putIfAbsent(uri, CommonContext.MTU_LENGTH_PARAM_NAME, Integer.toString(UDP_MTU));
            putIfAbsent(uri, CommonContext.SOCKET_SNDBUF_PARAM_NAME, Integer.toString(UDP_WINDOW));
        }
        return uri.toString();
    }

    /**
     * Complete the broker's request subscription channel with UDP tuning where the user gave none.
     *
     * @param listenChannel as configured.
     * @return the channel to subscribe to.
     */
    public static String requestSubscription(final String listenChannel)
    {
        final ChannelUri uri = ChannelUri.parse(listenChannel);
        if (!uri.isIpc())
        {
            putIfAbsent(uri, CommonContext.RECEIVER_WINDOW_LENGTH_PARAM_NAME, Integer.toString(REQUEST_RECEIVER_WINDOW));
            putIfAbsent(uri, CommonContext.SOCKET_RCVBUF_PARAM_NAME, Integer.toString(REQUEST_SOCKET_RCVBUF));
        }
        return uri.toString();
    }

    /**
     * The subscription a producer receives responses on. Over UDP its own ephemeral port tells it apart;
     * over IPC, where every producer of the driver shares the stream, the session id does.
     *
     * @param ipc          true if the broker is reached over IPC.
     * @param responseHost host to bind for UDP; an ephemeral port is chosen.
     * @param sessionId    session id the broker's IPC response publication will carry.
     * @param window       flow-control window, from {@link #responseWindow(int)}.
     * @return the channel.
     */
    public static String responseSubscription(final boolean ipc, final String responseHost, final int sessionId, final int window)
    {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .media(ipc ? CommonContext.IPC_MEDIA : CommonContext.UDP_MEDIA);
        if (ipc)
        {
            builder.sessionId(sessionId);
        }
        else
        {
            builder.endpoint(responseHost + ":0")
                .receiverWindowLength(window)
                .socketRcvbufLength(window);
        }
        return builder.build();
    }

    /**
     * The publication the broker answers a producer on. The endpoint is built by the broker from the
     * address the producer's requests come from, never taken verbatim from the producer.
     *
     * @param udpEndpoint host:port to send to, or null for IPC.
     * @param sessionId   session id the producer subscribed with (IPC only).
     * @param window      the producer's response window; the term is at least twice it.
     * @return the channel.
     */
    public static String responsePublication(final String udpEndpoint, final int sessionId, final int window)
    {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .media(null == udpEndpoint ? CommonContext.IPC_MEDIA : CommonContext.UDP_MEDIA)
            .termLength(Math.max(RESPONSE_TERM_LENGTH, 2 * Math.min(MAX_RESPONSE_WINDOW, BitUtil.findNextPositivePowerOfTwo(window))))
            .sparse(true);
        if (null != udpEndpoint)
        {
            // the driver picks a fresh session id: after a broker restart the producer sees a new image at once,
            // instead of the new stream colliding with the dead one until its image times out
            builder.endpoint(udpEndpoint);
        }
        else
        {
            builder.sessionId(sessionId);
        }
        return builder.build();
    }

    /**
     * The publication a master feeds a slave's records on.
     *
     * @param udpEndpoint host:port of the slave's record subscription.
     * @param termLength  from {@link Sizing#replicaTermLength(int)}.
     * @return the channel.
     */
    public static String replicaPublication(final String udpEndpoint, final int termLength)
    {
        return new ChannelUriStringBuilder()
            .media(CommonContext.UDP_MEDIA)
            .endpoint(udpEndpoint)
            .termLength(termLength)
            .mtu(UDP_MTU)
            .socketSndbufLength(UDP_WINDOW)
            .sparse(true)
            .build();
    }

    /**
     * The subscription a consumer takes a broker's messages on: over UDP an ephemeral port of its own host, with the
     * window large messages need; over IPC the broker's driver, told apart by the session id the consumer picked.
     *
     * @param ipc       true if the broker is reached over IPC.
     * @param host      host to bind for UDP; an ephemeral port is chosen.
     * @param sessionId session id the broker's IPC publication will carry.
     * @return the channel.
     */
    public static String tailSubscription(final boolean ipc, final String host, final int sessionId)
    {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .media(ipc ? CommonContext.IPC_MEDIA : CommonContext.UDP_MEDIA);
        if (ipc)
        {
            builder.sessionId(sessionId);
        }
        else
        {
            builder.endpoint(host + ":0").receiverWindowLength(UDP_WINDOW).socketRcvbufLength(UDP_WINDOW);
        }
        return builder.build();
    }

    /**
     * The publication a broker streams a consumer's messages on. The endpoint is built by the broker from the address
     * the consumer's requests come from, never taken verbatim from the consumer.
     *
     * @param udpEndpoint host:port of the consumer's subscription, or null for IPC.
     * @param sessionId   session id the consumer subscribed with (IPC only).
     * @param termLength  from {@link Sizing#replicaTermLength(int)}: an eighth of it holds a frame.
     * @return the channel.
     */
    public static String tailPublication(final String udpEndpoint, final int sessionId, final int termLength)
    {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .media(null == udpEndpoint ? CommonContext.IPC_MEDIA : CommonContext.UDP_MEDIA)
            .termLength(termLength)
            .publicationWindowLength(Math.min(termLength / 2, TAIL_PUBLICATION_WINDOW))
            .sparse(true);
        if (null == udpEndpoint)
        {
            builder.sessionId(sessionId);
        }
        else
        {
            builder.endpoint(udpEndpoint).mtu(UDP_MTU).socketSndbufLength(UDP_WINDOW);
        }
        return builder.build();
    }

    /**
     * Tag a UDP subscription channel's endpoint, so that other streams can be subscribed on it by
     * {@link #taggedReference(long)} (even when its port was 0 and the driver chose one).
     *
     * @param channel a UDP subscription channel.
     * @param tag     unique in the driver, e.g. from {@code Aeron.nextCorrelationId()}.
     * @return the channel with the tag.
     */
    public static String tagged(final String channel, final long tag)
    {
        final ChannelUri uri = ChannelUri.parse(channel);
        uri.put(CommonContext.TAGS_PARAM_NAME, Long.toString(tag));
        return uri.toString();
    }

    /**
     * @param tag of a channel made by {@link #tagged(String, long)}.
     * @return a subscription channel on that channel's endpoint.
     */
    public static String taggedReference(final long tag)
    {
        return "aeron:udp?" + CommonContext.TAGS_PARAM_NAME + "=" + tag;
    }

    /**
     * Wait for the driver to bind a UDP subscription (its port may have been 0) and say where.
     *
     * @param subscription a UDP subscription just added.
     * @param timeoutMs    how long the driver may take.
     * @return the bound host:port.
     * @throws IllegalStateException naming the channel if it is not bound in time.
     */
    public static String awaitResolvedEndpoint(final Subscription subscription, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String endpoint;
        while (null == (endpoint = subscription.resolvedEndpoint()))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("could not bind " + subscription.channel() + " within " + timeoutMs + " ms");
            }
            Thread.yield();
        }
        return endpoint;
    }

    private static void putIfAbsent(final ChannelUri uri, final String key, final String value)
    {
        if (null == uri.get(key))
        {
            uri.put(key, value);
        }
    }
}
