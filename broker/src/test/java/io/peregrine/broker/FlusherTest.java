package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.journal.Journal;
import io.peregrine.journal.PageCacheReleaser;
import io.peregrine.journal.PreToucher;
import io.peregrine.journal.Watermarks;
import io.peregrine.transport.IdleStrategies;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flusher on its own, driven by hand with a clock the test moves: which journal files each flush forces.
 */
class FlusherTest
{
    private static final long FIVE_MINUTES_MS = TimeUnit.MINUTES.toMillis(5);
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(TimeUnit.DAYS.toMillis(20_000));
    private final List<File> forced = new ArrayList<>();
    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
    private Journal journal;
    private Flusher flusher;
    private Watermarks watermarks;
    private BrokerCounters counters;
    private FlushListener listener;
    private File journalDir;

    @BeforeEach
    void open()
    {
        journalDir = dir.resolve("store/journal").toFile();
        journal = Journal.open(journalDir, 1024, false, "FIVE_MINUTELY", clock::get);
        final CountersManager countersManager =
            new CountersManager(new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[16 * 1024]));
        counters = new BrokerCounters((typeId, label) -> countersManager.newCounter(label, typeId));
        listener = new FlushListener()
        {
            public void beforeFlush(final long upToIndex)
            {
            }

            public void afterFlush(final long upToIndex)
            {
            }

            public void fileForced(final File file)
            {
                forced.add(file);
            }
        };
        // ASYNC_FLUSH every hour: a flush can span many five-minute cycles
        flusher = new Flusher(false, HOUR_MS, clock::get, journalDir, listener, counters);
        watermarks = Watermarks.create(dir.resolve("store").toFile(), 0, -1);
        flusher.start(journal, watermarks, TimeUnit.DAYS.toMillis(365), () -> Long.MAX_VALUE, 0, false, 0);
    }

    @AfterEach
    void close()
    {
        journal.close();
        watermarks.close();
    }

    private long append()
    {
        final long index = journal.append(record, 0, record.capacity());
        flusher.appended(index);
        return index;
    }

    @Test
    void shouldForceEveryCycleFileWrittenSinceTheLastFlush()
    {
        // what is tried: records in four five-minute cycles, with the hourly flush falling only after the first and
        // the last; the cycles in between were never forced before (only the file held open and the target's were)
        final long first = append();
        assertEquals(1, flusher.doWork(), "the first flush is due at once");
        assertEquals(List.of(journal.fileOf(first)), forced);
        forced.clear();

        clock.addAndGet(FIVE_MINUTES_MS);
        final long second = append();
        clock.addAndGet(FIVE_MINUTES_MS);
        final long third = append();
        assertEquals(0, flusher.doWork(), "not due within the hour");
        assertTrue(forced.isEmpty());

        clock.addAndGet(HOUR_MS);
        final long fourth = append();
        assertEquals(1, flusher.doWork());
        assertEquals(List.of(journal.fileOf(first), journal.fileOf(second), journal.fileOf(third), journal.fileOf(fourth)), forced);
        assertEquals(fourth, flusher.flushedWatermark());
        assertEquals(fourth, watermarks.flushed(), "published for readers on the host");
    }

    @Test
    void shouldForceEveryStoredFileAtStartBeforeCountingItFlushed()
    {
        // what is tried: a previous run appended records in two cycles and its process died before any flush (the
        // records may be only in the page cache); a new flusher starts on that journal
        final long first = append();
        clock.addAndGet(FIVE_MINUTES_MS);
        final long second = append();
        assertTrue(forced.isEmpty(), "no flush ran");

        final Flusher restarted = new Flusher(false, HOUR_MS, clock::get, journalDir, listener, counters);
        restarted.start(journal, watermarks, TimeUnit.DAYS.toMillis(365), () -> Long.MAX_VALUE, 0, false, 0);
        assertEquals(List.of(journal.fileOf(first), journal.fileOf(second)), forced, "both files forced at start");
        assertEquals(second, restarted.flushedWatermark());
        assertEquals(second, watermarks.flushed(), "published for readers on the host once on disk");
    }

    @Test
    void shouldNotStartWhenAStoredFileCannotBeForced()
    {
        // what is tried: the disk fails the fsync of a stored file at start
        final long first = append();
        final Flusher restarted = new Flusher(false, HOUR_MS, clock::get, journalDir, listener, counters);
        restarted.forcer((channel) ->
        {
            throw new IOException("Input/output error (test)");
        });
        final UncheckedIOException ex = assertThrows(UncheckedIOException.class, () ->
            restarted.start(journal, watermarks, TimeUnit.DAYS.toMillis(365), () -> Long.MAX_VALUE, 0, false, 0));
        assertTrue(ex.getMessage().contains(journal.fileOf(first).toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("Input/output error (test)"), ex.getMessage());
        assertEquals(-1, watermarks.flushed(), "nothing counted as flushed");
    }

    @Test
    void shouldParkNoLongerThanAWriterAtItsRateTakesToUseHalfOfWhatIsTouchedAhead()
    {
        // what is tried: the flusher's park under ASYNC_FLUSH, the time given by the test: the full quiet park while
        // nothing is appended, and while the writer appends, no longer than it takes at its rate since the last park
        // to use half of PreToucher.AHEAD_BYTES, but at least MIN_PARK_NS
        final long ms = TimeUnit.MILLISECONDS.toNanos(1);
        final long halfAhead = PreToucher.AHEAD_BYTES / 2;
        long now = 5 * ms;
        assertEquals(IdleStrategies.QUIET_PARK_NS, flusher.quietParkNs(now), "the first look");
        now += ms;
        assertEquals(IdleStrategies.QUIET_PARK_NS, flusher.quietParkNs(now), "nothing appended");

        long written = appendMeasured();
        now += ms; // a slow writer: half of what is ahead lasts far longer than the quiet park
        assertEquals(IdleStrategies.QUIET_PARK_NS, flusher.quietParkNs(now));

        written = appendMeasured();
        final long elapsed = 3 * ms * written / halfAhead; // at this rate half of what is ahead lasts about 3 ms
        now += elapsed;
        final long park = flusher.quietParkNs(now);
        assertEquals((long)((double)elapsed * halfAhead / written), park);
        assertTrue(park > 2 * ms && park < 4 * ms, Long.toString(park));

        for (int i = 0; i < 10; i++)
        {
            appendMeasured();
        }
        now += 1; // ten records in a nanosecond, faster than any disk: never below the least park
        assertEquals(Flusher.MIN_PARK_NS, flusher.quietParkNs(now));

        final Flusher sync = new Flusher(true, HOUR_MS, clock::get, journalDir, listener, counters);
        assertEquals(0, sync.quietParkNs(now), "under SYNC_FLUSH a send waits for the next flush: never parked");
    }

    private long appendMeasured()
    {
        final long before = journal.writePosition();
        append();
        return journal.writePosition() - before;
    }

    @Test
    void shouldNeverReportAFlushAfterOneFailed()
    {
        // what is tried: an fsync that fails once, as a failed write back is reported, and would succeed after: Linux
        // reports the error to one fsync only, so a retry that returned would claim pages that never reached the disk
        final AtomicInteger forces = new AtomicInteger();
        flusher.forcer((channel) ->
        {
            if (forces.incrementAndGet() == 1)
            {
                throw new IOException("Input/output error (test)");
            }
            channel.force(false);
        });
        final long flushedBefore = flusher.flushedWatermark();
        append();
        flusher.doWork();
        assertEquals(1, forces.get());
        assertEquals(1, counters.journalErrors.get(), "counted");
        assertEquals(flushedBefore, flusher.flushedWatermark());

        clock.addAndGet(2 * HOUR_MS);
        append();
        flusher.doWork();
        flusher.onClose();
        assertEquals(1, forces.get(), "no flush tried again, at close neither");
        assertEquals(flushedBefore, flusher.flushedWatermark(), "nothing counts as flushed");
        assertEquals(flushedBefore, watermarks.flushed(), "nor for readers on the host");
    }

    @Test
    void shouldReleaseThePageCacheBehindTheWriterOnceFlushed()
    {
        // what is tried: 20 MB appended with an 8 MiB window and flushed twice (the first flush seen in a file only
        // opens it), then duty cycles with nothing to flush; then a flush with less than a step more
        try (PageCacheReleaser probe = new PageCacheReleaser(journal, 1))
        {
            assumeTrue(probe.isAvailable(), "posix_fadvise is there on Linux only");
        }
        final Flusher releasing = new Flusher(false, HOUR_MS, clock::get, journalDir, listener, counters);
        releasing.start(journal, watermarks, TimeUnit.DAYS.toMillis(365), () -> Long.MAX_VALUE, 0, false, 8 << 20);
        try
        {
            final UnsafeBuffer kilobyte = new UnsafeBuffer(ByteBuffer.allocateDirect(1000));
            releasing.appended(journal.append(kilobyte, 0, kilobyte.capacity()));
            assertEquals(1, releasing.doWork(), "flushed");
            assertEquals(0, counters.pageCacheReleased.get(), "the first flush in a file opens it");
            long last = -1;
            for (int i = 0; i < 20_000; i++)
            {
                last = journal.append(kilobyte, 0, kilobyte.capacity());
            }
            releasing.appended(last);
            clock.addAndGet(HOUR_MS);
            assertEquals(1, releasing.doWork(), "flushed");
            assertEquals(0, counters.pageCacheReleased.get(), "a few steps wait: not taken by the flush");
            for (int cycles = 0; cycles < 100 && releasing.doWork() > 0; cycles++)
            {
                continue; // bounded: about 12 MiB to release is three steps
            }
            final long expected = (journal.writePosition() - (8 << 20)) & ~(PreToucher.PAGE - 1L);
            assertEquals(expected, counters.pageCacheReleased.get(), "the rest in the next duty cycles: all but the last 8 MiB");

            releasing.appended(journal.append(kilobyte, 0, kilobyte.capacity()));
            clock.addAndGet(HOUR_MS);
            assertEquals(1, releasing.doWork(), "flushed");
            assertEquals(expected, counters.pageCacheReleased.get(), "a kilobyte further on is less than a step: nothing released");
        }
        finally
        {
            releasing.onClose();
        }
    }

    @Test
    void shouldForceEveryCycleWrittenSinceTheLastFlushWhenClosing()
    {
        // what is tried: close while records in two newer cycles wait for the next hourly flush; close used to force only
        // the file it held open and call everything flushed
        final long first = append();
        flusher.doWork();
        forced.clear();
        clock.addAndGet(FIVE_MINUTES_MS);
        final long second = append();
        clock.addAndGet(FIVE_MINUTES_MS);
        final long third = append();

        flusher.onClose();
        assertEquals(List.of(journal.fileOf(first), journal.fileOf(second), journal.fileOf(third)), forced);
        assertEquals(third, flusher.flushedWatermark());
    }

    @Test
    void shouldLetGoOfTheJournalWhilePausedForACutAndGoOnFromTheCut()
    {
        // what is tried: a pause asked for with appends waiting to be flushed; the journal cut back and appended to
        // while paused; a second pause right after the first
        final long first = append();
        assertEquals(1, flusher.doWork());
        final long second = append();
        clock.addAndGet(HOUR_MS);
        flusher.requestPause();
        assertTrue(!flusher.isPaused(), "not until the flusher's next duty cycle");
        assertEquals(0, flusher.doWork());
        assertTrue(flusher.isPaused());
        forced.clear();
        assertEquals(0, flusher.doWork(), "no flush while paused, though one is due");
        assertTrue(forced.isEmpty());
        assertEquals(first, flusher.flushedWatermark());

        journal.cutBack(first);
        assertEquals(first, journal.lastIndex());
        flusher.resumeAt(first);
        assertTrue(!flusher.isPaused());
        assertEquals(first, flusher.flushedWatermark(), "the cut is flushed: the cut forced it");
        assertEquals(first, watermarks.flushed());
        clock.addAndGet(-HOUR_MS); // back in the first record's cycle: the append takes the index the cut freed
        final long again = append();
        assertEquals(second, again);
        clock.addAndGet(HOUR_MS);
        assertEquals(1, flusher.doWork());
        assertEquals(List.of(journal.fileOf(again)), forced, "the rebuilt file, opened afresh");
        assertEquals(again, flusher.flushedWatermark());

        flusher.requestPause();
        assertTrue(!flusher.isPaused());
        flusher.doWork();
        assertTrue(flusher.isPaused(), "a second pause holds as the first did");
        flusher.resumeAt(again);
    }
}
