package io.peregrine.broker;

import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.status.SenderPos;
import io.aeron.exceptions.RegistrationException;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.ErrorCode;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The table of producer sessions: handshakes, heartbeats, liveness and the response publications.
 * A producer's responses go only to the address its requests come from (UDP) or to the broker's own
 * driver (IPC), never to an address a producer merely names. Single-threaded by contract: the receiver, writer,
 * responder and this agent share the pipeline thread; only {@link #noticeShutdown} and {@link #closeAll} run on the
 * closing thread, after that thread has stopped.
 */
final class ProducerSessions implements Agent
{
    static final int REFUSAL_SLOTS = 16;
    static final long HANDSHAKE_TIMEOUT_MS = 5000;
    static final long HOUSEKEEPING_INTERVAL_MS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(ProducerSessions.class);

    private final BrokerContext ctx;
    private final Aeron aeron;
    private final BrokerCounters counters;
    private final RateLimitedLog rateLimitedLog;
    private final EpochClock clock;
    private final ProducerSession[] slots;
    private final Long2ObjectHashMap<ProducerSession> byProducerId = new Long2ObjectHashMap<>();
    private Responder responder;
    private int active;
    private int handshaking;
    private long nextHousekeepingMs;

    private final ProducerHistories histories;

    ProducerSessions(
        final BrokerContext ctx,
        final Aeron aeron,
        final BrokerCounters counters,
        final RateLimitedLog rateLimitedLog,
        final ProducerHistories histories)
    {
        this.histories = histories;
        this.ctx = ctx;
        this.aeron = aeron;
        this.counters = counters;
        this.rateLimitedLog = rateLimitedLog;
        this.clock = ctx.epochClock();
        slots = new ProducerSession[ctx.maxProducers() + REFUSAL_SLOTS];
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = new ProducerSession(i);
        }
    }

    void responder(final Responder responder)
    {
        this.responder = responder;
    }

    public String roleName()
    {
        return "producer-sessions";
    }

    /**
     * The session in a slot if it is still the same active session.
     */
    ProducerSession session(final int slot, final int generation)
    {
        final ProducerSession session = slots[slot];
        return session.generation == generation && session.state == ProducerSession.ACTIVE ? session : null;
    }

    /**
     * The active session of a producer whose requests come from the given image, or null.
     */
    ProducerSession activeSession(final long producerId, final int imageSessionId, final boolean ipc)
    {
        final ProducerSession session = byProducerId.get(producerId);
        if (null == session || session.state != ProducerSession.ACTIVE || session.imageSessionId != imageSessionId || session.ipc != ipc)
        {
            return null;
        }
        return session;
    }

    /**
     * A connect from the stream a producer's session already has: the handshake repeated as a keepalive. Marks the
     * producer seen and, once its session is active, answers it again.
     *
     * @return true if it was one (nothing more to do), false if the connect opens or replaces a session.
     */
    boolean onRepeatedConnect(final long producerId, final int imageSessionId, final boolean ipc)
    {
        final ProducerSession existing = byProducerId.get(producerId);
        if (null == existing || existing.imageSessionId != imageSessionId || existing.ipc != ipc)
        {
            return false;
        }
        existing.lastSeenMs = clock.time();
        if (existing.state == ProducerSession.ACTIVE)
        {
            responder.sendConnectAck(existing, ctx.maxMessageSize(), ctx.heartbeatIntervalMs(), (int)ctx.producerLivenessTimeoutMs());
        }
        return true;
    }

    void onConnect(
        final long producerId,
        final String producerGroup,
        final String instanceName,
        final int responseSessionId,
        final int responseWindow,
        final String responseEndpoint,
        final int imageSessionId,
        final String sourceIdentity,
        final boolean ipc)
    {
        if (onRepeatedConnect(producerId, imageSessionId, ipc))
        {
            return;
        }
        final long nowMs = clock.time();
        final ProducerSession existing = byProducerId.get(producerId);
        if (null != existing)
        {
            LOG.info("producer {} reconnected from a new stream; replacing its session", existing.describe());
            free(existing);
        }

        final String responseChannel = responseChannel(ipc, responseEndpoint, sourceIdentity, responseSessionId, responseWindow);
        if (null == responseChannel)
        {
            counters.unknownProducer.incrementRelease();
            if (rateLimitedLog.admit("response-endpoint"))
            {
                rateLimitedLog.warn("refused connect of " + producerGroup + "/" + instanceName +
                    ": response endpoint '" + responseEndpoint + "' is not the address its requests come from (" + sourceIdentity + ")");
            }
            return;
        }

        ErrorCode refusal = ErrorCode.NONE;
        String reason = "";
        if (ctx.slave())
        {
            refusal = ErrorCode.BROKER_IS_SLAVE;
            reason = "this broker is a SLAVE (brokerRole=SLAVE) copying the master at " + ctx.haMasterChannel() +
                "; send to that master's listenChannel";
        }
        else if (active >= ctx.maxProducers())
        {
            refusal = ErrorCode.TOO_MANY_PRODUCERS;
            reason = "broker has its maximum of " + ctx.maxProducers() + " producers connected (maxProducers)";
        }
        final ProducerSession session = freeSlot();
        if (null == session)
        {
            if (rateLimitedLog.admit("no-slot"))
            {
                rateLimitedLog.warn("dropped connect of " + producerGroup + "/" + instanceName + ": no free session slot");
            }
            return;
        }
        session.producerId = producerId;
        session.producerGroup = producerGroup;
        session.instanceName = instanceName;
        session.imageSessionId = imageSessionId;
        session.ipc = ipc;
        session.responseChannel = responseChannel;
        session.refusalCode = refusal;
        session.refusalReason = reason;
        session.lastSeenMs = nowMs;
        session.answersBlockedSinceNs = ProducerSession.NOT_BLOCKED;
        session.handshakeDeadlineMs = nowMs + HANDSHAKE_TIMEOUT_MS;
        session.history = refusal == ErrorCode.NONE ? histories.get(producerId, nowMs) : null;
        if (null != session.history)
        {
            session.history.attached = true;
        }
        session.registrationId = aeron.asyncAddExclusivePublication(responseChannel, Protocol.RESPONSE_STREAM_ID);
        session.state = ProducerSession.ADDING_PUBLICATION;
        handshaking++;
        if (refusal == ErrorCode.NONE)
        {
            byProducerId.put(producerId, session);
            active++;
            counters.producersConnected.setRelease(active);
        }
        else
        {
            if (rateLimitedLog.admit("refused"))
            {
                rateLimitedLog.warn("refused producer " + session.describe() + ": " + reason);
            }
        }
    }

    void onHeartbeat(final long producerId, final int imageSessionId, final boolean ipc)
    {
        final ProducerSession session = activeSession(producerId, imageSessionId, ipc);
        if (null != session)
        {
            session.lastSeenMs = clock.time();
        }
        else
        {
            counters.unknownProducer.incrementRelease();
        }
    }

    /**
     * A producer closed its session (its Close answered).
     */
    void close(final ProducerSession session)
    {
        LOG.info("producer {} closed", session.describe());
        free(session);
    }

    public int doWork()
    {
        int work = 0;
        if (handshaking > 0)
        {
            work += progressHandshakes();
        }
        final long nowMs = clock.time();
        if (nowMs >= nextHousekeepingMs)
        {
            nextHousekeepingMs = nowMs + HOUSEKEEPING_INTERVAL_MS;
            work += dropSilentProducers(nowMs);
        }
        return work;
    }

    private int progressHandshakes()
    {
        int work = 0;
        final long nowMs = clock.time();
        for (final ProducerSession session : slots)
        {
            if (session.state == ProducerSession.ADDING_PUBLICATION)
            {
                try
                {
                    final ExclusivePublication publication = aeron.getExclusivePublication(session.registrationId);
                    if (null != publication)
                    {
                        session.publication = publication;
                        session.state = ProducerSession.AWAITING_CONNECTION;
                        work++;
                    }
                }
                catch (final RegistrationException ex)
                {
                    if (rateLimitedLog.admit("response-publication"))
                    {
                        rateLimitedLog.warn("cannot answer producer " + session.describe() + " on " +
                            session.responseChannel + ": " + ex.getMessage());
                    }
                    session.registrationId = Aeron.NULL_VALUE;
                    free(session);
                    work++;
                }
            }
            else if (session.state == ProducerSession.AWAITING_CONNECTION && session.publication.isConnected())
            {
                if (responder.sendConnectAck(session, ctx.maxMessageSize(), ctx.heartbeatIntervalMs(), (int)ctx.producerLivenessTimeoutMs()))
                {
                    work++;
                    if (session.refusalCode != ErrorCode.NONE)
                    {
                        free(session);
                    }
                    else
                    {
                        handshaking--;
                        session.state = ProducerSession.ACTIVE;
                        LOG.info("producer {} connected over {}", session.describe(), session.ipc ? "IPC" : "UDP");
                    }
                }
            }
            if ((session.state == ProducerSession.ADDING_PUBLICATION || session.state == ProducerSession.AWAITING_CONNECTION) &&
                nowMs > session.handshakeDeadlineMs)
            {
                if (rateLimitedLog.admit("handshake-timeout"))
                {
                    rateLimitedLog.warn("producer " + session.describe() + " did not take its connect ack on " +
                        session.responseChannel + " within " + HANDSHAKE_TIMEOUT_MS + " ms; dropped");
                }
                free(session);
                work++;
            }
        }
        return work;
    }

    private int dropSilentProducers(final long nowMs)
    {
        int dropped = 0;
        if (active == 0)
        {
            return 0;
        }
        for (final ProducerSession session : slots)
        {
            if (session.state == ProducerSession.ACTIVE && nowMs - session.lastSeenMs > ctx.producerLivenessTimeoutMs())
            {
                LOG.warn("producer {} silent for more than {} ms; dropped", session.describe(), ctx.producerLivenessTimeoutMs());
                counters.producersTimedOut.incrementRelease();
                free(session);
                dropped++;
            }
        }
        return dropped;
    }

    private ProducerSession freeSlot()
    {
        for (final ProducerSession session : slots)
        {
            if (session.state == ProducerSession.FREE)
            {
                return session;
            }
        }
        return null;
    }

    private void free(final ProducerSession session)
    {
        if (session.state == ProducerSession.ADDING_PUBLICATION || session.state == ProducerSession.AWAITING_CONNECTION)
        {
            handshaking--;
        }
        if (byProducerId.get(session.producerId) == session)
        {
            byProducerId.remove(session.producerId);
            active--;
            counters.producersConnected.setRelease(active);
        }
        if (session.registrationId != Aeron.NULL_VALUE)
        {
            aeron.asyncRemovePublication(session.registrationId);
        }
        session.registrationId = Aeron.NULL_VALUE;
        session.publication = null;
        if (null != session.history)
        {
            session.history.attached = false;
            session.history.lastUsedMs = clock.time();
        }
        session.history = null;
        if (null != session.deferred)
        {
            counters.responsesDropped.getAndAddRelease(session.deferred.clear()); // the producer is gone
        }
        session.generation++;
        session.state = ProducerSession.FREE;
        session.refusalCode = ErrorCode.NONE;
        session.refusalReason = "";
    }

    /**
     * The broker is stopping and every request it took is stored: tell each connected producer that its session
     * ends, with a CloseAck carrying what it stored of the producer's oneway sends, then wait (up to the bound) until
     * the driver has sent those notices over UDP. A producer that is closing learns at once that nothing more will be
     * answered and how many of its oneway sends arrived, rather than when its publication times out; one that keeps
     * running reconnects. Called once the broker's agents have stopped.
     *
     * @param timeoutMs how long to wait for the notices to leave.
     */
    void noticeShutdown(final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final CountersReader counters = aeron.countersReader();
        for (final ProducerSession session : slots)
        {
            if (session.state == ProducerSession.ACTIVE && responder.sendCloseAck(session, onewayStored(session)) && !session.ipc)
            {
                final long sent = session.publication.position();
                while (System.nanoTime() - deadlineNs < 0)
                {
                    final int counterId = counters.findByTypeIdAndRegistrationId(
                        SenderPos.SENDER_POSITION_TYPE_ID, session.publication.registrationId());
                    if (CountersReader.NULL_COUNTER_ID == counterId || counters.getCounterValue(counterId) >= sent)
                    {
                        break;
                    }
                    Thread.yield();
                }
            }
        }
    }

    /**
     * @return oneway sends of the session's producer stored in this broker run.
     */
    static long onewayStored(final ProducerSession session)
    {
        return null == session.history ? 0 : session.history.onewayStored();
    }

    /**
     * Close every session's publication.
     */
    void closeAll()
    {
        for (final ProducerSession session : slots)
        {
            if (session.state != ProducerSession.FREE)
            {
                free(session);
            }
        }
    }

    /**
     * Build the response channel from what the broker itself knows: the request's source address for
     * UDP (only the port comes from the producer), the local driver for IPC.
     *
     * @return the channel, or null if the producer asked for responses somewhere else.
     */
    static String responseChannel(
        final boolean ipc, final String responseEndpoint, final String sourceIdentity, final int sessionId, final int window)
    {
        if (ipc)
        {
            return responseEndpoint.isEmpty() ? Channels.responsePublication(null, sessionId, window) : null;
        }
        final String endpoint = verifiedEndpoint(responseEndpoint, sourceIdentity);
        return null == endpoint ? null : Channels.responsePublication(endpoint, sessionId, window);
    }

    /**
     * The UDP endpoint to answer a peer on: the port it named, on the host its frames come from.
     *
     * @param endpoint       host:port the peer said it listens on.
     * @param sourceIdentity host:port its frames come from, as the driver saw them.
     * @return host:port, or null if the peer's host is not the one it sends from or the port is not valid.
     */
    static String verifiedEndpoint(final String endpoint, final String sourceIdentity)
    {
        final int colon = endpoint.lastIndexOf(':');
        final int sourceColon = null == sourceIdentity ? -1 : sourceIdentity.lastIndexOf(':');
        if (colon <= 0 || sourceColon <= 0)
        {
            return null;
        }
        final String host = endpoint.substring(0, colon);
        final String sourceHost = sourceIdentity.substring(0, sourceColon);
        final int port;
        try
        {
            port = Integer.parseInt(endpoint.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
        if (!host.equals(sourceHost) || port <= 0 || port > 65535)
        {
            return null;
        }
        return sourceHost + ":" + port;
    }
}
