package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;

/**
 * A named reader's kept position: the index of its last committed record as text, 19 digits and a newline, so an
 * operator reads it with {@code cat}. Each {@link #write(long)} is one write of those 20 bytes at the file's start,
 * without a sync and without allocating: the new position or the old is there when the reader's process dies, never
 * a torn one (a write of a few bytes inside one page is not split), and the operating system writes it to disk within
 * its writeback delay (about 30 s on Linux); {@link #close()} forces it. The first write, which gives the file its
 * length, is forced at once, so a power loss can take the position back to an earlier one (records are read again)
 * but never leave the file empty or zero-filled, which would lose it. Chronicle Queue keeps its named tailers'
 * indices the same way, in a mapped file.
 */
final class PositionFile implements AutoCloseable
{
    static final int LENGTH = 20;

    private final File file;
    private FileChannel channel;
    private final ByteBuffer text = ByteBuffer.allocateDirect(LENGTH);
    private boolean written;
    private boolean sized;

    private PositionFile(final File file, final FileChannel channel) throws IOException
    {
        this.file = file;
        this.channel = channel;
        this.sized = channel.size() == LENGTH;
    }

    /**
     * Open the file, made if absent (and its directory forced, so the name survives too).
     *
     * @param file where the position is kept.
     * @return the open file.
     * @throws IOException if it cannot be opened or made.
     */
    static PositionFile open(final File file) throws IOException
    {
        final boolean made = !file.exists();
        final FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            if (made)
            {
                Journal.forceDirectory(file.getParentFile());
            }
            return new PositionFile(file, channel);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * @return the kept position, or {@link Long#MIN_VALUE} if none was written yet (the file is empty).
     * @throws IllegalStateException if the file holds something else than an index, naming the file.
     */
    long read() throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate((int)Math.min(channel.size(), 64));
        channel.read(bytes, 0);
        final String raw = new String(bytes.array(), 0, bytes.position(), StandardCharsets.US_ASCII);
        if (raw.indexOf('\0') >= 0)
        {
            throw new IllegalStateException("the reader's position file " + file + " holds zero bytes (a write the disk did not " +
                "keep?), not an index; remove it to start the reader afresh, or write the index to resume after into it");
        }
        final String content = raw.trim();
        if (content.isEmpty())
        {
            return Long.MIN_VALUE;
        }
        try
        {
            final long position = Long.parseLong(content);
            if (position >= 0)
            {
                return position;
            }
        }
        catch (final NumberFormatException ignore)
        {
            // said below
        }
        throw new IllegalStateException("the reader's position file " + file + " holds '" + content + "', not an index; " +
            "remove it to start the reader afresh");
    }

    /**
     * Keep a position (at least 0): one write, no sync.
     */
    void write(final long position)
    {
        long value = position;
        text.clear();
        text.put(LENGTH - 1, (byte)'\n');
        for (int i = LENGTH - 2; i >= 0; i--)
        {
            text.put(i, (byte)('0' + value % 10));
            value /= 10;
        }
        try
        {
            if (!channel.isOpen())
            {
                channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE); // an interrupt closed it
            }
            while (text.hasRemaining())
            {
                channel.write(text, text.position());
            }
            written = true;
            if (!sized)
            {
                channel.truncate(LENGTH); // an older, longer content goes
                channel.force(true); // the write that gives the file its length: forced, so it is never found empty
                sized = true;
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot keep the reader's position in " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return where the position is kept.
     */
    File file()
    {
        return file;
    }

    /**
     * Force what was written to disk, and close.
     */
    public void close()
    {
        if (!channel.isOpen())
        {
            return; // closed already (or by an interrupt: the last write is then the operating system's to keep)
        }
        try
        {
            if (written)
            {
                channel.force(true);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot force the reader's position in " + file + " to disk: " + ex.getMessage(), ex);
        }
        finally
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // closed either way
            }
        }
    }
}
