package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import jnr.ffi.LibraryLoader;
import net.openhft.posix.PosixAPI;
import org.agrona.IoUtil;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The releaser drops the cached pages of a flushed journal behind the writer, keeps the last part cached, and never
 * loses a record. Whether a page is cached is read page by page with mincore (through {@link MappedByteBuffer#isLoaded()}
 * on a one-page slice of a mapping, which faults nothing in). The first block of a file is left out of the checks:
 * Chronicle keeps it mapped, and the kernel keeps mapped pages.
 */
class PageCacheReleaserTest
{
    private static final int MAX_RECORD_LENGTH = 1 << 20;
    private static final int BODY_LENGTH = 8000;
    private static final long KEEP_BYTES = 8L << 20;
    private static final long REGION = 4L << 20;
    private static final double MOSTLY = 0.9; // of a region's pages: a page or two may be held by something else

    @TempDir
    Path dir;

    /**
     * Skip where the file system cannot drop pages (tmpfs, ramfs: the pages are the file) or the kernel refuses the
     * advice: tried on a plain file of 16 MiB, written and forced.
     */
    @BeforeEach
    void assumeTheFileSystemDropsPages() throws IOException
    {
        final File probe = dir.resolve("probe").toFile();
        try (FileChannel channel = FileChannel.open(probe.toPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            final ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (int i = 0; i < 16; i++)
            {
                chunk.clear();
                channel.write(chunk);
            }
            channel.force(false);
        }
        try (PageCacheReleaser releaser = new PageCacheReleaser(null, KEEP_BYTES))
        {
            assumeTrue(releaser.isAvailable(), "posix_fadvise is there on Linux only");
        }
        assumeTrue(cachedShare(probe, 0, REGION) >= MOSTLY, "pages just written are cached here");
        // the call itself, not the releaser under test
        final PosixAPI posix = PosixAPI.posix();
        final int fd = posix.open(probe.getPath(), 0, 0);
        assertTrue(fd >= 0, "open " + probe);
        try
        {
            final int error = LibraryLoader.create(PageCacheReleaser.LibC.class).load("c").posix_fadvise(fd, 0, REGION, 4);
            assumeTrue(error == 0, "the kernel refuses the advice here: " + posix.strerror(error));
        }
        finally
        {
            posix.close(fd);
        }
        assumeTrue(cachedShare(probe, 0, REGION) < 1 - MOSTLY, "this file system drops clean pages it is advised to");
    }

    @Test
    void shouldDropFlushedPagesBehindTheWriterAndKeepTheLastOnesAndEveryRecord() throws IOException
    {
        // what is tried: about 46 MiB of records, forced, then released with an 8 MiB window
        final TestRecords records = new TestRecords("releaser");
        try (Journal journal = Journal.open(dir.resolve("journal").toFile(), MAX_RECORD_LENGTH, false);
            PageCacheReleaser releaser = new PageCacheReleaser(journal, KEEP_BYTES))
        {
            final long last = append(records, journal, 0, 6000);
            final File file = journal.fileOf(last);
            final long writePosition = journal.writePosition();
            assertTrue(writePosition > 8 * REGION, "written: " + writePosition);
            force(file);
            assertTrue(cachedShare(file, 0, REGION) >= MOSTLY, "before: the first pages are cached");

            assertEquals(0, releaser.release(last, writePosition), "the first flush seen opens the file and releases nothing");
            final long first = releaser.release(last, writePosition);
            assertEquals(PageCacheReleaser.STEP_BYTES, first, "more than eight steps wait: the flush takes one at once");
            long released = first;
            for (int calls = 0; calls < 100; calls++) // bounded: about 38 MiB is ten steps
            {
                released += releaser.releaseMore();
            }

            assertEquals((writePosition - KEEP_BYTES) & ~(PreToucher.PAGE - 1L), released, "released up to the kept window");
            assertEquals(0, releaser.releaseMore(), "nothing more until the next flush");
            // not the file's first block: Chronicle keeps it mapped (the queue's header is there) while the file is open
            assertTrue(cachedShare(file, writePosition / 4, REGION) < 1 - MOSTLY, "4 MiB at a quarter are released");
            assertTrue(cachedShare(file, writePosition / 2 - REGION, REGION) < 1 - MOSTLY, "4 MiB in the middle are released");
            assertTrue(cachedShare(file, writePosition - KEEP_BYTES + PreToucher.PAGE, KEEP_BYTES - 2 * PreToucher.PAGE) >= MOSTLY,
                "the last " + KEEP_BYTES + " bytes behind the writer stay cached");
            assertEquals(0, releaser.release(last, writePosition + PreToucher.PAGE), "less than a step further on: nothing to do");
            assertEquals(0, releaser.releaseMore(), "nothing to do");
            assertEquals(LongStream.range(0, 6000).boxed().toList(), TestRecords.sequences(journal),
                "every record reads back intact from disk");
            assertEquals(released, releaser.bytesReleased());
        }
    }

    @Test
    void shouldReleaseAFileAfterTheWriterIsTheWindowIntoTheNextAndNotTakeTheOldPositionForTheNewFile() throws IOException
    {
        // what is tried: 24 MiB in one five-minute cycle, then records in the next; the first flush seen in the next
        // file comes with the writer's position as it was in the previous one (read before a roll)
        final AtomicLong now = new AtomicLong(1_700_000_000_000L);
        final TestRecords records = new TestRecords("releaser");
        try (Journal journal = Journal.open(dir.resolve("journal").toFile(), MAX_RECORD_LENGTH, false, "FIVE_MINUTELY", now::get);
            PageCacheReleaser releaser = new PageCacheReleaser(journal, KEEP_BYTES))
        {
            final long last = append(records, journal, 0, 3000);
            final File first = journal.fileOf(last);
            final long firstEnd = journal.writePosition();
            force(first);
            releaser.release(last, firstEnd);
            drain(releaser);
            assertTrue(cachedShare(first, firstEnd - KEEP_BYTES + PreToucher.PAGE, KEEP_BYTES - 2 * PreToucher.PAGE) >= MOSTLY,
                "the window behind the writer stays cached");

            now.addAndGet(300_000);
            long next = append(records, journal, 3000, 3100);
            final File second = journal.fileOf(next);
            assertNotEquals(first, second, "the records went into the next cycle's file");
            force(first);
            force(second);
            assertTrue(journal.writePosition() < firstEnd - KEEP_BYTES, "the old position would reach past the new file's end");

            final long before = releaser.bytesReleased();
            assertEquals(0, releaser.release(next, firstEnd), "the first flush seen in the new file releases nothing");
            drain(releaser);
            assertEquals(before, releaser.bytesReleased(), "nothing of the new file is released on a position from the old one");
            assertTrue(cachedShare(first, firstEnd - KEEP_BYTES + PreToucher.PAGE, KEEP_BYTES - 2 * PreToucher.PAGE) >= MOSTLY,
                "the old file's window stays while the writer is less than the window into the new one");

            next = append(records, journal, 3100, 4300);
            force(second);
            releaser.release(next, journal.writePosition());
            drain(releaser);
            assertTrue(cachedShare(first, firstEnd / 2, firstEnd / 2 - PreToucher.PAGE) < 1 - MOSTLY,
                "the old file's second half, window included, is released once the writer is the window into the new one");
            final List<Long> sequences = TestRecords.sequences(journal);
            assertEquals(LongStream.range(0, 4300).boxed().toList(), sequences, "every record reads back intact");
        }
    }

    /**
     * @return the index of the last record appended, sequences {@code from} to {@code to} (exclusive).
     */
    private static long append(final TestRecords records, final Journal journal, final int from, final int to)
    {
        long last = -1;
        for (int i = from; i < to; i++)
        {
            last = records.append(journal, i, i, BODY_LENGTH);
        }
        return last;
    }

    private static void drain(final PageCacheReleaser releaser) throws IOException
    {
        for (int calls = 0; calls < 100 && releaser.releaseMore() > 0; calls++)
        {
            continue; // bounded: at most 32 MiB here, eight steps
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
     * @return the share of the range's pages that are in the page cache.
     */
    private static double cachedShare(final File file, final long offset, final long length) throws IOException
    {
        final long start = offset & ~(PreToucher.PAGE - 1L);
        final int pages = (int)((length + offset - start + PreToucher.PAGE - 1) / PreToucher.PAGE);
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, (long)pages * PreToucher.PAGE);
            try
            {
                int cached = 0;
                for (int page = 0; page < pages; page++)
                {
                    cached += mapped.slice(page * PreToucher.PAGE, PreToucher.PAGE).isLoaded() ? 1 : 0;
                }
                return (double)cached / pages;
            }
            finally
            {
                IoUtil.unmap(mapped);
            }
        }
    }
}
