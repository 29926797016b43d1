package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * Exclusive lock on a store, held for the broker's life. The lock file records the owner's pid and
 * aeron directory, so the next broker can tell whether leftovers of a dead owner may be cleared.
 */
final class StoreLock implements AutoCloseable
{
    static final String FILE_NAME = "broker.lock";

    private final FileChannel channel;
    private final FileLock lock;
    private final long previousPid;
    private final String previousAeronDir;

    private StoreLock(final FileChannel channel, final FileLock lock, final long previousPid, final String previousAeronDir)
    {
        this.channel = channel;
        this.lock = lock;
        this.previousPid = previousPid;
        this.previousAeronDir = previousAeronDir;
    }

    /**
     * Take the lock or fail with a message naming the store and its owner.
     *
     * @param storeDir store root, created if missing.
     * @param aeronDir the aeron directory this broker will use.
     * @return the held lock.
     */
    static StoreLock acquire(final File storeDir, final String aeronDir)
    {
        return acquire(storeDir, aeronDir, true);
    }

    /**
     * Take the lock for a tool that changes a stopped broker's store, leaving the owner it names as it was (the next
     * broker still learns whether the last one's leftovers may be cleared).
     *
     * @param storeDir store root.
     * @return the held lock.
     */
    static StoreLock acquireForTool(final File storeDir)
    {
        return acquire(storeDir, null, false);
    }

    private static StoreLock acquire(final File storeDir, final String aeronDir, final boolean recordOwner)
    {
        if (!storeDir.isDirectory() && !storeDir.mkdirs())
        {
            throw new IllegalStateException("cannot create store directory " + storeDir);
        }
        final File file = new File(storeDir, FILE_NAME);
        FileChannel channel = null;
        try
        {
            channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try
            {
                lock = channel.tryLock();
            }
            catch (final OverlappingFileLockException ex)
            {
                lock = null; // held by another broker in this JVM
            }
            final Properties previous = read(channel);
            if (null == lock)
            {
                throw new IllegalStateException("store " + storeDir + " is locked by another broker (pid " +
                    previous.getProperty("pid", "unknown") + ")");
            }
            final long previousPid = Long.parseLong(previous.getProperty("pid", "-1"));
            final String previousAeronDir = previous.getProperty("aeronDir", "");
            if (recordOwner)
            {
                final byte[] owner = ("pid=" + ProcessHandle.current().pid() + "\naeronDir=" + aeronDir + "\n")
                    .getBytes(StandardCharsets.UTF_8);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(owner), 0);
                channel.force(true);
            }
            return new StoreLock(channel, lock, previousPid, previousAeronDir);
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock store " + storeDir + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(channel);
            throw ex;
        }
    }

    private static Properties read(final FileChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate((int)Math.min(4096, channel.size()));
        channel.read(buffer, 0);
        final Properties properties = new Properties();
        properties.load(new java.io.StringReader(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)));
        return properties;
    }

    private static void closeQuietly(final FileChannel channel)
    {
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // nothing more to do
            }
        }
    }

    /**
     * Whether the previous owner of this store used the given aeron directory and is no longer alive,
     * so its driver files may be deleted at once instead of waiting out Aeron's driver timeout.
     *
     * @param aeronDir the directory this broker will use.
     * @return true if the directory was the dead previous owner's.
     */
    boolean previousOwnerDeadWith(final String aeronDir)
    {
        return previousPid > 0 && aeronDir.equals(previousAeronDir) &&
            ProcessHandle.of(previousPid).map((p) -> !p.isAlive()).orElse(true);
    }

    public void close()
    {
        try
        {
            lock.release();
        }
        catch (final IOException ignore)
        {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }
}
