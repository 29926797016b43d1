package io.peregrine.broker;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.SendStatus;
import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Answers sends. Each send waits in journal-index order for the watermark its policy needs: appended
 * (ASYNC_FLUSH, or waitStoreMsgOK=false) or flushed (SYNC_FLUSH); when the watermark passes it the send is
 * answered SEND_OK. A send waiting for a flush also has its own deadline, watched by a timer wheel (one timer per
 * tick, {@link QueueTimers}): if the flush covering it has not returned by then (at most a tick, about 1 ms, later),
 * that send (and only that one) is answered FLUSH_DISK_TIMEOUT. Once a flush has failed no flush comes any more (see
 * {@link Flusher}): every send waiting for one is answered at once as its deadline would answer it.
 * An answer whose producer's stream is full (back-pressured: the producer, or the driver thread that moves
 * its limit, is behind) is not dropped. It moves to that producer's own deferred queue (up to
 * {@link DeferredAnswers#CAPACITY} answers, in order; the producer's later answers join it) and is offered again
 * every duty cycle, while answers to other producers go on (a response stream's limit can lag behind a burst of
 * answers; dropping them would time out sends that were stored). Past that capacity the answer waits at the head of
 * the shared queue (a full queue stops the receiver, which leaves the next request in Aeron's stream, and Aeron's
 * flow control pushes back on the producers). A producer whose stream takes nothing for {@link #STALL_LIMIT_NS}, or
 * whose oldest waiting answer is past its send's deadline, counts as stalled: its waiting answers are dropped and
 * counted (its sends time out), and so are its further answers until its stream takes one again. Answers to producers
 * that are gone are dropped and counted at once.
 *
 * <p>On a SYNC_MASTER a send that waits for its status waits in a third queue, for the replicated watermark (the lowest
 * index the in-sync slaves acknowledged) and, under SYNC_FLUSH, the flushed one too. With no slave in sync it is
 * answered SLAVE_NOT_AVAILABLE as soon as the master's own policy is met (at once under ASYNC_FLUSH). At its deadline it
 * is answered FLUSH_SLAVE_TIMEOUT if no in-sync slave acknowledged it (SLAVE_NOT_AVAILABLE if none is in sync by then),
 * otherwise FLUSH_DISK_TIMEOUT: the replica's status wins when both are missing.
 */
final class Responder implements Agent, PendingResponses.Handler, DeadlineTimerWheel.TimerHandler
{
    /**
     * How long an answer may wait for a full response stream before its producer counts as stalled.
     */
    static final long STALL_LIMIT_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final int RETRY = ResponsePublisher.RETRY;
    private static final int TIMER_POLL_LIMIT = 256;

    /**
     * The sequence a producer's Close waits under in the answer queues: no request carries it (the receiver refuses
     * sequences below 1).
     */
    static final long CLOSE_SEQUENCE = 0;
    private static final int CLOSE_STATUS = -1;
    private static final long TIMER_TICK_NS = 1L << 20; // about 1 ms; the wheel needs a power of two

    private final ProducerSessions sessions;
    private final BrokerCounters counters;
    private final PendingResponses awaitingAppend;
    private final PendingResponses awaitingFlush;
    private final PendingResponses awaitingReplica;
    private final Flusher flusher;
    private final ReplicationMaster replication;
    private final ReplicaAnswers replicaAnswers = new ReplicaAnswers();
    private final QueueTimers replicaTimers;
    private long replicatedIndex = -1;
    private final NanoClock nanoClock;
    private final DeadlineTimerWheel timers;
    private final ResponsePublisher publisher;
    private final QueueTimers flushTimers;
    private final FlushFailedAnswers flushFailedAnswers;
    private final FlushFailedAnswers replicaFlushFailedAnswers;
    private final ArrayList<ProducerSession> deferring = new ArrayList<>();
    private final IntArrayList deferringGenerations = new IntArrayList();
    private long appendedWatermark = -1;
    private volatile boolean idle = true;
    private final AtomicLong dutyCycles = new AtomicLong();

    /**
     * @param flusher     a SYNC_FLUSH broker's flusher, whose watermark answers wait for; null for ASYNC_FLUSH.
     * @param replication a SYNC_MASTER's replication, whose watermark answers wait for; null for other roles.
     */
    Responder(
        final ProducerSessions sessions,
        final BrokerCounters counters,
        final int pendingCapacity,
        final Flusher flusher,
        final ReplicationMaster replication,
        final NanoClock nanoClock)
    {
        this.sessions = sessions;
        this.counters = counters;
        this.awaitingAppend = new PendingResponses(pendingCapacity);
        this.awaitingFlush = null == flusher || null != replication ? null : new PendingResponses(pendingCapacity);
        this.awaitingReplica = null == replication ? null : new PendingResponses(pendingCapacity);
        this.flusher = flusher;
        this.replication = replication;
        this.nanoClock = nanoClock;
        this.publisher = new ResponsePublisher(counters);
        this.timers = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nanoClock.nanoTime(), TIMER_TICK_NS, 1024);
        this.flushTimers = null == awaitingFlush ? null : new QueueTimers(timers, awaitingFlush);
        this.replicaTimers = null == awaitingReplica ? null : new QueueTimers(timers, awaitingReplica);
        this.flushFailedAnswers = null == awaitingFlush ? null : new FlushFailedAnswers(flushTimers, this);
        this.replicaFlushFailedAnswers = null == awaitingReplica ? null : new FlushFailedAnswers(replicaTimers, replicaAnswers);
    }

    public String roleName()
    {
        return "responder";
    }

    public int doWork()
    {
        int work = deferring.isEmpty() ? 0 : offerDeferred(nanoClock.nanoTime());
        work += awaitingAppend.release(appendedWatermark, this);
        final boolean flushFailed = null != flusher && flusher.flushFailed();
        if (null != awaitingFlush)
        {
            work += flushFailed ? awaitingFlush.release(Long.MAX_VALUE, flushFailedAnswers) :
                awaitingFlush.release(flusher.flushedWatermark(), this);
        }
        if (null != awaitingReplica && flushFailed)
        {
            work += awaitingReplica.release(Long.MAX_VALUE, replicaFlushFailedAnswers);
        }
        else if (null != awaitingReplica)
        {
            final long stored = null != flusher ? flusher.flushedWatermark() : appendedWatermark;
            final boolean inSync = replication.inSyncSlaves() > 0;
            if (inSync)
            {
                replicatedIndex = Math.max(replicatedIndex, replication.replicatedIndex());
            }
            work += awaitingReplica.release(inSync ? Math.min(stored, replicatedIndex) : stored, replicaAnswers);
        }
        if (timers.timerCount() > 0)
        {
            work += timers.poll(nanoClock.nanoTime(), this, TIMER_POLL_LIMIT);
        }
        final boolean idle = awaitingAppend.isEmpty() && (null == awaitingFlush || awaitingFlush.isEmpty()) &&
            (null == awaitingReplica || awaitingReplica.isEmpty()) && deferring.isEmpty();
        if (idle != this.idle)
        {
            this.idle = idle;
        }
        dutyCycles.lazySet(dutyCycles.get() + 1);
        return work;
    }

    /**
     * @return duty cycles completed; another thread waits for it to move on to read {@link #isIdle()} as of a
     * cycle that began after something it saw.
     */
    long dutyCycles()
    {
        return dutyCycles.get();
    }

    /**
     * @return answers that may be queued at most, when none waits.
     */
    int capacity()
    {
        return awaitingAppend.capacity(); // every queue is made with the same capacity
    }

    int remainingCapacity()
    {
        final PendingResponses waiting = null != awaitingReplica ? awaitingReplica : awaitingFlush;
        return null == waiting ? awaitingAppend.remainingCapacity() : Math.min(awaitingAppend.remainingCapacity(), waiting.remainingCapacity());
    }

    /**
     * Safe from any thread.
     *
     * @return true if, at the end of the last duty cycle, no answer was waiting.
     */
    boolean isIdle()
    {
        return idle;
    }

    /**
     * A send was appended (or a resend found its original); queue its answer behind the watermark its
     * policy needs.
     */
    void onAppended(
        final long journalIndex,
        final long producerId,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration,
        final boolean waitStoreMsgOK)
    {
        if ((null != awaitingReplica || null != awaitingFlush) && waitStoreMsgOK && timers.timerCount() == 0)
        {
            // the wheel moves one tick per poll and is polled only while it holds timers: after a quiet spell it starts
            // from now, not from where it stopped, so a deadline is not met late while it catches up
            timers.currentTickTime(nanoClock.nanoTime());
        }
        if (null != awaitingReplica && waitStoreMsgOK)
        {
            replicaTimers.schedule(
                awaitingReplica.add(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration), deadlineNs);
        }
        else if (null != awaitingFlush && waitStoreMsgOK)
        {
            flushTimers.schedule(
                awaitingFlush.add(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration), deadlineNs);
        }
        else
        {
            awaitingAppend.add(journalIndex, producerId, sequence, deadlineNs, sessionSlot, sessionGeneration);
        }
    }

    /**
     * A producer's Close was reached: everything it sent before is appended. Its CloseAck waits,
     * like an answer, behind the watermark the broker's policy needs (under SYNC_FLUSH the flush, on a SYNC_MASTER the
     * slave's ack or its absence), and goes out after
     * the answers to those sends; then the session is freed.
     *
     * @param journalIndex the last index appended when the Close was reached.
     */
    void onCloseReached(final long journalIndex, final ProducerSession session)
    {
        (null != awaitingReplica ? awaitingReplica : null != awaitingFlush ? awaitingFlush : awaitingAppend).add(
            journalIndex, session.producerId, CLOSE_SEQUENCE, Long.MAX_VALUE, session.slot, session.generation);
    }

    void appendedWatermark(final long index)
    {
        appendedWatermark = index;
    }

    public boolean onReleased(
        final long journalIndex,
        final long producerId,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration,
        final long timerId)
    {
        if (timerId != PendingResponses.NO_TIMER)
        {
            flushTimers.released(timerId); // only the flush queue's entries have timers
        }
        if (CLOSE_SEQUENCE == sequence)
        {
            return closeSession(sessionSlot, sessionGeneration);
        }
        return answer(journalIndex, sequence, deadlineNs, sessionSlot, sessionGeneration, SendStatus.SEND_OK);
    }

    /**
     * Answers every send of a queue at once, as its deadline would, once a flush failed: no flush is tried again (see
     * {@link Flusher}), so none of them can be answered SEND_OK and waiting would only fill the queue. A producer's
     * Close waiting there is answered and its session freed.
     */
    private final class FlushFailedAnswers implements PendingResponses.Handler
    {
        private final QueueTimers queueTimers;
        private final PendingResponses.Handler timedOut;

        FlushFailedAnswers(final QueueTimers queueTimers, final PendingResponses.Handler timedOut)
        {
            this.queueTimers = queueTimers;
            this.timedOut = timedOut;
        }

        public boolean onReleased(
            final long journalIndex,
            final long producerId,
            final long sequence,
            final long deadlineNs,
            final int sessionSlot,
            final int sessionGeneration,
            final long timerId)
        {
            queueTimers.released(timerId);
            if (CLOSE_SEQUENCE == sequence)
            {
                return closeSession(sessionSlot, sessionGeneration);
            }
            timedOut.onTimedOut(journalIndex, producerId, sequence, sessionSlot, sessionGeneration);
            return true;
        }

        public void onTimedOut(
            final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
        {
            timedOut.onTimedOut(journalIndex, producerId, sequence, sessionSlot, sessionGeneration);
        }
    }

    /**
     * Answers the sends of a SYNC_MASTER that wait for a slave.
     */
    private final class ReplicaAnswers implements PendingResponses.Handler
    {
        public boolean onReleased(
            final long journalIndex,
            final long producerId,
            final long sequence,
            final long deadlineNs,
            final int sessionSlot,
            final int sessionGeneration,
            final long timerId)
        {
            replicaTimers.released(timerId);
            if (CLOSE_SEQUENCE == sequence)
            {
                return closeSession(sessionSlot, sessionGeneration);
            }
            if (journalIndex <= replicatedIndex)
            {
                return answer(journalIndex, sequence, deadlineNs, sessionSlot, sessionGeneration, SendStatus.SEND_OK);
            }
            // released with no slave in sync: stored on the master only
            if (!answer(journalIndex, sequence, deadlineNs, sessionSlot, sessionGeneration, SendStatus.SLAVE_NOT_AVAILABLE))
            {
                return false;
            }
            counters.slaveNotAvailable.incrementRelease();
            return true;
        }

        public void onTimedOut(
            final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
        {
            if (journalIndex <= replicatedIndex)
            {
                timedOut(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.FLUSH_DISK_TIMEOUT);
            }
            else if (replication.inSyncSlaves() > 0)
            {
                timedOut(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.FLUSH_SLAVE_TIMEOUT);
            }
            else
            {
                timedOut(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.SLAVE_NOT_AVAILABLE);
            }
        }
    }

    /**
     * Answer a producer's Close and free its session, after any answers still deferred for it.
     *
     * @return false only if it must stay where it is (the producer's deferred queue is full).
     */
    private boolean closeSession(final int sessionSlot, final int sessionGeneration)
    {
        final ProducerSession session = sessions.session(sessionSlot, sessionGeneration);
        if (null == session)
        {
            return true;
        }
        final DeferredAnswers deferred = session.deferred;
        if ((null == deferred || deferred.isEmpty()) && sendCloseAck(session, ProducerSessions.onewayStored(session)))
        {
            sessions.close(session);
            return true;
        }
        if (session.answersBlockedSinceNs == ProducerSession.STALLED)
        {
            sessions.close(session); // its stream takes nothing: it will not hear the ack either
            return true;
        }
        return defer(session, CLOSE_SEQUENCE, -1, Long.MAX_VALUE, CLOSE_STATUS); // a CloseAck carries no index
    }

    public void onTimedOut(
        final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
    {
        timedOut(journalIndex, sequence, sessionSlot, sessionGeneration, SendStatus.FLUSH_DISK_TIMEOUT);
    }

    private void timedOut(
        final long journalIndex, final long sequence, final int sessionSlot, final int sessionGeneration, final SendStatus status)
    {
        final AtomicCounter counter = status == SendStatus.FLUSH_DISK_TIMEOUT ? counters.flushTimeouts :
            status == SendStatus.FLUSH_SLAVE_TIMEOUT ? counters.flushSlaveTimeouts : counters.slaveNotAvailable;
        counter.incrementRelease();
        // sent at the send's own deadline, less the margin the producer still waits: give it the stall limit
        final long deadlineNs = nanoClock.nanoTime() + STALL_LIMIT_NS;
        if (!answer(journalIndex, sequence, deadlineNs, sessionSlot, sessionGeneration, status))
        {
            counters.responsesDropped.incrementRelease(); // answered at its deadline: the producer is about to give up anyway
        }
    }

    public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
    {
        if ((null == flushTimers || !flushTimers.expired(timerId, this)) && null != replicaTimers)
        {
            replicaTimers.expired(timerId, replicaAnswers);
        }
        return true;
    }

    /**
     * Answer a send, or defer the answer while its producer's stream is full.
     *
     * @return false only if the answer must stay where it is (the producer's deferred queue is full) and be
     * offered again later.
     */
    private boolean answer(
        final long journalIndex,
        final long sequence,
        final long deadlineNs,
        final int sessionSlot,
        final int sessionGeneration,
        final SendStatus status)
    {
        final ProducerSession session = sessions.session(sessionSlot, sessionGeneration);
        if (null == session)
        {
            counters.responsesDropped.incrementRelease();
            return true;
        }
        final DeferredAnswers deferred = session.deferred;
        if ((null == deferred || deferred.isEmpty()) &&
            publisher.sendResponse(session, sequence, journalIndex, status, ErrorCode.NONE, null) != RETRY)
        {
            return true;
        }
        return defer(session, sequence, journalIndex, deadlineNs, status.value());
    }

    private boolean defer(
        final ProducerSession session, final long sequence, final long journalIndex, final long deadlineNs, final int status)
    {
        final long nowNs = nanoClock.nanoTime();
        if (session.answersBlockedSinceNs == ProducerSession.STALLED)
        {
            counters.responsesDropped.incrementRelease();
            return true;
        }
        if (null == session.deferred)
        {
            session.deferred = new DeferredAnswers(); // once per session slot, the first time its stream fills up
        }
        final DeferredAnswers deferred = session.deferred;
        if (deferred.isEmpty())
        {
            session.answersBlockedSinceNs = nowNs;
            deferring.add(session);
            deferringGenerations.addInt(session.generation);
        }
        if (deferred.add(sequence, journalIndex, deadlineNs, status))
        {
            counters.responsesDelayed.incrementRelease();
            return true;
        }
        if (nowNs - session.answersBlockedSinceNs >= STALL_LIMIT_NS || nowNs - deadlineNs >= 0)
        {
            stall(session);
            counters.responsesDropped.incrementRelease();
            return true;
        }
        return false;
    }

    /**
     * Offer deferred answers, oldest first per producer, until each producer's stream is full again.
     */
    private int offerDeferred(final long nowNs)
    {
        int work = 0;
        for (int i = deferring.size() - 1; i >= 0; i--)
        {
            final ProducerSession session = deferring.get(i);
            final DeferredAnswers deferred = session.deferred;
            if (session.generation != deferringGenerations.getInt(i) || deferred.isEmpty())
            {
                removeDeferring(i); // gone (its answers were dropped when it was freed), or emptied by a stall
                continue;
            }
            boolean progress = false;
            while (!deferred.isEmpty())
            {
                if (CLOSE_SEQUENCE == deferred.sequence())
                {
                    if (!sendCloseAck(session, ProducerSessions.onewayStored(session)))
                    {
                        break;
                    }
                    deferred.removeOldest(); // the last: a producer sends nothing after its Close
                    sessions.close(session);
                    work++;
                    break;
                }
                final int result = publisher.sendResponse(session, deferred.sequence(), deferred.journalIndex(),
                    SendStatus.get((short)deferred.status()), ErrorCode.NONE, null);
                if (result == RETRY)
                {
                    break;
                }
                deferred.removeOldest();
                progress = true;
                work++;
            }
            if (deferred.isEmpty())
            {
                removeDeferring(i);
            }
            else if (progress)
            {
                session.answersBlockedSinceNs = nowNs;
            }
            else if (nowNs - session.answersBlockedSinceNs >= STALL_LIMIT_NS || nowNs - deferred.deadlineNs() >= 0)
            {
                stall(session);
                removeDeferring(i);
            }
        }
        return work;
    }

    private void stall(final ProducerSession session)
    {
        session.answersBlockedSinceNs = ProducerSession.STALLED;
        counters.responsesDropped.getAndAddRelease(session.deferred.clear());
    }

    private void removeDeferring(final int i)
    {
        final int last = deferring.size() - 1;
        deferring.set(i, deferring.get(last));
        deferring.remove(last);
        deferringGenerations.setInt(i, deferringGenerations.getInt(last));
        deferringGenerations.removeAt(last);
    }

    /**
     * Answer a send with an error; dropped (and counted) if the producer's stream is full.
     */
    void sendError(final ProducerSession session, final long sequence, final ErrorCode code, final String text)
    {
        counters.sendsRefused.incrementRelease();
        if (publisher.sendResponse(session, sequence, -1, SendStatus.SEND_OK, code, text) == RETRY)
        {
            counters.responsesDropped.incrementRelease();
        }
    }

    /**
     * Send a connect acknowledgement (accepted when the session is active, otherwise its refusal).
     *
     * @return true if it went out.
     */
    boolean sendConnectAck(final ProducerSession session, final int maxMessageSize, final int heartbeatMs, final int livenessMs)
    {
        return publisher.sendConnectAck(session, maxMessageSize, heartbeatMs, livenessMs);
    }

    /**
     * Answer a producer's Close.
     *
     * @return true if it went out.
     */
    boolean sendCloseAck(final ProducerSession session, final long onewayStored)
    {
        return publisher.sendCloseAck(session, onewayStored);
    }
}
