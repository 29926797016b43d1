package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import net.openhft.chronicle.wire.Wires;

/**
 * An append cut short. Chronicle (as used here, holding its write lock) writes a record's bytes first and its
 * header last, when the append completes; older modes mark the header not-complete while writing. A process
 * killed in between leaves, after the last complete excerpt, an empty or not-complete header followed by part
 * of a record. It has no index and readers stop before it, so it is never served; but left alone its bytes stay
 * in the file past the records appended later over its start, where anything that walks headers (Chronicle's
 * own scan for the end after a power loss, a dump tool) takes them for excerpts. Fencing zeroes the region the
 * torn append may have written, so the next append starts on clean space.
 */
public final class TornTail
{
    private static final int HEADER_LENGTH = 4;

    /**
     * Cycle file holding the torn excerpt.
     */
    public final File file;

    /**
     * File offset of its header.
     */
    public final long offset;

    /**
     * Bytes from the header to the end of the region a torn record may have written (the journal's largest
     * excerpt, or the end of the file), which fencing zeroes.
     */
    public final long length;

    TornTail(final File file, final long offset, final long length)
    {
        this.file = file;
        this.offset = offset;
        this.length = length;
    }

    /**
     * Walk the excerpt headers of a cycle file from a header position to the end of what was written.
     *
     * @param file           cycle file.
     * @param position       offset of an excerpt header (0 is the file's own header) or of the end of the
     *                       excerpt before it.
     * @param maxRegion      largest region a torn excerpt may cover.
     * @return the torn excerpt, or null if the written part ends cleanly.
     * @throws IOException if the file cannot be read.
     */
    static TornTail scan(final File file, final long position, final long maxRegion) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            final long size = channel.size();
            final ByteBuffer word = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.nativeOrder());
            long at = align(position); // a record's end need not be aligned; Chronicle puts the next header on 4 bytes
            while (at + HEADER_LENGTH <= size)
            {
                word.clear();
                while (word.hasRemaining())
                {
                    if (channel.read(word, at + word.position()) < 0)
                    {
                        return null;
                    }
                }
                final int header = word.getInt(0);
                if (header == Wires.END_OF_DATA)
                {
                    return null;
                }
                if (header == Wires.NOT_INITIALIZED)
                {
                    // the end of what was appended, unless a record's bytes follow a header never written
                    final long regionEnd = Math.min(size, at + maxRegion);
                    return anyNonZero(channel, at + HEADER_LENGTH, regionEnd) ? new TornTail(file, at, regionEnd - at) : null;
                }
                if (Wires.isNotComplete(header))
                {
                    return new TornTail(file, at, Math.min(size - at, maxRegion));
                }
                at = align(at + HEADER_LENGTH + Wires.lengthOf(header));
            }
            return null;
        }
    }

    private static boolean anyNonZero(final FileChannel channel, final long from, final long to) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long at = from;
        while (at < to)
        {
            chunk.clear().limit((int)Math.min(chunk.capacity(), to - at));
            final int read = channel.read(chunk, at);
            if (read <= 0)
            {
                return false;
            }
            for (int i = 0; i < read; i++)
            {
                if (chunk.get(i) != 0)
                {
                    return true;
                }
            }
            at += read;
        }
        return false;
    }

    /**
     * Zero the torn region and force it to disk. Only for the one writer of the store, before it appends.
     *
     * @throws IOException if the file cannot be written.
     */
    void fence() throws IOException
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
            long at = offset;
            final long end = offset + length;
            while (at < end)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), end - at));
                at += channel.write(zeros, at);
            }
            channel.force(false);
        }
    }

    private static long align(final long position)
    {
        return (position + HEADER_LENGTH - 1) & ~(HEADER_LENGTH - 1L);
    }

    public String toString()
    {
        return file + " offset " + offset;
    }
}
