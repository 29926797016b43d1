package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * How far behind a slave's acked index is, in records and bytes, across index jumps (cycle rolls) and once the
 * history has wrapped.
 */
class AppendHistoryTest
{
    @Test
    void shouldCountRecordsAndBytesAfterAnAckedIndexAcrossCycleJumps()
    {
        final AppendHistory history = new AppendHistory(8, 99);
        assertEquals(99, history.lastIndex());
        assertEquals(0, history.recordsAfter(99), "a slave at the journal's end when the history started");
        assertEquals(0, history.bytesAfter(99));
        assertEquals(AppendHistory.UNKNOWN, history.recordsAfter(98), "before the history");

        history.appended(100, 10, 1000);
        history.appended(101, 20, 1500);
        history.appended(1L << 32, 40, 1700); // first record of a later cycle
        assertEquals(1L << 32, history.lastIndex());
        assertEquals(3, history.recordsAfter(99));
        assertEquals(70, history.bytesAfter(99));
        assertEquals(1, history.recordsAfter(101));
        assertEquals(40, history.bytesAfter(101));
        assertEquals(0, history.bytesAfter(1L << 32));
        assertEquals(1, history.recordsAfter(500), "an index between two appends counts from the one below it");
        assertEquals(1000, history.lagMs(99, 2000), "lacks the record appended at 1000");
        assertEquals(300, history.lagMs(101, 2000), "lacks only the record appended at 1700");
        assertEquals(0, history.lagMs(1L << 32, 2000), "lacks nothing");
        assertEquals(AppendHistory.UNKNOWN, history.lagMs(98, 2000));
    }

    @Test
    void shouldForgetWhatTheRingNoLongerHolds()
    {
        final AppendHistory history = new AppendHistory(4, -1);
        for (int i = 0; i < 10; i++)
        {
            history.appended(i, 100, i);
        }
        // the ring holds the last four appends: indices 6..9
        assertEquals(AppendHistory.UNKNOWN, history.recordsAfter(5));
        assertEquals(AppendHistory.UNKNOWN, history.bytesAfter(-1));
        assertEquals(3, history.recordsAfter(6));
        assertEquals(300, history.bytesAfter(6));
        assertEquals(0, history.recordsAfter(9));
    }
}
