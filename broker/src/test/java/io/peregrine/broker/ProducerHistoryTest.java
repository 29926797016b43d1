package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * Duplicate detection per producer, and the bounded table of them.
 */
class ProducerHistoryTest
{
    @Test
    void shouldTellNewFromDuplicateAndRememberWhereEachWasStored()
    {
        final ProducerHistory history = new ProducerHistory(7);
        assertEquals(ProducerHistory.NEW, history.classify(5));
        history.accept(5);
        assertEquals(ProducerHistory.DUPLICATE, history.classify(5));
        assertEquals(ProducerHistory.NOT_APPENDED, history.indexOf(5), "accepted, not yet appended");
        history.appended(5, 1234);
        assertEquals(1234, history.indexOf(5));
        assertEquals(-1, history.indexOf(6), "never seen");
        // out of order arrivals are fine: 3 after 5
        assertEquals(ProducerHistory.NEW, history.classify(3));
    }

    @Test
    void shouldRefuseToJudgeSequencesOutsideTheWindow()
    {
        // what is tried: sequence 0 and negatives, and one exactly WINDOW below the highest seen
        final ProducerHistory history = new ProducerHistory(7);
        assertEquals(ProducerHistory.OUTSIDE_WINDOW, history.classify(0));
        assertEquals(ProducerHistory.OUTSIDE_WINDOW, history.classify(-1));
        history.accept(ProducerHistory.WINDOW + 10);
        assertEquals(ProducerHistory.OUTSIDE_WINDOW, history.classify(10));
        assertEquals(ProducerHistory.NEW, history.classify(11));
    }

    @Test
    void shouldForgetAFailedAppendSoItsResendIsStored()
    {
        final ProducerHistory history = new ProducerHistory(7);
        history.accept(9);
        history.forget(9);
        assertEquals(ProducerHistory.NEW, history.classify(9));
        history.accept(9 + ProducerHistory.WINDOW);
        history.forget(9); // another sequence holds the slot now: nothing to forget
        assertEquals(ProducerHistory.DUPLICATE, history.classify(9 + ProducerHistory.WINDOW));
    }

    @Test
    void shouldRebuildFromTheNewestRecordFirstKeepingTheNewestOfEachSlot()
    {
        final ProducerHistory history = new ProducerHistory(7);
        history.rebuild(2 + ProducerHistory.WINDOW, 100);
        history.rebuild(2, 50); // same slot, older: outside the window of the newest, ignored
        history.rebuild(1 + ProducerHistory.WINDOW, 99);
        assertEquals(100, history.indexOf(2 + ProducerHistory.WINDOW));
        assertEquals(99, history.indexOf(1 + ProducerHistory.WINDOW));
        assertEquals(-1, history.indexOf(2));
        assertEquals(2 + ProducerHistory.WINDOW, history.highest());
    }

    @Test
    void shouldCountOnlyOnewaySendsAsOnewayStored()
    {
        final ProducerHistory history = new ProducerHistory(7);
        history.accept(1);
        history.appended(1, 10);
        history.accept(2);
        history.appendedOneway(2, 11);
        assertEquals(1, history.onewayStored());
        assertEquals(11, history.indexOf(2));
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedHistoryWithoutAnOpenSession()
    {
        // what is tried: a full table whose least recently used history belongs to a producer still connected; it must
        // stay (its session keeps using it), and the next oldest detached one goes
        final ProducerHistories histories = new ProducerHistories(3);
        final ProducerHistory connected = histories.get(1, 100);
        connected.attached = true;
        histories.get(2, 200);
        histories.get(3, 300);
        histories.get(4, 400);
        assertEquals(3, histories.size());
        assertSame(connected, histories.find(1));
        assertNull(histories.find(2), "oldest without a session");
        assertNotNull(histories.find(3));
        assertNotNull(histories.find(4));
    }
}
