package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Sends waiting for a watermark, and one producer's deferred answers: the responder's two queues.
 */
class PendingResponsesTest
{
    /**
     * Records what the queue hands over; refuses answers while told to (a full response stream).
     */
    static final class Recorder implements PendingResponses.Handler
    {
        final List<Long> released = new ArrayList<>();
        final List<Long> timedOut = new ArrayList<>();
        final List<Long> timerIds = new ArrayList<>();
        boolean streamFull;

        public boolean onReleased(
            final long journalIndex,
            final long producerId,
            final long sequence,
            final long deadlineNs,
            final int sessionSlot,
            final int sessionGeneration,
            final long timerId)
        {
            timerIds.add(timerId);
            if (streamFull)
            {
                return false;
            }
            released.add(sequence);
            return true;
        }

        public void onTimedOut(
            final long journalIndex, final long producerId, final long sequence, final int sessionSlot, final int sessionGeneration)
        {
            timedOut.add(sequence);
        }
    }

    @Test
    void shouldReleaseThePrefixTheWatermarkPassedInIndexOrder()
    {
        final PendingResponses pending = new PendingResponses(8);
        final Recorder recorder = new Recorder();
        for (int i = 0; i < 5; i++)
        {
            pending.add(100 + i, 1, 10 + i, 0, 0, 0);
        }
        assertEquals(0, pending.release(99, recorder));
        assertEquals(3, pending.release(102, recorder));
        assertEquals(List.of(10L, 11L, 12L), recorder.released);
        assertEquals(2, pending.release(200, recorder));
        assertTrue(pending.isEmpty());
    }

    @Test
    void shouldAnswerATimedOutEntryOnceAndSkipItWhenTheWatermarkPasses()
    {
        // what is tried: the middle entry's deadline fires before the watermark reaches it; it is answered timed out, and
        // the watermark passing it later must not answer it again (RocketMQ #1244: one message's timeout belongs to it)
        final PendingResponses pending = new PendingResponses(8);
        final Recorder recorder = new Recorder();
        pending.add(100, 1, 10, 0, 0, 0);
        final long middle = pending.add(101, 1, 11, 0, 0, 0);
        pending.timerId(middle, 77);
        pending.add(102, 1, 12, 0, 0, 0);

        assertTrue(pending.answer(middle, recorder));
        assertFalse(pending.answer(middle, recorder), "answered once only");
        assertEquals(3, pending.release(102, recorder));
        assertEquals(List.of(11L), recorder.timedOut);
        assertEquals(List.of(10L, 12L), recorder.released);
        assertFalse(pending.answer(middle, recorder), "no longer queued");
    }

    @Test
    void shouldKeepAnEntryWhoseAnswerCannotGoOutAtTheHeadWithoutItsTimer()
    {
        final PendingResponses pending = new PendingResponses(4);
        final Recorder recorder = new Recorder();
        final long position = pending.add(100, 1, 10, 0, 0, 0);
        pending.timerId(position, 55);
        pending.add(101, 1, 11, 0, 0, 0);
        recorder.streamFull = true;
        assertEquals(0, pending.release(200, recorder));
        assertEquals(List.of(55L), recorder.timerIds, "first offered with its timer, which the handler cancels");
        recorder.streamFull = false;
        assertEquals(2, pending.release(200, recorder));
        assertEquals(PendingResponses.NO_TIMER, recorder.timerIds.get(1), "offered again without the cancelled timer");
        assertEquals(List.of(10L, 11L), recorder.released);
    }

    @Test
    void shouldReportRemainingCapacityAndWrap()
    {
        final PendingResponses pending = new PendingResponses(4);
        final Recorder recorder = new Recorder();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 4; i++)
            {
                pending.add(round * 4 + i, 1, round * 4 + i, 0, 0, 0);
            }
            assertEquals(0, pending.remainingCapacity());
            assertEquals(4, pending.release(round * 4 + 3, recorder));
            assertEquals(4, pending.remainingCapacity());
        }
        assertEquals(12, recorder.released.size());
    }

    @Test
    void shouldKeepDeferredAnswersInOrderUpToCapacity()
    {
        final DeferredAnswers deferred = new DeferredAnswers();
        assertTrue(deferred.isEmpty());
        for (int i = 0; i < DeferredAnswers.CAPACITY; i++)
        {
            assertTrue(deferred.add(i, 1000 + i, 5000 + i, i % 4));
        }
        assertFalse(deferred.add(-1, -1, -1, 0), "full");
        for (int i = 0; i < 10; i++)
        {
            assertEquals(i, deferred.sequence());
            assertEquals(1000 + i, deferred.journalIndex());
            assertEquals(5000 + i, deferred.deadlineNs());
            assertEquals(i % 4, deferred.status());
            deferred.removeOldest();
        }
        assertTrue(deferred.add(99_999, 1, 2, 3), "room again, wrapping around");
        assertEquals(DeferredAnswers.CAPACITY - 10 + 1, deferred.clear());
        assertTrue(deferred.isEmpty());
    }
}
