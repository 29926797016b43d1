package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer killed in the middle of an append leaves a claimed, never completed excerpt after the last record.
 * The test makes one the way a crash does (a Chronicle appender that claims an excerpt, writes part of a
 * large record and is never closed), then opens the journal again as a restarted broker would.
 */
@Timeout(60)
class TornTailTest
{
    private static final int MAX_RECORD_LENGTH = JournalRecord.recordLength(64, 1024 * 1024);

    @TempDir
    Path dir;

    private final TestRecords records = new TestRecords("torn");

    @Test
    void shouldFindAnAppendCutShortAndFenceItSoLaterAppendsReadBackIntact() throws Exception
    {
        try (Journal journal = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false))
        {
            // odd body lengths: the scan must follow Chronicle's header alignment
            append(journal, 1, 10);
            append(journal, 2, 3001);
            append(journal, 3, 77);
            assertNull(journal.findTornTail(), "a journal whose last append completed ends cleanly");
        }

        CrashedAppends.crashMidAppend(dir.toFile(), MAX_RECORD_LENGTH, 20_000);

        try (Journal readOnly = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, true))
        {
            final TornTail torn = readOnly.findTornTail();
            assertNotNull(torn, "the claimed, never completed excerpt after record 3");
            assertEquals(readOnly.fileOf(readOnly.lastIndex()), torn.file);
            assertTrue(torn.length >= 20_000, "covers what the torn append may have written: " + torn.length);
            assertEquals(List.of(1L, 2L, 3L), sequences(readOnly), "readers stop before it");
            assertThrows(IllegalStateException.class, readOnly::fenceTornTail, "a read-only tool never writes");
        }

        try (Journal restarted = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false))
        {
            final TornTail fenced = restarted.fenceTornTail();
            assertNotNull(fenced);
            assertNull(restarted.findTornTail(), "fenced");
            // short records after a long torn one: unfenced, torn bytes would remain past them (the last check fails)
            append(restarted, 4, 5);
            append(restarted, 5, 5);
            append(restarted, 6, 100);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), sequences(restarted));
            assertNull(restarted.findTornTail());
        }
    }

    @Test
    void shouldFindAnAppendCutShortInAJournalWithNoCompleteRecord() throws Exception
    {
        try (Journal journal = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false))
        {
            assertNull(journal.findTornTail(), "an empty journal");
        }
        CrashedAppends.crashMidAppend(dir.toFile(), MAX_RECORD_LENGTH, 100);
        try (Journal restarted = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false))
        {
            assertNotNull(restarted.fenceTornTail(), "the first append of the journal was cut short");
            append(restarted, 1, 10);
            assertEquals(List.of(1L), sequences(restarted));
        }
    }

    private void append(final Journal journal, final long sequence, final int bodyLength)
    {
        records.append(journal, sequence, 1, bodyLength);
    }

    private static List<Long> sequences(final Journal journal)
    {
        return TestRecords.sequences(journal);
    }
}
