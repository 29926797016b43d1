package io.peregrine.transport;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Aeron clients shared by the producers and consumers of one JVM, counted by reference: those joining the same
 * driver share one client, and those without a driver of their own share one embedded driver.
 */
public final class SharedAeron
{
    private static final String EMBEDDED_KEY = "<embedded>";

    /**
     * How soon a client notices its driver is gone (Aeron's default is 10 s). Over IPC the driver is the
     * broker's, so this is how soon a producer or consumer starts reconnecting after the broker dies.
     */
    public static final long DRIVER_TIMEOUT_MS = 3000;

    /**
     * How long a closing client keeps its log buffers mapped after marking its publications and images closed
     * (Aeron's default is 0). When the driver dies the client closes itself on its own thread, while an application
     * thread may be inside {@code offer} on a publication or a blocked sender inside {@code controlledPoll} on an
     * image: both checked the stream was open a moment before, and must not touch unmapped memory. The wait is paid
     * once when the last producer on a client closes.
     */
    public static final long CLOSE_LINGER_MS = 100;
    private static final Map<String, SharedAeron> CLIENTS = new HashMap<>();

    private final String key;
    private final MediaDriver driver;
    private final Aeron aeron;
    private int references;

    private SharedAeron(final String key, final MediaDriver driver, final Aeron aeron)
    {
        this.key = key;
        this.driver = driver;
        this.aeron = aeron;
    }

    /**
     * Get (or create) the shared client for a driver directory, or for the embedded driver if null.
     *
     * @param aeronDir     directory of a running driver, or null for the shared embedded one.
     * @param idleStrategy of an embedded driver.
     * @param errorHandler for the client's conductor.
     * @return the shared client, with one more reference.
     */
    public static SharedAeron acquire(final String aeronDir, final String idleStrategy, final ErrorHandler errorHandler)
    {
        final String key = null == aeronDir ? EMBEDDED_KEY : aeronDir;
        synchronized (CLIENTS)
        {
            final SharedAeron shared = shareOpen(key);
            if (null != shared)
            {
                return shared;
            }
        }
        // connecting can take up to the driver timeout: not under the lock, which release() and other clients take
        MediaDriver driver = null;
        final Aeron aeron;
        try
        {
            String dir = aeronDir;
            if (null == aeronDir)
            {
                driver = EmbeddedDriver.launchInNewDirectory(idleStrategy);
                dir = driver.aeronDirectoryName();
            }
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(dir)
                .driverTimeoutMs(DRIVER_TIMEOUT_MS)
                .closeLingerDurationNs(TimeUnit.MILLISECONDS.toNanos(CLOSE_LINGER_MS))
                .errorHandler(errorHandler)
                .subscriberErrorHandler(errorHandler));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(driver);
            throw ex;
        }
        final SharedAeron joined;
        synchronized (CLIENTS)
        {
            joined = shareOpen(key); // another thread connected meanwhile: share its client, let this one go
            if (null == joined)
            {
                final SharedAeron made = new SharedAeron(key, driver, aeron);
                made.references = 1;
                CLIENTS.put(key, made);
                return made;
            }
        }
        CloseHelper.closeAll(aeron, driver);
        return joined;
    }

    /**
     * Under the lock: the open client for this key with one more reference, or null if there is none.
     */
    private static SharedAeron shareOpen(final String key)
    {
        final SharedAeron shared = CLIENTS.get(key);
        if (null == shared || shared.aeron.isClosed())
        {
            return null;
        }
        shared.references++;
        return shared;
    }

    /**
     * Is a media driver up in this directory, and past its start? Unlike Aeron's own check this never waits: a driver
     * still writing its CnC file, or one whose directory is being made or removed, is not up yet.
     *
     * @param aeronDir the driver's directory.
     * @return true if its CnC file is complete and its heartbeat is within {@link #DRIVER_TIMEOUT_MS}.
     */
    public static boolean isDriverUp(final String aeronDir)
    {
        final File cnc = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cnc.exists() || cnc.length() <= CncFileDescriptor.END_OF_METADATA_OFFSET)
        {
            return false;
        }
        MappedByteBuffer buffer = null;
        try
        {
            buffer = IoUtil.mapExistingFile(cnc, "CnC file");
            final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(buffer);
            return 0 != metaData.getIntVolatile(CncFileDescriptor.cncVersionOffset(0)) &&
                CommonContext.isDriverActive(DRIVER_TIMEOUT_MS, (text) -> { }, buffer); // the version is set: no wait
        }
        catch (final Exception ex)
        {
            return false; // made or removed under us, or another version's file
        }
        finally
        {
            if (null != buffer)
            {
                BufferUtil.free(buffer);
            }
        }
    }

    /**
     * @return the client.
     */
    public Aeron aeron()
    {
        return aeron;
    }

    /**
     * Drop one reference; the last closes the client and any embedded driver.
     */
    public void release()
    {
        synchronized (CLIENTS)
        {
            if (--references == 0)
            {
                CLIENTS.remove(key, this);
                CloseHelper.closeAll(aeron, driver);
            }
        }
    }
}
