package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The watermarks a broker publishes beside its journal, in a small file it maps ({@code <store>/watermarks}), for
 * readers on the same host: which records are durable under its policy. The broker writes each with an ordered store
 * as it moves; readers read them with a volatile load, from any process.
 *
 * <p>Layout, little-endian: magic (8 bytes), policy flags (8), flushed index (8), replicated index (8). An index is -1
 * until the broker knows better. The file holds the last values of a stopped broker, which a starting one overwrites.
 */
public final class Watermarks implements AutoCloseable
{
    /**
     * Name of the file in the store.
     */
    public static final String FILE_NAME = "watermarks";

    /**
     * Policy flag: SEND_OK waits for the flush (SYNC_FLUSH), so a committed record is flushed.
     */
    public static final long SYNC_FLUSH = 1;

    /**
     * Policy flag: SEND_OK waits for a slave (SYNC_MASTER), so a committed record is replicated.
     */
    public static final long SYNC_MASTER = 2;

    private static final long MAGIC = 0x3130304d57475250L; // "PRGWM001"
    private static final int MAGIC_OFFSET = 0;
    private static final int POLICY_OFFSET = 8;
    private static final int FLUSHED_OFFSET = 16;
    private static final int REPLICATED_OFFSET = 24;
    private static final int LENGTH = 4096;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;

    private Watermarks(final MappedByteBuffer mapped)
    {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
    }

    /**
     * Create (or take over) the file of a store, as its broker: the policy set, flushed -1 until the broker's first
     * word on it; replicated kept from the last run if it left one (records a slave acknowledged then stay so), else -1.
     *
     * @param storeDir  the store root.
     * @param policy    {@link #SYNC_FLUSH} and / or {@link #SYNC_MASTER}, or 0.
     * @param lastIndex the journal's last record: a replicated index kept from the last run is no higher.
     * @return the mapped watermarks, for writing.
     */
    public static Watermarks create(final File storeDir, final long policy, final long lastIndex)
    {
        final File file = new File(storeDir, FILE_NAME);
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final boolean existed = channel.size() >= LENGTH;
            final Watermarks watermarks = new Watermarks(channel.map(FileChannel.MapMode.READ_WRITE, 0, LENGTH));
            final UnsafeBuffer buffer = watermarks.buffer;
            final long kept = existed && buffer.getLongVolatile(MAGIC_OFFSET) == MAGIC ? buffer.getLongVolatile(REPLICATED_OFFSET) : -1;
            buffer.putLongOrdered(FLUSHED_OFFSET, -1);
            buffer.putLongOrdered(REPLICATED_OFFSET, Math.min(kept, lastIndex));
            buffer.putLongOrdered(POLICY_OFFSET, policy);
            buffer.putLongOrdered(MAGIC_OFFSET, MAGIC);
            return watermarks;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the watermarks file " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Map a store's file read-only, as a reader.
     *
     * @param storeDir the store root.
     * @return the mapped watermarks, for reading.
     * @throws IllegalStateException if the store has no such file: no broker of this version has run on it.
     */
    public static Watermarks openReadOnly(final File storeDir)
    {
        final File file = new File(storeDir, FILE_NAME);
        if (!file.isFile() || file.length() < LENGTH)
        {
            throw new IllegalStateException("no watermarks at " + file + ": a broker publishes them there once it has started on the store");
        }
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            final Watermarks watermarks = new Watermarks(channel.map(FileChannel.MapMode.READ_ONLY, 0, LENGTH));
            if (watermarks.buffer.getLongVolatile(MAGIC_OFFSET) != MAGIC)
            {
                watermarks.close();
                throw new IllegalStateException(file + " is not a watermarks file of this version");
            }
            return watermarks;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the watermarks file " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @param index last record covered by a flush.
     */
    public void flushed(final long index)
    {
        buffer.putLongOrdered(FLUSHED_OFFSET, index);
    }

    /**
     * @param index the highest record the in-sync slaves have acknowledged: it never goes back (a slave that drops
     *              out leaves what it acknowledged replicated).
     */
    public void replicated(final long index)
    {
        buffer.putLongOrdered(REPLICATED_OFFSET, index);
    }

    /**
     * @return last record covered by a flush, or -1.
     */
    public long flushed()
    {
        return buffer.getLongVolatile(FLUSHED_OFFSET);
    }

    /**
     * @return the highest record in-sync slaves acknowledged, or -1.
     */
    public long replicated()
    {
        return buffer.getLongVolatile(REPLICATED_OFFSET);
    }

    /**
     * @return {@link #SYNC_FLUSH} and / or {@link #SYNC_MASTER}, or 0.
     */
    public long policy()
    {
        return buffer.getLongVolatile(POLICY_OFFSET);
    }

    /**
     * The last record that is durable under the broker's policy: a SEND_OK for it could have been sent. Under
     * neither flag every stored record is, and this is {@link Long#MAX_VALUE}.
     *
     * @return the index, or -1 if none is yet.
     */
    public long committed()
    {
        final long policy = policy();
        long limit = Long.MAX_VALUE;
        if ((policy & SYNC_FLUSH) != 0)
        {
            limit = Math.min(limit, flushed());
        }
        if ((policy & SYNC_MASTER) != 0)
        {
            limit = Math.min(limit, replicated());
        }
        return limit;
    }

    /**
     * Unmap the file.
     */
    public void close()
    {
        IoUtil.unmap(mapped);
    }

    static
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new ExceptionInInitializerError("watermarks are laid out little-endian, for the hosts Peregrine runs on");
        }
    }
}
