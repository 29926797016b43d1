package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cutting a journal back to a record, as a slave that diverged from its master is: what follows the cut leaves the
 * journal and is kept whole beside it, what precedes it stays at the same indices, and the journal takes the next
 * record at the index after the cut. A cut stopped by a crash at any step is finished by {@link JournalCut#resume}.
 */
class JournalCutTest
{
    private static final long FIVE_MINUTES = TimeUnit.MINUTES.toMillis(5);
    private static final String ROLL = "FIVE_MINUTELY";
    private static final int MAX = 4096;

    @TempDir
    Path dir;

    private File journalDir;
    private final List<Long> indices = new ArrayList<>();
    private List<String> before;

    /**
     * Nine records in three cycles: 1-3, 4-7, 8-9.
     */
    @BeforeEach
    void journalOfThreeCycles()
    {
        journalDir = dir.resolve("store/journal").toFile();
        final AtomicLong now = new AtomicLong((1_800_000_000_000L / FIVE_MINUTES) * FIVE_MINUTES + 1000);
        final TestRecords records = new TestRecords("orders");
        try (Journal journal = Journal.open(journalDir, MAX, false, ROLL, now::get))
        {
            for (int i = 1; i <= 9; i++)
            {
                if (i == 4 || i == 8)
                {
                    now.addAndGet(FIVE_MINUTES);
                }
                indices.add(records.append(journal, i, i, 50 + i));
            }
            before = crcs(journal);
        }
    }

    @Test
    void shouldCutMidCycleKeepingWhatFollowsAsideAndTakeTheNextIndex()
    {
        final long cut = indices.get(4); // record 5, in the middle cycle
        final JournalCut.Result result = JournalCut.cut(journalDir, cut, MAX);

        assertEquals(2, result.movedFiles().size(), "the cut's cycle and the one after: " + result.movedFiles());
        assertEquals(2, result.rebuilt(), "records 4 and 5 written back");
        assertFalse(JournalCut.intentFile(journalDir).exists(), "the intent goes once the cut is done");
        assertJournalEndsAt(5);
        try (Journal kept = Journal.open(result.keptIn(), MAX, true, ROLL, System::currentTimeMillis))
        {
            assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L), TestRecords.sequences(kept), "the moved files hold all they held");
            assertEquals(before.subList(3, 9), crcs(kept));
            // the journal goes on at the index after the cut with a record from elsewhere (here the one it had)
            final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX));
            final int length = read(kept, indices.get(5), record);
            try (Journal journal = Journal.open(journalDir, MAX, false, ROLL, System::currentTimeMillis))
            {
                journal.writeAt(indices.get(5), record, 0, length);
                assertEquals(before.subList(0, 6), crcs(journal));
            }
        }
        assertTrue(result.keptIn().getPath().endsWith("journal-diverged/after-" + cut + "/journal"), result.keptIn().getPath());
    }

    @Test
    void shouldMoveOnlyLaterCyclesWhenTheCutEndsACycle()
    {
        final JournalCut.Result result = JournalCut.cut(journalDir, indices.get(2), MAX);
        assertEquals(2, result.movedFiles().size());
        assertEquals(0, result.rebuilt(), "the cut's own cycle file stays as it was");
        assertJournalEndsAt(3);

        final JournalCut.Result nothing = JournalCut.cut(journalDir, indices.get(2), MAX);
        assertTrue(nothing.movedFiles().isEmpty(), "cutting after the last record changes nothing");
        assertNull(nothing.keptIn());
        final JournalCut.Result second = JournalCut.cut(journalDir, indices.get(1), MAX);
        assertTrue(second.keptIn().getPath().endsWith("after-" + indices.get(1) + "/journal"), "a later cut keeps its own folder");
        assertJournalEndsAt(2);
    }

    @Test
    void shouldRefuseAnIndexTheJournalDoesNotHoldAndChangeNothing()
    {
        // tried: one past the last record, and an index of a cycle with no file
        final IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
            () -> JournalCut.cut(journalDir, indices.get(8) + 1, MAX));
        assertTrue(past.getMessage().contains("holds no record at index " + (indices.get(8) + 1)), past.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JournalCut.cut(journalDir, indices.get(8) + (1L << 40), MAX));
        assertJournalEndsAt(9);
        assertFalse(JournalCut.divergedDir(journalDir).exists());
    }

    @Test
    void shouldFinishACutStoppedAfterItsIntent()
    {
        JournalCut.plan(journalDir, indices.get(4), MAX);
        final IllegalStateException again = assertThrows(IllegalStateException.class, () -> JournalCut.cut(journalDir, indices.get(1), MAX));
        assertTrue(again.getMessage().contains("resume it first"), again.getMessage());

        final JournalCut.Result result = JournalCut.resume(journalDir, MAX);
        assertEquals(2, result.rebuilt());
        assertJournalEndsAt(5);
        assertNull(JournalCut.resume(journalDir, MAX), "nothing left to resume");
    }

    @Test
    void shouldFinishACutStoppedAfterSomeFilesMovedOrDuringTheRebuild() throws Exception
    {
        final long cut = indices.get(4);
        JournalCut.plan(journalDir, cut, MAX);
        final File target = new File(JournalCut.divergedDir(journalDir), "after-" + cut + "/journal");
        JournalCut.moveCycles(journalDir, target, cut, true, MAX, ROLL);
        // the rebuild stopped after its first record (record 4)
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX));
        try (Journal kept = Journal.open(target, MAX, true, ROLL, System::currentTimeMillis);
            Journal journal = Journal.open(journalDir, MAX, false, ROLL, System::currentTimeMillis))
        {
            journal.writeAt(indices.get(3), record, 0, read(kept, indices.get(3), record));
        }

        final JournalCut.Result result = JournalCut.resume(journalDir, MAX);
        assertTrue(result.movedFiles().isEmpty(), "moved before the crash: " + result.movedFiles());
        assertEquals(2, result.rebuilt(), "the partial rebuild was deleted and done again");
        assertJournalEndsAt(5);
        try (Journal kept = Journal.open(target, MAX, true, ROLL, System::currentTimeMillis))
        {
            assertEquals(before.subList(3, 9), crcs(kept), "the originals untouched by the second try");
        }
    }

    @Test
    void shouldListCheckpointsNewestFirstAcrossCycles()
    {
        try (Journal journal = Journal.open(journalDir, MAX, true, ROLL, System::currentTimeMillis))
        {
            final long[] checkpoints = new long[8];
            final int[] crcs = new int[8];
            final int count = journal.checkpoints(checkpoints, crcs, 64);
            // records 9, 8, 7, 5 and 1: 0, 1, 2, 4 and 8 records before the last
            final List<Long> expected = List.of(indices.get(8), indices.get(7), indices.get(6), indices.get(4), indices.get(0));
            assertEquals(expected, LongStream.of(checkpoints).limit(count).boxed().toList());
            for (int i = 0; i < count; i++)
            {
                assertEquals(journal.storedCrc(checkpoints[i]), crcs[i]);
            }
            assertEquals(2, journal.checkpoints(checkpoints, crcs, 1), "records 9 and 8 are all the newest cycle holds");
            assertEquals(3, journal.checkpoints(new long[3], new int[3], 64), "no more than the arrays take");
        }
        try (Journal empty = Journal.open(dir.resolve("empty").toFile(), MAX, false, ROLL, System::currentTimeMillis))
        {
            assertEquals(0, empty.checkpoints(new long[8], new int[8], 64));
        }
    }

    private void assertJournalEndsAt(final int records)
    {
        try (Journal journal = Journal.open(journalDir, MAX, true, ROLL, System::currentTimeMillis))
        {
            assertEquals(indices.get(records - 1), journal.lastIndex());
            assertEquals(before.subList(0, records), crcs(journal), "what precedes the cut is unchanged, at the same indices");
        }
    }

    /**
     * "index crc" of every record, in order; each record also checked whole.
     */
    private static List<String> crcs(final Journal journal)
    {
        final List<String> crcs = new ArrayList<>();
        try (Journal.RecordReader reader = journal.reader())
        {
            while (reader.readNext((view) ->
            {
                assertNull(view.validate());
                crcs.add(view.index() + " " + journal.storedCrc(view.index()));
            }))
            {
                continue;
            }
        }
        return crcs;
    }

    private static int read(final Journal journal, final long index, final UnsafeBuffer into)
    {
        final int[] length = new int[1];
        try (Journal.RecordReader reader = journal.reader())
        {
            while (length[0] == 0 && reader.readNext((view) ->
            {
                if (view.index() == index)
                {
                    into.putBytes(0, view.buffer(), 0, view.length());
                    length[0] = view.length();
                }
            }))
            {
                continue;
            }
        }
        assertTrue(length[0] > 0, "record " + index + " read");
        return length[0];
    }
}
