package io.peregrine.journal;

import java.io.File;
import java.io.IOException;

import jnr.ffi.LibraryLoader;
import net.openhft.chronicle.core.OS;
import net.openhft.posix.PosixAPI;

/**
 * Gives the page cache of journal pages the writer has left well behind back to the kernel once they are on disk
 * ({@code posix_fadvise(POSIX_FADV_DONTNEED)}), so that the pages the writer needs next are ones just freed.
 *
 * <p>Without this, every page a journal ever wrote stays cached until memory runs short, so each new page comes from
 * memory nobody has touched for a while. On a virtual machine that hands free memory back to its host (virtio-balloon
 * free page reporting, as on this project's Firecracker test host) the first touch of such a page costs a fault in the
 * host: 8-9 us per 4 KiB page measured there, so 0.43 GB/s for a thread doing nothing else, against 3-5 GB/s for pages
 * just freed. At 64 KiB a message that cost is larger than the rest of the send, and it is paid by the pre-toucher on
 * the flusher's thread or, when that falls behind, by the writer. On a host where memory does fill up, it keeps the
 * journal from pushing the kernel into reclaiming memory on the send path.
 *
 * <p>It cannot lose a record: the kernel drops only pages that are clean (on disk), not mapped by any process and
 * not being written back; of a dirty page it only starts the write back. What stays cached is the last
 * {@code keepBytes} behind the writer, so readers that keep up (replication, consumers) read from memory; a reader
 * further behind reads from disk.
 *
 * <p>Used by the flusher's thread only: {@link #release} after each flush, {@link #releaseMore} between flushes, a
 * bounded step each. Only on Linux; elsewhere {@link #isAvailable()} is false.
 */
public final class PageCacheReleaser implements AutoCloseable
{
    /**
     * Least progress before pages are released, so a flush per send (SYNC_FLUSH) does not mean a call per send; also
     * the most released by one call, so that no call holds the thread for long (a few hundred microseconds here).
     */
    public static final long STEP_BYTES = 4L << 20;
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
    private long releasedUpTo;
    private long releasableUpTo;
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
     * {@code flushedIndex} may be released once it is at least {@link #STEP_BYTES} beyond what was; when the flushed
     * index has moved to the next file, all of the previous one is released at once. Then release a first step.
     *
     * @param flushedIndex  an index known to be on disk.
     * @param writePosition the writer's position as read before that index (so no further on than the file holds on
     *                      disk, but for the writer's batch in progress), in the same file.
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
            if (fd >= 0)
            {
                // the previous file is complete and was forced before the flush moved on: all of it
                advise(releasedUpTo, 0);
                closeFile();
            }
            final File file = journal.fileOf(flushedIndex);
            fd = posix.open(file.getPath(), O_RDONLY, 0);
            if (fd < 0)
            {
                fd = -1;
                throw new IOException("cannot open " + file + ": " + posix.strerror(posix.lastError()));
            }
            cycle = flushedCycle;
            releasedUpTo = 0;
            releasableUpTo = 0;
        }
        final long limit = (writePosition - keepBytes) & ~(PreToucher.PAGE - 1L);
        if (limit - releasedUpTo >= STEP_BYTES)
        {
            releasableUpTo = Math.max(releasableUpTo, limit);
        }
        return releaseMore();
    }

    /**
     * Release up to {@link #STEP_BYTES} more of what the last flush allowed.
     *
     * @return bytes of file offsets released; 0 when there is nothing more until the next flush.
     * @throws IOException if the kernel refuses the advice.
     */
    public long releaseMore() throws IOException
    {
        final long length = Math.min(STEP_BYTES, releasableUpTo - releasedUpTo);
        if (fd < 0 || length <= 0)
        {
            return 0;
        }
        advise(releasedUpTo, length);
        releasedUpTo += length;
        return length;
    }

    /**
     * @param length 0: to the end of the file.
     */
    private void advise(final long offset, final long length) throws IOException
    {
        final int error = libc.posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED);
        if (error != 0)
        {
            throw new IOException("posix_fadvise(DONTNEED) of a journal file failed: " + posix.strerror(error));
        }
        bytesReleased += length;
    }

    /**
     * @return bytes of file offsets released since start, not counting the rest of a file released whole at a roll.
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
            if (!OS.isLinux())
            {
                return null;
            }
            try
            {
                // where JNR cannot load, Chronicle's posix falls back to a no-op implementation
                return PosixAPI.posix().getClass().getSimpleName().startsWith("NoOp") ? null : LibraryLoader.create(LibC.class).load("c");
            }
            catch (final RuntimeException | LinkageError ex)
            {
                return null;
            }
        }
    }

    private void closeFile()
    {
        if (fd >= 0)
        {
            posix.close(fd);
            fd = -1;
        }
    }

    public void close()
    {
        closeFile();
    }
}
