package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention deletes the files of cycles that ended before the cutoff, never the current or last one,
 * and the journal still reads from the oldest kept record. The journal's clock is moved by the test.
 */
class JournalRetentionTest
{
    private static final long FIVE_MINUTES = TimeUnit.MINUTES.toMillis(5);

    @TempDir
    Path dir;

    @Test
    void shouldDeleteOnlyCyclesThatEndedBeforeTheCutoff()
    {
        final long t0 = (1_800_000_000_000L / FIVE_MINUTES) * FIVE_MINUTES;
        final AtomicLong now = new AtomicLong(t0 + 1000);
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final RecordHeaderEncoder header = new RecordHeaderEncoder();
        final MessageHeaderEncoder messageHeader = new MessageHeaderEncoder();
        final UnsafeBuffer topic = new UnsafeBuffer("t".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (Journal journal = Journal.open(dir.toFile(), 4096, false, "FIVE_MINUTELY", now::get))
        {
            final List<File> files = new ArrayList<>();
            for (int cycle = 0; cycle < 4; cycle++)
            {
                now.set(t0 + cycle * FIVE_MINUTES + 1000);
                final int length = JournalRecord.encodeHeader(header, messageHeader, record, 0, 7, cycle + 1, now.get(), 1, topic, 0, 1, 0);
                final long index = journal.append(record, 0, length);
                final File file = journal.fileOf(index);
                assertTrue(file.isFile(), "fileOf names the file the record went into (what the flusher forces): " + file);
                assertFalse(files.contains(file), "a new cycle, a new file");
                files.add(file);
            }
            assertEquals(4, cq4Files().size());

            // now = 15 min + 1 s; a cutoff of now - 7 min removes only the first cycle (ended at 5 min)
            final List<File> first = journal.deleteCyclesEndedBefore(now.get() - TimeUnit.MINUTES.toMillis(7));
            assertEquals(1, first.size());
            assertEquals(3, cq4Files().size());

            // a cutoff in the future still keeps the current (last) cycle
            assertEquals(2, journal.deleteCyclesEndedBefore(now.get() + TimeUnit.HOURS.toMillis(1)).size());
            assertEquals(1, cq4Files().size());

            final List<Long> sequences = new ArrayList<>();
            try (Journal.RecordReader reader = journal.reader())
            {
                while (reader.readNext((view) ->
                {
                    assertNull(view.validate());
                    sequences.add(view.sequence());
                }))
                {
                    // next
                }
            }
            assertEquals(List.of(4L), sequences, "the kept cycle still reads");
        }
    }

    private List<File> cq4Files()
    {
        final List<File> files = new ArrayList<>();
        for (final File file : java.util.Objects.requireNonNull(dir.toFile().listFiles()))
        {
            if (file.getName().endsWith(".cq4"))
            {
                files.add(file);
            }
        }
        return files;
    }
}
