package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The releaser drops the cached pages of a flushed journal behind the writer, keeps the last part cached, and never
 * loses a record. Whether a page is cached is read with mincore (through {@link MappedByteBuffer#isLoaded()}, which
 * maps without faulting anything in).
 */
class PageCacheReleaserTest
{
    private static final int MAX_RECORD_LENGTH = 1 << 20;
    private static final int BODY_LENGTH = 8000;
    private static final int RECORDS = 5000; // about 40 MiB, more than two of Chronicle's chunks for this record size
    private static final long KEEP_BYTES = 4L << 20;
    private static final long REGION = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void shouldDropFlushedPagesBehindTheWriterAndKeepTheLastOnesAndEveryRecord() throws IOException
    {
        final TestRecords records = new TestRecords("releaser");
        try (Journal journal = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false);
            PageCacheReleaser releaser = new PageCacheReleaser(journal, KEEP_BYTES))
        {
            assumeTrue(releaser.isAvailable(), "posix_fadvise is there on Linux only");
            long last = -1;
            for (int i = 0; i < RECORDS; i++)
            {
                last = records.append(journal, i, i, BODY_LENGTH);
            }
            final File file = journal.fileOf(last);
            final long writePosition = journal.writePosition();
            assertTrue(writePosition > 8 * REGION, "written: " + writePosition);
            force(file);
            assumeTrue(cached(file, 0, REGION), "pages just written are cached (not so on a file system without a page cache)");

            final long first = releaser.release(last, writePosition);
            assertEquals(PageCacheReleaser.STEP_BYTES, first, "one step a call");
            long released = first;
            for (int calls = 0; calls < 100; calls++) // bounded: about 36 MiB is nine steps
            {
                released += releaser.releaseMore();
            }

            assertEquals((writePosition - KEEP_BYTES) & ~(PreToucher.PAGE - 1L), released, "released up to the kept window");
            assertEquals(0, releaser.releaseMore(), "nothing more until the next flush");
            assumeFalse("tmpfs".equals(Files.getFileStore(dir).type()), "tmpfs cannot drop pages: they are the file");
            assertFalse(cached(file, 0, REGION), "the first 4 MiB are released");
            assertFalse(cached(file, writePosition / 2, REGION), "4 MiB in the middle are released");
            assertTrue(cached(file, writePosition - KEEP_BYTES + PreToucher.PAGE, KEEP_BYTES - 2 * PreToucher.PAGE),
                "the last " + KEEP_BYTES + " bytes behind the writer stay cached");
            assertEquals(0, releaser.release(last, writePosition + PreToucher.PAGE), "less than a step further on: nothing to do");
            assertEquals(LongStream.range(0, RECORDS).boxed().toList(), TestRecords.sequences(journal),
                "every record reads back intact from disk");
            assertEquals(released, releaser.bytesReleased());
        }
    }

    @Test
    void shouldReleaseTheRestOfAFileWhenTheFlushMovesToTheNextCycle() throws IOException
    {
        final AtomicLong now = new AtomicLong(1_700_000_000_000L);
        final TestRecords records = new TestRecords("releaser");
        try (Journal journal = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false, "FIVE_MINUTELY", now::get);
            PageCacheReleaser releaser = new PageCacheReleaser(journal, KEEP_BYTES))
        {
            assumeTrue(releaser.isAvailable(), "posix_fadvise is there on Linux only");
            long last = -1;
            for (int i = 0; i < 900; i++)
            {
                last = records.append(journal, i, i, BODY_LENGTH);
            }
            final File first = journal.fileOf(last);
            force(first);
            assertEquals(0, releaser.release(last, journal.writePosition()), "7 MiB written, 4 MiB kept: less than a step to release");
            now.addAndGet(300_000);
            final long next = records.append(journal, 900, 900, BODY_LENGTH);
            final File second = journal.fileOf(next);
            assertTrue(!first.equals(second), "the record went into the next cycle's file");
            force(first);
            force(second);

            releaser.release(next, journal.writePosition());

            assumeFalse("tmpfs".equals(Files.getFileStore(dir).type()), "tmpfs cannot drop pages: they are the file");
            assertFalse(cached(first, 0, REGION), "the first file's pages are released once the flush is in the next file");
            final List<Long> sequences = TestRecords.sequences(journal);
            assertEquals(901, sequences.size());
            assertEquals(900L, sequences.get(900));
        }
    }

    private static void force(final File file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            channel.force(false);
        }
    }

    /**
     * @return whether every page of the range is in the page cache.
     */
    private static boolean cached(final File file, final long offset, final long length) throws IOException
    {
        final long start = offset & ~(PreToucher.PAGE - 1L);
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, length + offset - start);
            try
            {
                return mapped.isLoaded();
            }
            finally
            {
                IoUtil.unmap(mapped);
            }
        }
    }
}
