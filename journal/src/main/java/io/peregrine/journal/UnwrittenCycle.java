package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.Wires;

/**
 * A cycle file whose header never reached the disk. Chronicle creates a cycle file at its full size and writes its
 * header through a memory map; if the machine loses power (or the kernel panics) before those pages are written
 * back, the file comes back at its full size with zeros where the header was. That happens to the newest cycle of
 * a store under ASYNC_FLUSH, and under any policy to a cycle created just before the cut. Chronicle cannot read
 * such a file, nor find the end of the journal past it, and nothing in it can be read by index. Under SYNC_FLUSH it
 * holds no acknowledged record: the header is on disk before the first flush of the file returns.
 *
 * <p>The store's writer sets such files aside, into a sibling directory, before it opens the journal: never
 * deleted, in case bytes of records follow the lost header ({@link #firstNonZeroOffset}).
 */
public final class UnwrittenCycle
{
    private static final int HEADER_LENGTH = 4;

    /**
     * The cycle file.
     */
    public final File file;

    /**
     * Its length in bytes.
     */
    public final long length;

    /**
     * Offset of its first non-zero byte, or -1 if every byte is zero (nothing of the file ever reached the disk).
     */
    public final long firstNonZeroOffset;

    private UnwrittenCycle(final File file, final long length, final long firstNonZeroOffset)
    {
        this.file = file;
        this.length = length;
        this.firstNonZeroOffset = firstNonZeroOffset;
    }

    /**
     * Find the cycle files of a journal directory whose header is missing. Reads only.
     *
     * @param journalDir directory of the queue files; need not exist.
     * @return the unwritten cycle files, oldest first; empty if none.
     * @throws IOException if a file cannot be read.
     */
    public static List<UnwrittenCycle> find(final File journalDir) throws IOException
    {
        final List<UnwrittenCycle> found = new ArrayList<>();
        final File[] files = journalDir.listFiles((dir, name) -> name.endsWith(SingleChronicleQueue.SUFFIX));
        if (null == files)
        {
            return found;
        }
        Arrays.sort(files);
        final ByteBuffer word = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.nativeOrder());
        for (final File file : files)
        {
            try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
            {
                final long size = channel.size();
                word.clear();
                final int read = size < HEADER_LENGTH ? 0 : channel.read(word, 0);
                if (read < HEADER_LENGTH || word.getInt(0) == Wires.NOT_INITIALIZED)
                {
                    found.add(new UnwrittenCycle(file, size, firstNonZero(channel, size)));
                }
            }
        }
        return found;
    }

    /**
     * Move every unwritten cycle file of a journal directory into {@link Journal#damagedDir(File)}, and force both
     * directories. Only for the store's one writer, before it opens the journal.
     *
     * @param journalDir directory of the queue files; need not exist.
     * @return what was moved, with the names the files had in the journal directory.
     * @throws IOException if a file cannot be read or moved.
     */
    public static List<UnwrittenCycle> setAside(final File journalDir) throws IOException
    {
        final List<UnwrittenCycle> found = find(journalDir);
        if (found.isEmpty())
        {
            return found;
        }
        final File target = Journal.damagedDir(journalDir);
        Files.createDirectories(target.toPath());
        for (final UnwrittenCycle cycle : found)
        {
            File moved = new File(target, cycle.file.getName());
            for (int n = 1; moved.exists(); n++)
            {
                moved = new File(target, cycle.file.getName() + "." + n);
            }
            Files.move(cycle.file.toPath(), moved.toPath(), StandardCopyOption.ATOMIC_MOVE);
        }
        Journal.forceDirectory(target);
        Journal.forceDirectory(journalDir);
        return found;
    }

    private static long firstNonZero(final FileChannel channel, final long size) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long at = 0;
        while (at < size)
        {
            chunk.clear();
            final int read = channel.read(chunk, at);
            if (read <= 0)
            {
                break;
            }
            for (int i = 0; i < read; i++)
            {
                if (chunk.get(i) != 0)
                {
                    return at + i;
                }
            }
            at += read;
        }
        return -1;
    }

    /**
     * @return what is left of the file: "every byte is zero" or where bytes after the lost header start.
     */
    public String remains()
    {
        return firstNonZeroOffset < 0 ? "every byte is zero" : "bytes follow from offset " + firstNonZeroOffset;
    }

    public String toString()
    {
        return file + " (" + length + " bytes, " + remains() + ")";
    }
}
