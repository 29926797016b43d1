package io.peregrine.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.peregrine.transport.RecordingIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

/**
 * When the producer's own thread backs off, yields or parks: it must stay awake exactly while an answer is its alone
 * to read.
 */
class ProducerThreadIdleTest
{
    private final PendingSends pending = new PendingSends(8, Throwable::printStackTrace, "aeron:ipc", 0x5eed);
    private final AtomicInteger readers = new AtomicInteger();
    private final SendQueue queue = new SendQueue(4096 + RingBufferDescriptor.TRAILER_LENGTH, () -> null);
    private final boolean[] connected = { true };
    private final RecordingIdleStrategy otherwise = new RecordingIdleStrategy();
    private final ProducerThreadIdle idle = new ProducerThreadIdle(otherwise, pending, readers, queue, () -> connected[0]);

    @Test
    void shouldBackOffAsConfiguredWithNothingInFlightOrAfterWork()
    {
        idle.idle(0);
        idle.idle(3);
        assertTrue(pending.tryAcquire());
        idle.idle(2); // work done: the backoff sees it, whatever is in flight
        assertEquals(List.of("idle 0", "idle 3", "idle 2"), otherwise.calls);
    }

    @Test
    void shouldStayAwakeWhileASendInFlightHasNoThreadReadingForIt()
    {
        assertTrue(pending.tryAcquire()); // an async send, or a blocked sender that parked: only this thread reads
        assertTrue(pending.tryAcquire());
        readers.set(1); // one of the two has its own reader
        idle.idle(0);
        idle.idle();
        assertEquals(List.of(), otherwise.calls, "yields: the backoff never reaches its park");
    }

    @Test
    void shouldParkWhileEverySendInFlightHasItsOwnReader()
    {
        assertTrue(pending.tryAcquire());
        assertTrue(pending.tryAcquire());
        readers.set(2); // two blocked senders, each reading its own answer
        idle.idle(0); // parks at most QUIET_PARK_NS; the backoff starts over for when work comes
        assertEquals(List.of("reset"), otherwise.calls);

        readers.set(1); // one of them parked and stopped reading: its answer is this thread's again
        idle.idle(0);
        assertEquals(List.of("reset"), otherwise.calls, "yields, no park");
        assertEquals("producer-recording", idle.alias());
    }

    @Test
    void shouldStayAwakeWhileAFrameWaitsInTheQueueOrTheSendersCannotRead()
    {
        assertTrue(pending.tryAcquire());
        readers.set(1);

        // a frame left in the ring (the drain flag was taken when it was offered): only this thread may drain it
        queue.lock();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[64]);
        assertEquals(1, queue.offer(frame, 16, frame, 16, 48), "queued, not offered");
        queue.unlock();
        assertTrue(queue.queued() > 0);
        idle.idle(0);
        assertEquals(List.of(), otherwise.calls, "yields, no park");

        // not connected (or closing): the blocked sender reads nothing, only this thread moves things on
        final SendQueue empty = new SendQueue(4096 + RingBufferDescriptor.TRAILER_LENGTH, () -> null);
        final ProducerThreadIdle disconnected = new ProducerThreadIdle(otherwise, pending, readers, empty, () -> connected[0]);
        connected[0] = false;
        disconnected.idle(0);
        assertEquals(List.of(), otherwise.calls, "yields, no park");
        connected[0] = true;
        disconnected.idle(0);
        assertEquals(List.of("reset"), otherwise.calls, "connected again and every send read: parks");
    }

    @Test
    void shouldGateOnlyTheDefaultBackoff()
    {
        assertInstanceOf(ProducerThreadIdle.class, ProducerThreadIdle.create("backoff", pending, readers, queue, () -> true));
        assertInstanceOf(YieldingIdleStrategy.class, ProducerThreadIdle.create("yielding", pending, readers, queue, () -> true),
            "asked for by name");
    }
}
