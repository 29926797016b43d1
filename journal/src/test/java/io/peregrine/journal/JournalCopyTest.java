package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a slave does with its master's records: read them from an index on, write each byte for byte at the same
 * index in another journal (across cycle rolls, with the copy's clock elsewhere), and compare records by their
 * stored CRC.
 */
class JournalCopyTest
{
    private static final long FIVE_MINUTES = TimeUnit.MINUTES.toMillis(5);

    @TempDir
    Path dir;

    @Test
    void shouldCopyRecordsAtTheirIndicesAcrossCycles()
    {
        final long t0 = (1_800_000_000_000L / FIVE_MINUTES) * FIVE_MINUTES;
        final AtomicLong masterNow = new AtomicLong(t0 + 1000);
        final AtomicLong copyNow = new AtomicLong(t0 + 2 * FIVE_MINUTES + 5); // the copy's clock is in another cycle
        final TestRecords records = new TestRecords("orders");
        try (Journal master = Journal.open(dir.resolve("master").toFile(), 4096, false, "FIVE_MINUTELY", masterNow::get);
            Journal copy = Journal.open(dir.resolve("copy").toFile(), 4096, false, "FIVE_MINUTELY", copyNow::get))
        {
            assertEquals(-1, master.firstIndex());
            final List<Long> indices = new ArrayList<>();
            for (int i = 1; i <= 6; i++)
            {
                if (i == 4)
                {
                    masterNow.addAndGet(3 * FIVE_MINUTES); // a roll that skips two cycles: no files for them
                }
                indices.add(records.append(master, i, i, 100 + i));
            }
            assertNotEquals(master.cycleOf(indices.get(2)), master.cycleOf(indices.get(3)));

            copyAfter(master, copy, -1, 2);
            assertEquals(indices.get(1), copy.lastIndex());
            assertEquals(master.storedCrc(indices.get(1)), copy.storedCrc(indices.get(1)));

            // resuming after the copy's last record, as a reconnecting slave does; the first record of the later cycle
            // goes in as the first of that cycle
            copyAfter(master, copy, copy.lastIndex(), Integer.MAX_VALUE);
            assertEquals(master.lastIndex(), copy.lastIndex());
            assertEquals(master.firstIndex(), copy.firstIndex());
            for (final long index : indices)
            {
                assertNotEquals(Journal.NO_RECORD, copy.storedCrc(index));
                assertEquals(master.storedCrc(index), copy.storedCrc(index), "record " + index);
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), TestRecords.sequences(copy));
            assertEquals(Journal.NO_RECORD, copy.storedCrc(master.lastIndex() + 1));
            assertNull(master.readerAfter(master.lastIndex() + 1), "no reader after an index the journal does not hold");
        }
    }

    @Test
    void shouldRefuseToWriteAnywhereButTheEnd()
    {
        final TestRecords records = new TestRecords("orders");
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        try (Journal master = Journal.open(dir.resolve("master").toFile(), 4096, false);
            Journal copy = Journal.open(dir.resolve("copy").toFile(), 4096, false))
        {
            final long first = records.append(master, 1, 1, 10);
            final long second = records.append(master, 2, 2, 10);
            final int length = read(master, second, record);
            copyAfter(master, copy, -1, 1);

            // tried: the same index again (Chronicle would skip it silently), and one past the end (a gap)
            final IllegalStateException again = assertThrows(IllegalStateException.class, () -> copy.writeAt(first, record, 0, length));
            assertTrue(again.getMessage().contains("the journal ends at " + first), again.getMessage());
            assertThrows(IllegalStateException.class, () -> copy.writeAt(second + 1, record, 0, length));
            assertEquals(first, copy.lastIndex(), "nothing written by the refused calls");

            copy.writeAt(second, record, 0, length);
            assertEquals(master.storedCrc(second), copy.storedCrc(second));
            assertThrows(IllegalArgumentException.class, () -> copy.writeAt(second + 1, record, 0, 5000), "longer than the journal takes");
        }
    }

    private static void copyAfter(final Journal from, final Journal to, final long afterIndex, final int maxRecords)
    {
        final UnsafeBuffer copyBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        try (Journal.RecordReader reader = from.readerAfter(afterIndex))
        {
            int copied = 0;
            while (copied < maxRecords && reader.readNext((view) ->
            {
                assertNull(view.validate());
                copyBuffer.putBytes(0, view.buffer(), 0, view.length());
                to.writeAt(view.index(), copyBuffer, 0, view.length());
            }))
            {
                copied++;
            }
        }
    }

    private static int read(final Journal journal, final long index, final UnsafeBuffer into)
    {
        final int[] length = new int[1];
        try (Journal.RecordReader reader = journal.readerAfter(index - 1))
        {
            assertTrue(reader.readNext((view) ->
            {
                into.putBytes(0, view.buffer(), 0, view.length());
                length[0] = view.length();
            }));
        }
        return length[0];
    }
}
