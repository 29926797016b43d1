package io.peregrine.transport;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;

/**
 * Launches an embedded Aeron media driver the way Peregrine needs it: one shared thread with the
 * configured idle strategy, never the driver's default of dedicated threads parking up to 1 ms.
 */
public final class EmbeddedDriver
{
    private EmbeddedDriver()
    {
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
        final MediaDriver.Context ctx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(IdleStrategies.create(idleStrategy))
            .dirDeleteOnStart(dirDeleteOnStart)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .socketRcvbufLength(2 * 1024 * 1024)
            .socketSndbufLength(2 * 1024 * 1024)
            .initialWindowLength(2 * 1024 * 1024)
            .warnIfDirectoryExists(false);
        return MediaDriver.launchEmbedded(ctx);
    }
}
