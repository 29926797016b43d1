package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.peregrine.journal.Journal;
import io.peregrine.journal.PageCacheReleaser;
import io.peregrine.journal.PreToucher;
import io.peregrine.journal.Watermarks;
import io.peregrine.transport.IdleStrategies;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the journal durable on its own thread, since fsync blocks. It snapshots the appended watermark,
 * forces every journal file written since the last flush up to the one holding that index (found from the index
 * itself; after a roll also the files in between and the directory; on the first flush also the store directory
 * and its parent, whose entries may be new), then publishes the flushed watermark. One flush covers everything
 * appended before it started, so concurrent senders share it (group commit), and the pipeline keeps receiving and
 * appending while it runs.
 *
 * <p>SYNC_FLUSH flushes as soon as something new is appended; ASYNC_FLUSH every
 * {@code flushIntervalCommitLog} ms. Both use {@code FileChannel.force}: an fsync of the file, which on
 * Linux writes back the pages Chronicle dirtied through its mapping (not msync(MS_ASYNC)).
 *
 * <p>Between flushes it releases, in steps, the page cache of what a flush put on disk more than
 * {@code pageCacheWindow} behind the writer (see {@link PageCacheReleaser}), and touches pages ahead of the writer (see
 * {@link PreToucher}).
 *
 * <p>The same thread runs retention every 10 s: journal files of cycles that ended more than
 * {@code fileReservedTime} ago are deleted (never the current or last one).
 */
final class Flusher implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);
    private static final long HOUSEKEEPING_INTERVAL_MS = 10_000;
    private static final long SPACE_CHECK_INTERVAL_MS = 100;

    /**
     * Shortest park of an empty duty cycle under ASYNC_FLUSH (see {@link #quietParkNs(long)}).
     */
    static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);
    private final boolean sync;
    private final long intervalMs;
    private final EpochClock clock;
    private final File dir;
    private final FlushListener listener;
    private final BrokerCounters counters;
    private volatile long appendedWatermark;
    private boolean parkedBefore; // the flusher thread's, with the two below
    private long positionAtLastPark;
    private long lastParkNs;
    private volatile long flushedWatermark;
    private int currentCycle;
    private FileChannel current;
    private File currentFile;
    private long nextFlushMs;
    private long nextHousekeepingMs;
    private long nextSpaceCheckMs;
    private volatile boolean storeFull;
    private LongSupplier usableSpace = () -> Long.MAX_VALUE;
    private long spaceFloor;
    private PreToucher preToucher;
    private Journal journal;
    private Watermarks watermarks;
    private long fileReservedTimeMs;
    private boolean pretouch;
    private long pageCacheWindow;
    private PageCacheReleaser releaser;
    private volatile boolean flushFailed; // read by the responder
    private volatile FileForcer forcer = (channel) -> channel.force(false); // a test may set it from its own thread
    private boolean holdingPause;
    private volatile long pauseGeneration; // written by the pipeline only
    private volatile long resumedGeneration; // written by the pipeline only
    private volatile long pausedGeneration; // written by this flusher only

    Flusher(
        final boolean sync,
        final long intervalMs,
        final EpochClock clock,
        final File dir,
        final FlushListener listener,
        final BrokerCounters counters)
    {
        this.sync = sync;
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.dir = dir;
        this.listener = listener;
        this.counters = counters;
    }

    /**
     * Forces a journal file's data to the disk.
     */
    @FunctionalInterface
    interface FileForcer
    {
        void force(FileChannel channel) throws IOException;
    }

    /**
     * Replace how files are forced: a test's forcer can fail as a disk does.
     */
    void forcer(final FileForcer forcer)
    {
        this.forcer = forcer;
    }

    /**
     * Start from the journal as it is: what a previous run stored counts as appended and flushed once every journal
     * file is forced to disk. A clean shutdown flushed it already; after the broker's process died, its last records
     * may still be only in the page cache (and readers on the host would take them for flushed), so they are forced
     * here; after the machine died, whatever survived is what there is.
     *
     * @throws UncheckedIOException naming the file if one cannot be forced: the broker does not start on a disk that
     *                              fails.
     */
    void start(
        final Journal journal,
        final Watermarks watermarks,
        final long fileReservedTimeMs,
        final LongSupplier usableSpace,
        final long spaceFloor,
        final boolean pretouch,
        final long pageCacheWindow)
    {
        this.journal = journal;
        this.watermarks = watermarks;
        this.pretouch = pretouch;
        this.preToucher = pretouch ? new PreToucher(journal) : null;
        this.pageCacheWindow = pageCacheWindow;
        this.releaser = newReleaser();
        if (pageCacheWindow > 0 && null == releaser)
        {
            LOG.info("pageCacheWindow: this platform cannot release the page cache (posix_fadvise); the kernel keeps all of it");
        }
        this.fileReservedTimeMs = fileReservedTimeMs;
        this.usableSpace = usableSpace;
        this.spaceFloor = spaceFloor;
        checkSpace();
        appendedWatermark = journal.lastIndex();
        if (appendedWatermark >= 0)
        {
            forceStored(journal.cycleOf(appendedWatermark));
        }
        flushedTo(appendedWatermark);
    }

    private void forceStored(final int lastCycle)
    {
        try
        {
            forceCycleFiles(Integer.MIN_VALUE, lastCycle);
            Journal.forceDirectory(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot force the stored journal to disk at start (" + dir + "): " + ex.getMessage(), ex);
        }
    }

    /**
     * Force each journal file of these cycles that exists, and tell the listener.
     *
     * @throws IOException naming the file that could not be forced.
     */
    private void forceCycleFiles(final int fromCycle, final int toCycle) throws IOException
    {
        for (final File file : journal.cycleFilesBetween(fromCycle, toCycle))
        {
            try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
            {
                forcer.force(channel);
            }
            catch (final IOException ex)
            {
                throw new IOException(file + ": " + ex.getMessage(), ex);
            }
            listener.fileForced(file);
        }
    }

    public String roleName()
    {
        return "journal-flusher";
    }

    /**
     * How long this thread may park after an empty duty cycle (see {@link IdleStrategies#create(String, LongSupplier)}).
     * Under SYNC_FLUSH never: a send waits for the next flush. Under ASYNC_FLUSH the flushes are timed and pre-touching
     * is work the thread finds when it wakes, so it parks {@link IdleStrategies#QUIET_PARK_NS}, but no longer than the
     * writer, at its rate since the last park, takes to use half of the {@link PreToucher#AHEAD_BYTES} touched ahead of
     * it (at least {@link #MIN_PARK_NS}): a fast writer would otherwise overtake the pre-toucher during the park.
     *
     * @param nowNs the time, from {@link System#nanoTime()}.
     * @return nanoseconds to park, 0 to back off as any other thread.
     */
    long quietParkNs(final long nowNs)
    {
        if (sync)
        {
            return 0;
        }
        final long position = journal.writePosition();
        final long written = position - positionAtLastPark;
        final long elapsedNs = nowNs - lastParkNs;
        final boolean first = !parkedBefore;
        parkedBefore = true;
        positionAtLastPark = position;
        lastParkNs = nowNs;
        if (first || written == 0)
        {
            return IdleStrategies.QUIET_PARK_NS;
        }
        if (written < 0)
        {
            return MIN_PARK_NS; // the writer rolled to a new file: its rate is not known
        }
        final double halfAheadNs = (double)elapsedNs * (PreToucher.AHEAD_BYTES / 2) / written;
        return (long)Math.max(MIN_PARK_NS, Math.min(IdleStrategies.QUIET_PARK_NS, halfAheadNs));
    }

    /**
     * The writer appended up to this index.
     */
    void appended(final long index)
    {
        appendedWatermark = index;
    }

    /**
     * Publish the flushed watermark to the pipeline and to readers on the host (see {@link Watermarks}).
     */
    private void flushedTo(final long index)
    {
        flushedWatermark = index;
        watermarks.flushed(index);
    }

    /**
     * @return highest index known to be on disk.
     */
    long flushedWatermark()
    {
        return flushedWatermark;
    }

    /**
     * Ask the flusher to stop using the journal, as a slave cutting its journal back does; see {@link #isPaused()}.
     */
    void requestPause()
    {
        pauseGeneration = pauseGeneration + 1;
    }

    /**
     * @return true once a requested pause holds: the flusher has let go of the journal's files and does nothing.
     */
    boolean isPaused()
    {
        final long generation = pauseGeneration;
        return generation != resumedGeneration && pausedGeneration == generation;
    }

    /**
     * End a pause after the journal was cut back to an index, its files forced to disk: that index is appended and
     * flushed, and the flusher goes on from there.
     */
    void resumeAt(final long lastIndex)
    {
        appendedWatermark = lastIndex;
        flushedTo(flushFailed ? Math.min(flushedWatermark, lastIndex) : lastIndex); // after a failed flush, nothing more is flushed
        resumedGeneration = pauseGeneration;
    }

    /**
     * Safe from any thread.
     *
     * @return true once a flush failed: no flush is tried again in this run.
     */
    boolean flushFailed()
    {
        return flushFailed;
    }

    public int doWork()
    {
        final long generation = pauseGeneration;
        if (generation != resumedGeneration)
        {
            if (pausedGeneration != generation)
            {
                CloseHelper.quietCloseAll(current, preToucher, releaser);
                current = null;
                preToucher = null;
                releaser = null;
                holdingPause = true;
                pausedGeneration = generation;
            }
            return 0;
        }
        if (holdingPause)
        {
            holdingPause = false;
            preToucher = pretouch ? new PreToucher(journal) : null;
            releaser = newReleaser();
        }
        final long nowMs = clock.time();
        int work = 0;
        if (nowMs >= nextHousekeepingMs)
        {
            nextHousekeepingMs = nowMs + HOUSEKEEPING_INTERVAL_MS;
            work += deleteExpiredFiles(nowMs);
        }
        if (nowMs >= nextSpaceCheckMs)
        {
            nextSpaceCheckMs = nowMs + SPACE_CHECK_INTERVAL_MS;
            checkSpace();
        }
        final int flushed = flush(nowMs);
        if (flushed == 0 && null != releaser)
        {
            work += releaseMorePageCache() > 0 ? 1 : 0;
        }
        if (flushed == 0 && null != preToucher && !storeFull)
        {
            try
            {
                work += preToucher.touch(appendedWatermark);
            }
            catch (final IOException ex)
            {
                LOG.warn("pre-touch stopped: {}", ex.toString());
                CloseHelper.quietClose(preToucher);
                preToucher = null;
            }
        }
        return work + flushed;
    }

    private PageCacheReleaser newReleaser()
    {
        if (pageCacheWindow <= 0 || flushFailed)
        {
            return null;
        }
        final PageCacheReleaser made = new PageCacheReleaser(journal, pageCacheWindow);
        return made.isAvailable() ? made : null;
    }

    /**
     * Tell the releaser of a flush to {@code target}: it releases a step then only when many wait.
     *
     * @param writePosition the writer's position read before the flush's target.
     */
    private void noteFlushToReleaser(final long target, final long writePosition)
    {
        if (null != releaser)
        {
            try
            {
                counted(releaser.release(target, writePosition));
            }
            catch (final IOException | RuntimeException | LinkageError ex)
            {
                releaseFailed(ex);
            }
        }
    }

    /**
     * Release the next step of page cache that the flushes allowed.
     *
     * @return bytes released.
     */
    private long releaseMorePageCache()
    {
        if (null == releaser)
        {
            return 0;
        }
        try
        {
            return counted(releaser.releaseMore());
        }
        catch (final IOException | RuntimeException | LinkageError ex)
        {
            releaseFailed(ex);
            return 0;
        }
    }

    private long counted(final long released)
    {
        if (released > 0)
        {
            counters.pageCacheReleased.getAndAddRelease(released);
        }
        return released;
    }

    /**
     * A failure stops releasing, not flushing.
     */
    private void releaseFailed(final Throwable ex)
    {
        LOG.warn("releasing the journal's page cache stopped: {}", ex.toString());
        stopReleasing();
    }

    private void stopReleasing()
    {
        CloseHelper.quietClose(releaser);
        releaser = null;
    }

    /**
     * @return pages touched ahead of the writer since start.
     */
    long pagesPreTouched()
    {
        return null == preToucher ? 0 : preToucher.pagesTouched();
    }

    /**
     * Retention: delete journal files of cycles that ended more than fileReservedTime ago. Never the current
     * cycle's file or the last one written; this flusher only holds the current file open.
     */
    private int deleteExpiredFiles(final long nowMs)
    {
        final List<File> deleted = journal.deleteCyclesEndedBefore(nowMs - fileReservedTimeMs);
        for (final File file : deleted)
        {
            LOG.info("retention: deleted {} (older than {} h)", file, TimeUnit.MILLISECONDS.toHours(fileReservedTimeMs));
        }
        return deleted.size();
    }

    /**
     * Chronicle writes through a mapping into sparse files, so a full disk would surface as SIGBUS in the
     * writer. Refuse sends instead while free space is below the floor (at least two journal blocks, the
     * most the writer can touch before the next check), and take them again once it is back.
     */
    private void checkSpace()
    {
        final long usable = usableSpace.getAsLong();
        final boolean full = usable < spaceFloor;
        if (full != storeFull)
        {
            if (full)
            {
                LOG.warn("store has {} bytes free, below the floor of {}: refusing sends (STORE_FULL) until space is back",
                    usable, spaceFloor);
            }
            else
            {
                LOG.info("store has {} bytes free again (floor {}): taking sends", usable, spaceFloor);
            }
            storeFull = full;
        }
    }

    /**
     * @return true while the store's free space is below the floor.
     */
    boolean storeFull()
    {
        return storeFull;
    }

    private int flush(final long nowMs)
    {
        if (flushFailed)
        {
            return 0; // see the catch below
        }
        // before the target: the writer publishes its position with each record and the watermark after a batch
        final long writePosition = journal.writePosition();
        final long target = appendedWatermark;
        if (target <= flushedWatermark)
        {
            return 0;
        }
        if (!sync && nowMs < nextFlushMs)
        {
            return 0;
        }
        nextFlushMs = nowMs + intervalMs;
        listener.beforeFlush(target);
        final long startNs = System.nanoTime();
        try
        {
            forceThrough(target);
        }
        catch (final IOException ex)
        {
            counters.journalErrors.increment();
            LOG.error("journal flush failed: no flush is tried again in this run, so sends waiting for one are answered " +
                "FLUSH_DISK_TIMEOUT; restart the broker once the disk is sound", ex);
            // Linux reports a failed write back once, to the next fsync, and may mark the pages clean all the same: a
            // later fsync would return success for data that never reached the disk, and SEND_OK would lie. So the
            // flushed watermark stops here for good. The pages must also stay cached: they may be the only good copy.
            flushFailed = true;
            stopReleasing();
            return 0;
        }
        listener.afterFlush(target); // before publishing: no answer for it can leave until this returned
        flushedTo(target);
        counters.flushNanos.getAndAddRelease(System.nanoTime() - startNs);
        counters.flushes.incrementRelease();
        noteFlushToReleaser(target, writePosition);
        return 1;
    }

    /**
     * Force every journal file written since the last flush, up to the one holding the target index: the file held
     * open (its last records), any cycle after it (a short roll cycle and a long flush interval can put several files
     * between two flushes), and the target's file, whose directory entry is forced too when it is new.
     */
    private void forceThrough(final long target) throws IOException
    {
        final int cycle = journal.cycleOf(target);
        if (null == current || cycle != currentCycle)
        {
            final boolean first = null == current;
            final int fromCycle;
            if (first)
            {
                fromCycle = flushedWatermark >= 0 ? journal.cycleOf(flushedWatermark) : Integer.MIN_VALUE;
            }
            else
            {
                forcer.force(current); // the rolled file's last records
                listener.fileForced(currentFile);
                current.close();
                current = null;
                fromCycle = currentCycle + 1;
            }
            forceCycleFiles(fromCycle, cycle - 1);
            final File file = journal.fileOf(target);
            current = FileChannel.open(file.toPath(), StandardOpenOption.READ);
            currentFile = file;
            currentCycle = cycle;
            Journal.forceDirectory(dir); // the new file's directory entry
            if (first)
            {
                // the journal directory's entry in the store, and the store's in its parent: both may be new
                final File store = dir.getAbsoluteFile().getParentFile();
                Journal.forceDirectory(store);
                Journal.forceDirectory(store.getParentFile());
            }
        }
        forcer.force(current);
        listener.fileForced(currentFile);
    }

    /**
     * Flush what is appended and not yet flushed, whatever the policy, then close the file held open.
     */
    public void onClose()
    {
        try
        {
            final long target = appendedWatermark;
            if (target > flushedWatermark && !flushFailed)
            {
                forceThrough(target);
                flushedTo(target);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            CloseHelper.quietCloseAll(current, preToucher, releaser);
        }
    }
}
