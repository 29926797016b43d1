package io.peregrine.transport;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;

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
            SharedAeron shared = CLIENTS.get(key);
            if (null == shared || shared.aeron.isClosed())
            {
                MediaDriver driver = null;
                String dir = aeronDir;
                if (null == aeronDir)
                {
                    driver = EmbeddedDriver.launchInNewDirectory(idleStrategy);
                    dir = driver.aeronDirectoryName();
                }
                try
                {
                    final Aeron aeron = Aeron.connect(new Aeron.Context()
                        .aeronDirectoryName(dir)
                        .driverTimeoutMs(DRIVER_TIMEOUT_MS)
                        .closeLingerDurationNs(TimeUnit.MILLISECONDS.toNanos(CLOSE_LINGER_MS))
                        .errorHandler(errorHandler)
                        .subscriberErrorHandler(errorHandler));
                    shared = new SharedAeron(key, driver, aeron);
                }
                catch (final RuntimeException ex)
                {
                    CloseHelper.quietClose(driver);
                    throw ex;
                }
                CLIENTS.put(key, shared);
            }
            shared.references++;
            return shared;
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
