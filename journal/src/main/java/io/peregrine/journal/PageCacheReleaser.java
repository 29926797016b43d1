package io.peregrine.journal;

import java.io.File;
import java.io.IOException;

import jnr.ffi.LibraryLoader;
import net.openhft.posix.PosixAPI;

/**
 * Gives the page cache of journal pages the writer has left well behind back to the kernel once they are on disk
 * ({@code posix_fadvise(POSIX_FADV_DONTNEED)}), so that the pages the writer needs next are ones just freed.
 *
 * <p>Without this, every page a journal ever wrote stays cached until memory runs short, so each new page comes from
 * memory nobody has touched for a while. On a virtual machine that hands free memory back to its host (virtio-balloon
 * free page reporting, as on this project's Firecracker test host) the first touch of such a page costs a fault in the
 * host: 8-9 us per 4 KiB page measured there, so 0.43 GB/s for a thread doing nothing else, against 4.6-5.7 GB/s for
 * pages just freed. At 64 KiB a message that cost is larger than the rest of the send, and it is paid by the
 * pre-toucher on the flusher's thread or, when that falls behind, by the writer. Where memory does fill up, it keeps
 * the journal from pushing the kernel into reclaiming memory while the writer waits for a page.
 *
 * <p>It cannot lose a record: the kernel drops only pages that are clean (on disk), not mapped by any process and
 * not being written back; of a dirty page it only starts the write back. What stays cached is the last
 * {@code keepBytes} behind the writer, across a roll to the next file too, so readers that keep up (replication,
 * consumers) read from memory; a reader further behind reads from disk, and what it reads stays cached until the file
 * is done: a file's pages are advised once as the writer passes them and once more, all of them, after the writer is
 * {@code keepBytes} into the next file.
 *
 * <p>Used by the flusher's thread only: {@link #release} after each flush, {@link #releaseMore} between flushes, at
 * most {@link #STEP_BYTES} released a call. Only on Linux; elsewhere {@link #isAvailable()} is false.
 */
public final class PageCacheReleaser implements AutoCloseable
{
    /**
     * Least progress before pages are released, so a flush per send (SYNC_FLUSH) does not mean a call per send; also
     * the most released by one call, so that no call holds the thread for long.
     */
    public static final long STEP_BYTES = 4L << 20;
    /**
     * Steps waiting after which {@link #release} takes one itself: under a load that leaves the flusher no duty cycle
     * without a flush, {@link #releaseMore} would not be called.
     */
    public static final int BACKLOG_STEPS = 8;
    private static final int POSIX_FADV_DONTNEED = 4; // linux/fadvise.h
    private static final int O_RDONLY = 0;

    /**
     * The C library's call this needs and Chronicle's posix binding lacks.
     */
    public interface LibC
    {
        /**
         * @return 0, or the error number (not -1 and errno).
         */
        int posix_fadvise(int fd, long offset, long length, int advice);
    }

    private final PreToucher.Target journal;
    private final long keepBytes;
    private final PosixAPI posix;
    private final LibC libc;
    private int cycle;
    private int fd = -1;
    private File file;
    private long releasedUpTo;
    private long releasableUpTo;
    private int previousFd = -1;
    private long previousReleasedUpTo;
    private long previousEnd;
    private boolean previousReleasable;
    private long bytesReleased;

    /**
     * @param journal   the writer behind which to release pages.
     * @param keepBytes bytes behind the writer's position that stay cached.
     */
    public PageCacheReleaser(final PreToucher.Target journal, final long keepBytes)
    {
        this.journal = journal;
        this.keepBytes = keepBytes;
        this.libc = Native.LIBC;
        this.posix = null == libc ? null : PosixAPI.posix();
    }

    /**
     * @return whether this platform can release pages; if not, {@link #release} does nothing.
     */
    public boolean isAvailable()
    {
        return null != libc;
    }

    /**
     * Note a flush: what lies more than {@code keepBytes} behind {@code writePosition} in the file of
     * {@code flushedIndex} may be released once it is at least {@link #STEP_BYTES} beyond what was; after a roll, all
     * of the previous file once the writer is {@code keepBytes} into this one. The releasing is left to
     * {@link #releaseMore}, between flushes, so that it does not delay the next flush (SYNC_FLUSH: a 64 KiB send's
     * p50 was 5-9% slower with a step taken here after each flush), unless more than {@link #BACKLOG_STEPS} steps wait.
     *
     * @param flushedIndex  an index known to be on disk.
     * @param writePosition the writer's position, read before that index: in its file no further on than what is on
     *                      disk but for the writer's batch in progress. It is taken for a position in the flushed
     *                      index's file only from the second flush in that file on: at a roll it may still be the
     *                      previous file's.
     * @return bytes of file offsets released by this call (pages that were not cached count too).
     * @throws IOException if a journal file cannot be opened or the kernel refuses the advice.
     */
    public long release(final long flushedIndex, final long writePosition) throws IOException
    {
        if (null == libc || flushedIndex < 0)
        {
            return 0;
        }
        final int flushedCycle = journal.cycleOf(flushedIndex);
        if (fd < 0 || flushedCycle != cycle)
        {
            open(flushedIndex, flushedCycle);
            return 0;
        }
        final long limit = (writePosition - keepBytes) & ~(PreToucher.PAGE - 1L);
        if (limit - releasedUpTo >= STEP_BYTES)
        {
            releasableUpTo = Math.max(releasableUpTo, limit);
        }
        previousReleasable |= writePosition >= keepBytes;
        return releasableUpTo - releasedUpTo >= BACKLOG_STEPS * STEP_BYTES ? releaseMore() : 0;
    }

    /**
     * Release up to {@link #STEP_BYTES} more of what the flushes so far allowed: the previous file's rest first.
     *
     * @return bytes of file offsets released; 0 when there is nothing more until the next flush.
     * @throws IOException if the kernel refuses the advice.
     */
    public long releaseMore() throws IOException
    {
        if (previousFd >= 0 && previousReleasable)
        {
            final long length = Math.min(STEP_BYTES, previousEnd - previousReleasedUpTo);
            if (length > 0)
            {
                advise(previousFd, previousReleasedUpTo, length);
                previousReleasedUpTo += length;
                return length;
            }
            closePrevious();
        }
        final long length = Math.min(STEP_BYTES, releasableUpTo - releasedUpTo);
        if (fd < 0 || length <= 0)
        {
            return 0;
        }
        advise(fd, releasedUpTo, length);
        releasedUpTo += length;
        return length;
    }

    /**
     * Start on the flushed index's file. The one before becomes the previous file, to be gone over whole (what was
     * advised before included: pages a reader mapped or read back then are released now); a previous file not done by
     * then (two rolls within the window) is advised whole at once.
     */
    private void open(final long flushedIndex, final int flushedCycle) throws IOException
    {
        if (fd >= 0)
        {
            if (previousFd >= 0)
            {
                advise(previousFd, previousReleasedUpTo, 0);
                closePrevious();
            }
            previousFd = fd;
            previousReleasedUpTo = 0;
            previousEnd = file.length();
            previousReleasable = false;
            fd = -1;
        }
        final File opening = journal.fileOf(flushedIndex);
        final int opened = posix.open(opening.getPath(), O_RDONLY, 0);
        if (opened < 0)
        {
            throw new IOException("cannot open " + opening + ": " + posix.strerror(posix.lastError()));
        }
        fd = opened;
        file = opening;
        cycle = flushedCycle;
        releasedUpTo = 0;
        releasableUpTo = 0;
    }

    /**
     * @param length 0: to the end of the file.
     */
    private void advise(final int fileDescriptor, final long offset, final long length) throws IOException
    {
        final int error = libc.posix_fadvise(fileDescriptor, offset, length, POSIX_FADV_DONTNEED);
        if (error != 0)
        {
            throw new IOException("posix_fadvise(DONTNEED) of a journal file failed: " + posix.strerror(error));
        }
        bytesReleased += length;
    }

    /**
     * @return bytes of file offsets advised since start (a previous file's rest advised at once not counted).
     */
    public long bytesReleased()
    {
        return bytesReleased;
    }

    /**
     * The C library, bound once per JVM (each binding generates a class); null where it cannot be.
     */
    private static final class Native
    {
        static final LibC LIBC = load();

        private static LibC load()
        {
            try
            {
                return null == PreToucher.nativePosix() ? null : LibraryLoader.create(LibC.class).load("c");
            }
            catch (final RuntimeException | LinkageError ex)
            {
                return null;
            }
        }
    }

    private void closePrevious()
    {
        posix.close(previousFd);
        previousFd = -1;
    }

    public void close()
    {
        if (previousFd >= 0)
        {
            closePrevious();
        }
        if (fd >= 0)
        {
            posix.close(fd);
            fd = -1;
        }
    }
}
