package io.peregrine.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The table of sends waiting for their answer: lock-free claim, complete and abandon.
 */
class PendingSendsTest
{
    private static PendingSends newPendingSends(final int maxInFlight)
    {
        return new PendingSends(maxInFlight, Throwable::printStackTrace, "aeron:udp?endpoint=127.0.0.1:1", 0x5eed);
    }

    /**
     * Counts callback invocations per sequence.
     */
    static final class CountingCallback implements SendCallback
    {
        final AtomicIntegerArray calls;
        final AtomicReference<SendException> lastError = new AtomicReference<>();

        CountingCallback(final int sequences)
        {
            calls = new AtomicIntegerArray(sequences);
        }

        public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
        {
            calls.incrementAndGet((int)sequence);
        }

        public void onError(final long sequence, final SendException error)
        {
            lastError.set(error);
            calls.incrementAndGet((int)sequence);
        }
    }

    @Test
    void shouldBoundSendsInFlightByPermits()
    {
        final PendingSends pending = newPendingSends(2);
        assertTrue(pending.tryAcquire());
        assertTrue(pending.tryAcquire());
        assertFalse(pending.tryAcquire(), "maxInFlight=2 reached");
        pending.releasePermits(1);
        assertTrue(pending.tryAcquire());
        assertEquals(2, pending.inFlight());
    }

    @Test
    void shouldHandABlockingSendItsAnswerAndFreeTheSlotOnRelease()
    {
        final PendingSends pending = newPendingSends(4);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot slot = pending.claim(3, null, 0);
        assertNotNull(slot);
        assertNull(pending.claim(3 + 8, null, 0), "the table has 2 x maxInFlight slots: 11 maps to 3's, which is taken");
        assertFalse(pending.isAsync(3));

        assertTrue(pending.complete(3, SendStatus.FLUSH_DISK_TIMEOUT.ordinal(), null, null, 42));
        assertEquals(PendingSends.DONE, slot.state);
        assertEquals(42, slot.journalIndex);
        assertFalse(pending.complete(3, 0, null, null, 43), "answered once only");
        slot.release();
        assertEquals(0, pending.inFlight());
        assertNotNull(pending.claim(11, null, 0));
    }

    @Test
    void shouldCallAnAsyncSendsCallbackOnceWhetherAnsweredOrTimedOut()
    {
        final PendingSends pending = newPendingSends(4);
        final CountingCallback callback = new CountingCallback(8);
        assertTrue(pending.tryAcquire());
        assertTrue(pending.tryAcquire());
        pending.claim(1, callback, 1_000);
        pending.claim(2, callback, 5_000);
        assertTrue(pending.isAsync(1));

        // expire looks at an eighth of the table per call (8 slots: one per call): sweep it
        int expired = 0;
        for (int i = 0; i < 8; i++)
        {
            expired += pending.expire(2_000, (slot, nowNs) -> false);
        }
        assertEquals(1, expired, "only sequence 1 is past its deadline");
        assertEquals(0, callback.calls.get(1), "called back only when dispatched, outside the poll");
        assertEquals(1, pending.dispatchCallbacks());
        assertEquals(1, callback.calls.get(1));
        assertEquals(ErrorKind.TIMEOUT, callback.lastError.get().kind());
        assertEquals("no response from broker aeron:udp?endpoint=127.0.0.1:1 by the send's deadline for msgId " +
            "0000000000005eed-0000000000000001", callback.lastError.get().getMessage(), "built when read");
        assertEquals(0, callback.lastError.get().getStackTrace().length, "no stack trace walked for a callback's error");
        assertFalse(pending.complete(1, 0, null, null, 7), "a late answer finds nothing waiting");
        assertEquals(1, callback.calls.get(1));

        assertTrue(pending.complete(2, 0, null, null, 7));
        pending.dispatchCallbacks();
        assertEquals(1, callback.calls.get(2));
        assertEquals(0, pending.inFlight());
    }

    @Test
    void shouldLetAnAbandonedSlotBeClaimedByANewerSequenceWithoutTheOldAnswerCompletingIt()
    {
        final PendingSends pending = newPendingSends(1);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot old = pending.claim(5, null, 0);
        assertTrue(old.abandon(5));
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot fresh = pending.claim(7, null, 0); // 7 & 1 == 5 & 1: the same slot
        assertSame(old, fresh);
        assertFalse(pending.complete(5, 0, null, null, 1), "the old sequence's answer must not complete the new send");
        assertEquals(PendingSends.WAITING, fresh.state);
        assertTrue(pending.complete(7, 0, null, null, 2));
    }

    @Test
    void shouldNotLetALateAbandonOfAnAsyncSendTakeTheNewerSendInItsSlot()
    {
        // what is tried: an async send that could not be handed off is timed out by the producer thread first (its
        // callback runs, its slot is freed and claimed by a newer send); the sender's late give-up must leave the newer
        // send alone, which then gets its own callback. Before abandon named its sequence, it abandoned the newer one
        final PendingSends pending = newPendingSends(1);
        final CountingCallback callback = new CountingCallback(8);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot slot = pending.claim(1, callback, 0);
        assertEquals(1, pending.expire(1, (s, nowNs) -> false) + pending.expire(1, (s, nowNs) -> false));
        pending.dispatchCallbacks();
        assertEquals(1, callback.calls.get(1));
        assertTrue(pending.tryAcquire());
        assertSame(slot, pending.claim(3, callback, Long.MAX_VALUE));

        assertFalse(slot.abandon(1), "sequence 1 is done with; the slot now holds 3");
        assertEquals(PendingSends.WAITING, slot.state);
        assertTrue(pending.complete(3, 0, null, null, 9));
        pending.dispatchCallbacks();
        assertEquals(1, callback.calls.get(3));
        assertEquals(0, pending.inFlight());
    }

    @Test
    void shouldLeaveAnAsyncSendsAnswerToTheProducerThread()
    {
        // what is tried: a thread blocked in send reads an answer that turns out to be an async send's (its slot was
        // still being set up when the sender looked); it must put the slot back and queue no callback, since callbacks
        // and their queue belong to the producer thread
        final PendingSends pending = newPendingSends(4);
        final CountingCallback callback = new CountingCallback(8);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot slot = pending.claim(1, callback, Long.MAX_VALUE);
        assertEquals(PendingSends.ASYNC, pending.completeBlocking(1, 0, null, null, 5));
        assertEquals(PendingSends.WAITING, slot.state);
        assertEquals(0, pending.dispatchCallbacks());
        assertTrue(pending.complete(1, 0, null, null, 5), "the producer thread then takes it");
        assertEquals(1, pending.dispatchCallbacks());
        assertEquals(PendingSends.NOT_WAITING, pending.completeBlocking(1, 0, null, null, 5));
    }

    @Test
    void shouldNeverLoseAnAnswerArrivingWhileItsSendIsStillBeingHandedOff() throws Exception
    {
        // what is tried: the answer's complete() on another thread racing the sender's open() of its held slot, over and
        // over. complete() must wait for the slot to open and take it; it used to give up when the slot opened between
        // its failed CAS and its second look at the state, and the send then timed out though answered (seen over IPC)
        final int rounds = 20_000;
        final PendingSends pending = newPendingSends(1);
        final CountingCallback callback = new CountingCallback(rounds + 1);
        final AtomicLong sequences = new AtomicLong();
        final AtomicLong toAnswer = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final Thread answerer = new Thread(() ->
        {
            for (long next = 1; next <= rounds; next++)
            {
                while (toAnswer.get() < next && System.nanoTime() - deadline < 0)
                {
                    Thread.onSpinWait();
                }
                if (toAnswer.get() != next)
                {
                    return; // the sender stopped
                }
                if (!pending.complete(next, 0, null, null, next))
                {
                    lost.incrementAndGet();
                }
                answered.set(next);
            }
        });
        answerer.start();
        for (long i = 1; i <= rounds; i++)
        {
            assertTrue(pending.tryAcquire());
            final PendingSends.Slot slot = pending.holdNext(sequences, callback, Long.MAX_VALUE);
            assertEquals(i, slot.sequence);
            toAnswer.set(i); // the request is on the stream: its answer may come at once
            for (int spin = ThreadLocalRandom.current().nextInt(200); spin > 0; spin--)
            {
                Thread.onSpinWait(); // the sender is slow to open: the answer's complete() meets a held slot
            }
            slot.open();
            while (answered.get() != i)
            {
                assertTrue(System.nanoTime() - deadline < 0, "the answerer stopped at " + answered.get());
                Thread.onSpinWait();
            }
            if (lost.get() > 0)
            {
                break;
            }
            assertEquals(1, pending.dispatchCallbacks());
        }
        toAnswer.set(Long.MAX_VALUE);
        answerer.join(TimeUnit.SECONDS.toMillis(60));
        assertEquals(0, lost.get(), "answers that found their send not waiting");
    }

    @Test
    void shouldKeepAHeldAsyncSlotFromExpiryAndAnswersUntilItOpens()
    {
        // what is tried: an async send's slot held while its request is handed off, already past its deadline: neither
        // expiry nor failAll-style completion may take it before it opens; then it times out normally
        final PendingSends pending = newPendingSends(1);
        final CountingCallback callback = new CountingCallback(8);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot slot = pending.holdNext(new AtomicLong(), callback, 0);
        assertEquals(1, slot.sequence);
        assertEquals(0, pending.expire(10, (s, nowNs) -> false) + pending.expire(10, (s, nowNs) -> false));
        assertFalse(pending.isAsync(1), "not waiting yet");
        slot.open();
        assertEquals(1, pending.expire(10, (s, nowNs) -> false) + pending.expire(10, (s, nowNs) -> false));
        assertEquals(1, pending.dispatchCallbacks());
        assertEquals(ErrorKind.TIMEOUT, callback.lastError.get().kind());
    }

    @Test
    void shouldWaitAgainAfterABusyAnswerAndTakeTheResendsAnswer()
    {
        final PendingSends pending = newPendingSends(2);
        assertTrue(pending.tryAcquire());
        final PendingSends.Slot slot = pending.claim(1, null, 0);
        pending.complete(1, 0, ErrorKind.BROKER_BUSY, "ring full", -1);
        assertTrue(slot.rearmIfBusy());
        assertEquals(PendingSends.WAITING, slot.state);
        assertTrue(pending.complete(1, 0, null, null, 9));
        assertFalse(slot.rearmIfBusy(), "a real answer is kept");
        assertEquals(9, slot.journalIndex);
    }

    @Test
    void shouldFailEveryWaitingSendOnce()
    {
        final PendingSends pending = newPendingSends(4);
        final CountingCallback callback = new CountingCallback(8);
        for (int sequence = 1; sequence <= 4; sequence++)
        {
            assertTrue(pending.tryAcquire());
            pending.claim(sequence, sequence % 2 == 0 ? callback : null, Long.MAX_VALUE);
        }
        pending.failAll(ErrorKind.CLOSED, "closed");
        assertEquals(2, pending.dispatchCallbacks());
        assertEquals(1, callback.calls.get(2));
        assertEquals(1, callback.calls.get(4));
        assertEquals(ErrorKind.CLOSED, callback.lastError.get().kind());
        assertEquals(2, pending.inFlight(), "the two blocking sends hold their permits until their threads take the answer");
    }

    @Test
    @Timeout(60)
    void shouldEndEverySendExactlyOnceWhileThreadsRaceToCompleteAndAbandon() throws InterruptedException
    {
        // what is tried: 4 sender threads claim slots (async and blocking sends) and give up on some at once, while a
        // responder thread completes sequences in a shuffled order and the producer thread expires; every send must end
        // exactly once (a callback, a taken answer or an abandon), and every permit must come back
        final int sendsPerThread = 20_000;
        final int threads = 4;
        final int total = 4 * sendsPerThread * threads; // room for sequences skipped while an older send held their slot
        final PendingSends pending = newPendingSends(64);
        final CountingCallback callback = new CountingCallback(total + 1);
        final AtomicIntegerArray ended = new AtomicIntegerArray(total + 1);
        final AtomicLong sequences = new AtomicLong();
        final AtomicLong claimed = new AtomicLong();
        final AtomicBoolean sendersDone = new AtomicBoolean();
        final long[] toAnswer = new long[total + 1];
        final AtomicLong published = new AtomicLong();

        final List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final boolean async = t % 2 == 0;
            senders.add(new Thread(() ->
            {
                final ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < sendsPerThread; i++)
                {
                    while (!pending.tryAcquire())
                    {
                        Thread.onSpinWait();
                    }
                    PendingSends.Slot slot;
                    long sequence;
                    do
                    {
                        sequence = sequences.incrementAndGet();
                        assertTrue(sequence < total, "sequence space of the test");
                        slot = pending.claim(sequence, async ? callback : null, Long.MAX_VALUE);
                    }
                    while (null == slot);
                    claimed.incrementAndGet();
                    synchronized (toAnswer)
                    {
                        toAnswer[(int)published.getAndIncrement()] = sequence;
                    }
                    if (random.nextInt(4) == 0)
                    {
                        if (slot.abandon(sequence))
                        {
                            ended.incrementAndGet((int)sequence);
                            continue;
                        }
                    }
                    if (!async)
                    {
                        while (slot.state != PendingSends.DONE)
                        {
                            if (random.nextInt(64) == 0 && slot.abandon(sequence))
                            {
                                ended.incrementAndGet((int)sequence);
                                break;
                            }
                            Thread.onSpinWait();
                        }
                        if (slot.state == PendingSends.DONE && slot.sequence == sequence)
                        {
                            ended.incrementAndGet((int)sequence);
                            slot.release();
                        }
                    }
                }
            }, "sender-" + t));
        }
        final Thread responder = new Thread(() ->
        {
            long next = 0;
            while (!sendersDone.get() || next < published.get())
            {
                final long available;
                final long[] batch;
                synchronized (toAnswer)
                {
                    available = published.get();
                    batch = Arrays.copyOfRange(toAnswer, (int)next, (int)available);
                }
                if (batch.length > 0)
                {
                    for (int i = batch.length - 1; i >= 0; i--) // newest first: answers out of order
                    {
                        pending.complete(batch[i], 0, null, null, batch[i]);
                    }
                    pending.dispatchCallbacks();
                    next = available;
                }
                else
                {
                    pending.expire(0, (slot, nowNs) -> false);
                    Thread.yield();
                }
            }
        }, "responder");

        senders.forEach(Thread::start);
        responder.start();
        for (final Thread sender : senders)
        {
            sender.join(TimeUnit.SECONDS.toMillis(50));
            assertFalse(sender.isAlive(), "sender finished");
        }
        sendersDone.set(true);
        responder.join(TimeUnit.SECONDS.toMillis(50));
        assertFalse(responder.isAlive(), "responder finished");

        assertEquals((long)sendsPerThread * threads, claimed.get());
        for (int sequence = 1; sequence <= sequences.get(); sequence++)
        {
            final int count = ended.get(sequence) + callback.calls.get(sequence);
            assertTrue(count <= 1, "sequence " + sequence + " ended " + count + " times");
        }
        long endedTotal = 0;
        for (int sequence = 1; sequence <= sequences.get(); sequence++)
        {
            endedTotal += ended.get(sequence) + callback.calls.get(sequence);
        }
        assertEquals(claimed.get(), endedTotal, "every claimed send ended once");
        assertEquals(0, pending.inFlight(), "every permit came back");
    }
}
