package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.core.OS;
import net.openhft.posix.PosixAPI;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Touches the journal's pages ahead of the writer so the page faults of a fresh sparse file (block
 * allocation, zeroing) happen here, not on the send path. Chronicle's open-source pretoucher does nothing.
 *
 * <p>Within the chunk of the file the writer has mapped, it populates the writer's own mapping with
 * {@code madvise(MADV_POPULATE_WRITE)} (Linux 5.14 and later): the pages are allocated and the writer's page
 * tables filled, as if written, without any write, so the writer then meets no fault at all. Beyond that chunk,
 * or where the call is not there, it maps the current cycle file itself and, on each 4 KiB page from the writer's
 * position up to {@link #AHEAD_BYTES} beyond it (within the file's current length), compares-and-sets an int from 0
 * to 0: a write access that allocates the page, and an atomic one that changes nothing, so it can never disturb a
 * record the writer is putting there at the same moment. That allocates the page, but the writer's own mapping still
 * takes a (minor) fault on its first write there.
 *
 * <p>Populating never changes memory, so a mapping that went away after the writer published it (it moved to the
 * next chunk) costs nothing but a failed call. A flush that writes the populated pages back before the writer gets
 * there write-protects them again, and the writer then takes a write-protect fault on each, as it would have without
 * this; at the rates where faults matter the writer gets there first.
 */
public final class PreToucher implements AutoCloseable
{
    /**
     * Bytes between two touches: one page.
     */
    public static final int PAGE = 4096;

    /**
     * How far ahead of the writer pages are touched.
     */
    public static final long AHEAD_BYTES = 16L << 20;
    private static final int WINDOW = 4 << 20;
    private static final int PAGES_PER_CALL = 32; // bounded: it shares the flusher thread
    private static final int MADV_POPULATE_WRITE = 23; // linux/mman-common.h, Linux 5.14
    private static final int EINVAL = 22; // what a kernel without MADV_POPULATE_WRITE answers

    private final Target journal;
    private final UnsafeBuffer window = new UnsafeBuffer(0, 0);
    private int currentCycle;
    private FileChannel channel;
    private MappedByteBuffer mapped;
    private long windowStart;
    private long touchedUpTo;
    private long pagesTouched;
    private long pagesPopulated;
    private final PosixAPI posix;
    private boolean populate;
    private Mapping populating;

    /**
     * The writer whose pages to touch: the files it writes and how far it has written.
     */
    public interface Target
    {
        /**
         * @param index of a record.
         * @return the roll cycle holding it.
         */
        int cycleOf(long index);

        /**
         * @param index of a record.
         * @return the file holding it.
         */
        File fileOf(long index);

        /**
         * @return offset just past the last record written in the current file, readable from any thread.
         */
        long writePosition();

        /**
         * @return where the writer has the current file mapped, as of its last record, or null if not known.
         */
        Mapping writerMapping();
    }

    /**
     * Where file offsets {@code [start, limit)} of the current file are mapped in the writer's memory.
     *
     * @param address of offset {@code start}.
     * @param start   file offset of the mapping's first byte.
     * @param limit   file offset just past the last byte that may be touched.
     */
    public record Mapping(long address, long start, long limit)
    {
        /**
         * @param store the chunk of a Chronicle file a writer's bytes are in ({@code bytes.bytesStore()}).
         * @return where it is mapped, or null if it is not a mapped chunk.
         */
        public static Mapping of(final BytesStore<?, ?> store)
        {
            return store instanceof MappedBytesStore mapped ?
                new Mapping(mapped.addressForWrite(mapped.start()), mapped.start(), mapped.safeLimit()) : null;
        }
    }

    /**
     * The writer's side of {@link Target#writerMapping()}: notes the chunk each record went into and publishes where it
     * is mapped when that changed, once per chunk (tens of MiB), so the steady state allocates nothing.
     */
    public static final class WriterMapping
    {
        private BytesStore<?, ?> store; // the writer thread's: the chunk its last record went into
        private volatile Mapping mapping;

        /**
         * @param bytes the writer's bytes just after a record.
         */
        public void note(final Bytes<?> bytes)
        {
            final BytesStore<?, ?> current = bytes.bytesStore();
            if (current != store)
            {
                store = current;
                mapping = Mapping.of(current);
            }
        }

        /**
         * @return the mapping as of the writer's last record, readable from any thread; null before the first.
         */
        public Mapping get()
        {
            return mapping;
        }

        /**
         * Forget it: the writer's file is closed or reopened.
         */
        public void clear()
        {
            store = null;
            mapping = null;
        }
    }

    /**
     * @return Chronicle's posix binding where it is a real one, else null: off Linux, or where JNR cannot load and
     * Chronicle falls back to a no-op implementation whose calls "succeed" doing nothing.
     */
    static PosixAPI nativePosix()
    {
        if (!OS.isLinux())
        {
            return null;
        }
        final PosixAPI posix = PosixAPI.posix();
        return posix.getClass().getSimpleName().startsWith("NoOp") ? null : posix;
    }

    /**
     * Populate the writer's own mapping where the platform can (Linux).
     *
     * @param journal the writer to run ahead of.
     */
    public PreToucher(final Target journal)
    {
        this(journal, OS.isLinux());
    }

    /**
     * @param journal  the writer to run ahead of.
     * @param populate whether to populate the writer's own mapping (else only touch through a mapping of its own).
     */
    public PreToucher(final Target journal, final boolean populate)
    {
        this.journal = journal;
        // loaded here, not on the first touch; without a real binding, touch through a mapping of its own
        this.posix = populate ? nativePosix() : null;
        this.populate = null != posix;
    }

    /**
     * Touch up to a bounded number of pages ahead of the writer.
     *
     * @param lastIndex the journal's last appended index, which says the current file.
     * @return pages touched.
     * @throws IOException if the file cannot be mapped.
     */
    public int touch(final long lastIndex) throws IOException
    {
        if (lastIndex < 0)
        {
            return 0;
        }
        final int cycle = journal.cycleOf(lastIndex);
        if (null == channel || cycle != currentCycle)
        {
            unmap();
            CloseHelper.quietClose(channel);
            currentCycle = cycle;
            channel = FileChannel.open(journal.fileOf(lastIndex).toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            touchedUpTo = 0;
        }
        final long writePosition = journal.writePosition();
        final Mapping writer = populate ? journal.writerMapping() : null;
        if (null != writer && writer != populating)
        {
            // the writer mapped the next chunk: the pages of it touched through this one's mapping are allocated but
            // not in the writer's page tables, so go over them again
            populating = writer;
            touchedUpTo = Math.min(touchedUpTo, Math.max(writer.start(), writePosition));
        }
        if (writePosition + AHEAD_BYTES <= touchedUpTo)
        {
            return 0; // far enough ahead already: no file-size call, nothing to do
        }
        final long limit = Math.min(channel.size(), writePosition + AHEAD_BYTES);
        long position = Math.max(touchedUpTo, (writePosition + PAGE) & ~(PAGE - 1L));
        int touched = 0;
        while (position + Integer.BYTES <= limit && touched < PAGES_PER_CALL)
        {
            final int populated = null != writer && populate ? populate(writer, position, limit, PAGES_PER_CALL - touched) : 0;
            if (populated > 0)
            {
                position += (long)populated * PAGE;
                touched += populated;
                continue;
            }
            if (null == mapped || position < windowStart || position + Integer.BYTES > windowStart + window.capacity())
            {
                unmap();
                windowStart = position & ~(PAGE - 1L);
                final long length = Math.min(WINDOW, channel.size() - windowStart);
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, windowStart, length);
                window.wrap(mapped);
            }
            window.compareAndSetInt((int)(position - windowStart), 0, 0);
            position += PAGE;
            touched++;
        }
        touchedUpTo = Math.max(touchedUpTo, position);
        pagesTouched += touched;
        return touched;
    }

    /**
     * Populate pages of the writer's own mapping from {@code position} (page aligned), if that mapping holds it.
     *
     * @param writer the writer's mapping as this call of {@link #touch} read it.
     * @return pages populated; 0 if the writer's mapping does not hold the position or the call failed.
     */
    private int populate(final Mapping writer, final long position, final long limit, final int maxPages)
    {
        if (position < writer.start() || position + PAGE > writer.limit())
        {
            return 0;
        }
        final long end = Math.min(Math.min(limit, writer.limit()), position + (long)maxPages * PAGE);
        final long length = (end - position) & ~(PAGE - 1L);
        if (length <= 0)
        {
            return 0;
        }
        if (posix.madvise(writer.address() + (position - writer.start()), length, MADV_POPULATE_WRITE) != 0)
        {
            // a kernel without it: stop asking; anything else (the writer moved on and its chunk is unmapped, a signal)
            // is for this call only
            populate = posix.lastError() != EINVAL;
            return 0;
        }
        final int pages = (int)(length / PAGE);
        pagesPopulated += pages;
        return pages;
    }

    /**
     * @return pages touched since the start, populated in the writer's mapping or touched through this one's.
     */
    public long pagesTouched()
    {
        return pagesTouched;
    }

    /**
     * @return of {@link #pagesTouched()}, those populated in the writer's own mapping.
     */
    public long pagesPopulated()
    {
        return pagesPopulated;
    }

    private void unmap()
    {
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }

    public void close()
    {
        unmap();
        CloseHelper.quietClose(channel);
    }
}
