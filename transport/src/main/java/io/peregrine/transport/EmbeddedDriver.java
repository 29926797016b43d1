package io.peregrine.transport;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.UUID;
import java.util.function.Consumer;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.IoUtil;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Launches an embedded Aeron media driver the way Peregrine needs it: one shared thread with the
 * configured idle strategy, never the driver's default of dedicated threads parking up to 1 ms. Its async executor
 * sleeps {@link IdleStrategies#QUIET_PARK_NS} between empty polls instead of Aeron's 1 ms: it wakes a thousand times a
 * second otherwise, and on a small host each wake-up takes a core from a thread that carries a message. The executor
 * runs part of adding a network publication, subscription or destination (resolving its endpoint), and the driver
 * takes no other client command until that is done, so each such add may take up to that long more: a broker's start,
 * a producer's connection, the broker's answer stream to a new producer or consumer.
 */
public final class EmbeddedDriver
{
    private EmbeddedDriver()
    {
    }

    /**
     * Launch a media driver in a directory of its own with a generated name ({@code <aeron dir>-<uuid>}, as
     * {@link CommonContext#generateRandomDirName()} makes), first removing the directories such drivers left when
     * their process died without closing them (see {@link #removeDeadGeneratedDirectories}).
     *
     * @param idleStrategy name of the idle strategy, see {@link IdleStrategies}.
     * @return the running driver.
     */
    public static MediaDriver launchInNewDirectory(final String idleStrategy)
    {
        final File defaultDir = new File(CommonContext.getAeronDirectoryName());
        removeDeadGeneratedDirectories(defaultDir.getParentFile(), defaultDir.getName() + "-", CommonContext.DEFAULT_DRIVER_TIMEOUT_MS);
        return launch(CommonContext.generateRandomDirName(), idleStrategy, true);
    }

    /**
     * Remove the directories of embedded drivers whose process died without closing them. A driver closed normally
     * deletes its directory; one killed (kill -9, a crash, a test that destroys the process) leaves its CnC file and
     * log buffers, tens of MiB in {@code /dev/shm} (memory) each time. A directory goes only if its name is the
     * prefix and a UUID, its CnC file names a process that no longer exists, and the driver's heartbeat in it is older
     * than the timeout; anything else is left alone (a directory without a CnC file may be a driver starting now).
     * A driver in another PID namespace sharing the parent would look dead by its process id, but not by its
     * heartbeat while it lives.
     *
     * @param parent    directory holding generated driver directories.
     * @param prefix    what their names start with before the UUID.
     * @param timeoutMs how old a heartbeat must be for its driver to count as gone.
     * @return how many directories were removed.
     */
    public static int removeDeadGeneratedDirectories(final File parent, final String prefix, final long timeoutMs)
    {
        final File[] candidates = null == parent ? null : parent.listFiles((dir, name) -> isGeneratedName(name, prefix));
        int removed = 0;
        for (final File dir : null == candidates ? new File[0] : candidates)
        {
            final File cnc = new File(dir, CncFileDescriptor.CNC_FILE);
            if (dir.isDirectory() && cnc.isFile() && !isProcessAlive(driverPid(cnc)) &&
                !CommonContext.isDriverActive(dir, timeoutMs, (message) -> { }))
            {
                IoUtil.delete(dir, true);
                removed += dir.exists() ? 0 : 1;
            }
        }
        return removed;
    }

    private static boolean isGeneratedName(final String name, final String prefix)
    {
        if (!name.startsWith(prefix))
        {
            return false;
        }
        try
        {
            final String uuid = name.substring(prefix.length());
            return UUID.fromString(uuid).toString().equals(uuid);
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    /**
     * @return the process id a CnC file names, or -1 if it cannot be read (counts as alive: nothing is removed).
     */
    static long driverPid(final File cnc)
    {
        try
        {
            final MappedByteBuffer mapped = IoUtil.mapExistingFile(cnc, "cnc");
            try
            {
                final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(mapped);
                final int version = metaData.getIntVolatile(CncFileDescriptor.cncVersionOffset(0));
                return version == CncFileDescriptor.CNC_VERSION ? metaData.getLong(CncFileDescriptor.pidOffset(0)) : -1;
            }
            finally
            {
                IoUtil.unmap(mapped);
            }
        }
        catch (final RuntimeException ex)
        {
            return -1;
        }
    }

    private static boolean isProcessAlive(final long pid)
    {
        return pid <= 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Launch a media driver in SHARED threading mode.
     *
     * @param aeronDir         directory of the driver's CnC and log buffers.
     * @param idleStrategy     name of the idle strategy, see {@link IdleStrategies}.
     * @param dirDeleteOnStart delete an existing directory first (only when it belongs to no live driver).
     * @return the running driver.
     */
    public static MediaDriver launch(final String aeronDir, final String idleStrategy, final boolean dirDeleteOnStart)
    {
        return launch(aeronDir, idleStrategy, dirDeleteOnStart, (ctx) -> { });
    }

    /**
     * Launch a media driver in SHARED threading mode, with a last say on its context (tests that make loss use it).
     *
     * @param aeronDir         directory of the driver's CnC and log buffers.
     * @param idleStrategy     name of the idle strategy, see {@link IdleStrategies}.
     * @param dirDeleteOnStart delete an existing directory first (only when it belongs to no live driver).
     * @param customizer       given the context just before the launch.
     * @return the running driver.
     */
    public static MediaDriver launch(
        final String aeronDir, final String idleStrategy, final boolean dirDeleteOnStart, final Consumer<MediaDriver.Context> customizer)
    {
        final MediaDriver.Context ctx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(IdleStrategies.create(idleStrategy))
            .asyncExecutorIdleStrategy(new SleepingIdleStrategy(IdleStrategies.QUIET_PARK_NS))
            .dirDeleteOnStart(dirDeleteOnStart)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .socketRcvbufLength(2 * 1024 * 1024)
            .socketSndbufLength(2 * 1024 * 1024)
            .initialWindowLength(2 * 1024 * 1024)
            .warnIfDirectoryExists(false);
        customizer.accept(ctx);
        return MediaDriver.launchEmbedded(ctx);
    }
}
