package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Touches the journal's pages ahead of the writer so the page faults of a fresh sparse file (block
 * allocation, zeroing) happen here, not on the send path. Chronicle's open-source pretoucher does nothing.
 *
 * <p>It maps the current cycle file itself and, on each 4 KiB page from the writer's position up to
 * {@link #AHEAD_BYTES} beyond it (within the file's current length), compares-and-sets an int from 0 to 0:
 * a write access that allocates the page, and an atomic one that changes nothing, so it can never disturb
 * a record the writer is putting there at the same moment.
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

    private final Target journal;
    private final UnsafeBuffer window = new UnsafeBuffer(0, 0);
    private int currentCycle;
    private FileChannel channel;
    private MappedByteBuffer mapped;
    private long windowStart;
    private long touchedUpTo;
    private long pagesTouched;

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
    }

    /**
     * @param journal the writer to run ahead of.
     */
    public PreToucher(final Target journal)
    {
        this.journal = journal;
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
        if (writePosition + AHEAD_BYTES <= touchedUpTo)
        {
            return 0; // far enough ahead already: no file-size call, nothing to do
        }
        final long limit = Math.min(channel.size(), writePosition + AHEAD_BYTES);
        long position = Math.max(touchedUpTo, (writePosition + PAGE) & ~(PAGE - 1L));
        int touched = 0;
        while (position + Integer.BYTES <= limit && touched < PAGES_PER_CALL)
        {
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
     * @return pages touched since the start.
     */
    public long pagesTouched()
    {
        return pagesTouched;
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
