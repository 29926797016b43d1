package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a power cut, a cycle file created shortly before it comes back at its full length with zeros where its
 * header was (or at length 0): Chronicle cannot read it or find the journal's end past it. The test makes such
 * files the way the cut leaves them (the file's pages zeroed, all of them or only the header's) and checks that
 * they are found without changing anything, that the writer's set-aside moves them intact, and that the journal
 * then reads every other record and takes appends. The journal's clock is moved by the test to make cycles.
 */
@Timeout(60)
class UnwrittenCycleTest
{
    private static final long FIVE_MINUTES = TimeUnit.MINUTES.toMillis(5);
    private static final long T0 = (1_800_000_000_000L / FIVE_MINUTES) * FIVE_MINUTES;
    private static final int MAX_RECORD_LENGTH = 4096;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(T0 + 1000);
    private final TestRecords records = new TestRecords("u");

    @Test
    void shouldSetAsideCycleFilesWhoseHeaderNeverReachedTheDiskAndKeepReadingAndAppending() throws IOException
    {
        final File journalDir = dir.resolve("journal").toFile();
        final List<File> files = new ArrayList<>();
        try (Journal journal = open(journalDir))
        {
            // cycle 0: sequences 1, 2; cycle 1: 3; cycle 2: 4, 5
            final long[][] cycles = { { 1, 2 }, { 3 }, { 4, 5 } };
            for (int cycle = 0; cycle < cycles.length; cycle++)
            {
                now.set(T0 + cycle * FIVE_MINUTES + 1000);
                long index = -1;
                for (final long sequence : cycles[cycle])
                {
                    index = append(journal, sequence);
                }
                files.add(journal.fileOf(index));
            }
        }
        // the middle cycle lost only its header page (its records' pages were written back); the newest lost everything
        try (RandomAccessFile middle = new RandomAccessFile(files.get(1), "rw"))
        {
            middle.write(new byte[PAGE]);
        }
        try (RandomAccessFile newest = new RandomAccessFile(files.get(2), "rw"))
        {
            final long length = newest.length();
            newest.setLength(0);
            newest.setLength(length); // a sparse file of zeros, as the filesystem returns pages never written
        }
        final byte[] middleBytes = Files.readAllBytes(files.get(1).toPath());
        final long newestLength = files.get(2).length();

        final List<UnwrittenCycle> found = UnwrittenCycle.find(journalDir);
        assertEquals(List.of(files.get(1), files.get(2)), found.stream().map((cycle) -> cycle.file).toList(), "oldest first");
        assertTrue(found.get(0).firstNonZeroOffset >= PAGE, "the middle file's records follow its lost header: " + found.get(0));
        assertEquals(-1, found.get(1).firstNonZeroOffset, "the newest file is all zeros: " + found.get(1));
        assertTrue(files.get(1).isFile() && files.get(2).isFile(), "finding changes nothing");

        final List<UnwrittenCycle> setAside = UnwrittenCycle.setAside(journalDir);
        assertEquals(2, setAside.size());
        final File target = Journal.damagedDir(journalDir);
        assertEquals(dir.resolve("journal-damaged").toFile().getAbsoluteFile(), target);
        assertFalse(files.get(1).exists() || files.get(2).exists(), "moved out of the journal directory");
        assertArrayEquals(middleBytes, Files.readAllBytes(new File(target, files.get(1).getName()).toPath()),
            "the middle file is kept byte for byte, for salvage");
        assertEquals(newestLength, new File(target, files.get(2).getName()).length());
        assertEquals(List.of(), UnwrittenCycle.setAside(journalDir), "nothing left to set aside");

        try (Journal journal = open(journalDir))
        {
            assertEquals(List.of(1L, 2L), sequences(journal), "the intact cycle reads to its end");
            assertNull(journal.findTornTail(), "the journal ends cleanly after the set-aside");
            now.set(T0 + 2 * FIVE_MINUTES + 2000); // the newest cycle again: its file is created anew
            append(journal, 6);
            now.set(T0 + 3 * FIVE_MINUTES + 1000);
            append(journal, 7);
            assertEquals(List.of(1L, 2L, 6L, 7L), sequences(journal));
        }
        try (Journal readOnly = Journal.open(journalDir, MAX_RECORD_LENGTH, true))
        {
            assertEquals(List.of(1L, 2L, 6L, 7L), sequences(readOnly), "a reader after a restart sees the same");
        }
    }

    @Test
    void shouldSetAsideAnEmptyCycleFileAndNameASecondOneApart() throws IOException
    {
        final File journalDir = dir.resolve("journal").toFile();
        File file;
        try (Journal journal = open(journalDir))
        {
            file = journal.fileOf(append(journal, 1));
        }
        for (int round = 0; round < 2; round++)
        {
            try (RandomAccessFile empty = new RandomAccessFile(file, "rw"))
            {
                empty.setLength(0); // the file's name reached the disk, its length never did
            }
            final List<UnwrittenCycle> found = UnwrittenCycle.setAside(journalDir);
            assertEquals(1, found.size());
            assertEquals(0, found.get(0).length);
            assertEquals(-1, found.get(0).firstNonZeroOffset);
            try (Journal journal = open(journalDir))
            {
                assertEquals(-1, journal.lastIndex(), "nothing readable is left");
                file = journal.fileOf(append(journal, 2 + round));
                assertEquals(List.of(2L + round), sequences(journal));
            }
        }
        final File target = Journal.damagedDir(journalDir);
        assertTrue(new File(target, file.getName()).isFile() && new File(target, file.getName() + ".1").isFile(),
            "a second set-aside of the same name does not replace the first");
    }

    private Journal open(final File journalDir)
    {
        return Journal.open(journalDir, MAX_RECORD_LENGTH, false, "FIVE_MINUTELY", now::get);
    }

    private long append(final Journal journal, final long sequence)
    {
        return records.append(journal, sequence, now.get(), 0);
    }

    private static List<Long> sequences(final Journal journal)
    {
        return TestRecords.sequences(journal);
    }
}
