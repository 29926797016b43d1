package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.peregrine.journal.Journal;
import io.peregrine.transport.IdleStrategies;
import io.peregrine.transport.Sizing;
import org.agrona.SystemUtil;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Broker configuration. Keys that mean what they mean in RocketMQ carry RocketMQ's names. Values come
 * from defaults, then a properties file, then {@code --set KEY=VALUE}; {@link #conclude()} checks them
 * all once and fails with a message naming the key and value.
 */
public final class BrokerContext
{
    /** Replication role: only ASYNC_MASTER is implemented so far. */
    public static final String BROKER_ROLE = "brokerRole";
    /** Flush policy: ASYNC_FLUSH (SEND_OK once appended, flushed every flushIntervalCommitLog) or SYNC_FLUSH. */
    public static final String FLUSH_DISK_TYPE = "flushDiskType";
    /** Deadline in ms for a flush or a slave ack; also caps how long a send waits. */
    public static final String SYNC_FLUSH_TIMEOUT = "syncFlushTimeout";
    /** Root directory of the store (journal, lock). */
    public static final String STORE_PATH_ROOT_DIR = "storePathRootDir";
    /** Largest message body accepted, in bytes. */
    public static final String MAX_MESSAGE_SIZE = "maxMessageSize";
    /** Aeron channel producers send to; UDP on loopback by default. Port 0 picks a free port. */
    public static final String LISTEN_CHANNEL = "listenChannel";
    /** Whether the broker also listens on IPC for producers sharing its media driver. */
    public static final String IPC_ENABLED = "ipcEnabled";
    /** Directory of the broker's embedded media driver. */
    public static final String AERON_DIR = "aeronDir";
    /** Idle strategy of the broker's threads and media driver. */
    public static final String IDLE_STRATEGY = "idleStrategy";
    /** Most producers connected at once. */
    public static final String MAX_PRODUCERS = "maxProducers";
    /** Silence in ms after which a producer is dropped. */
    public static final String PRODUCER_LIVENESS_TIMEOUT = "producerLivenessTimeout";
    /** ASYNC_FLUSH: ms between background flushes. */
    public static final String FLUSH_INTERVAL_COMMIT_LOG = "flushIntervalCommitLog";
    /** Hours a rolled journal file is kept; older ones are deleted by housekeeping. */
    public static final String FILE_RESERVED_TIME = "fileReservedTime";
    /** Free bytes the store's filesystem must keep; below it sends are refused (STORE_FULL) until space is back. */
    public static final String DISK_SPACE_FLOOR = "diskSpaceFloor";
    /** Touch journal pages ahead of the writer so page faults stay off the send path. */
    public static final String PRETOUCH = "pretouch";
    /** Chronicle roll cycle of the journal: one file per cycle (FAST_DAILY, FAST_HOURLY, ...). */
    public static final String ROLL_CYCLE = "rollCycle";
    /** Memory for duplicate detection: 64 KiB per producer remembered, at least one per maxProducers. */
    public static final String PRODUCER_HISTORY_MEMORY = "producerHistoryMemory";

    /** Default UDP endpoint on loopback. */
    public static final String LISTEN_CHANNEL_DEFAULT = "aeron:udp?endpoint=127.0.0.1:40456";
    /** Default body limit, 4 MiB. */
    public static final int MAX_MESSAGE_SIZE_DEFAULT = 4 * 1024 * 1024;
    /** Default flush / slave ack deadline. */
    public static final long SYNC_FLUSH_TIMEOUT_DEFAULT = 5000;
    /** Default producer cap. */
    public static final int MAX_PRODUCERS_DEFAULT = 1024;
    /** Default producer liveness timeout. */
    public static final long PRODUCER_LIVENESS_TIMEOUT_DEFAULT = 10_000;

    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static
    {
        DEFAULTS.put(BROKER_ROLE, "ASYNC_MASTER");
        DEFAULTS.put(FLUSH_DISK_TYPE, "ASYNC_FLUSH");
        DEFAULTS.put(SYNC_FLUSH_TIMEOUT, Long.toString(SYNC_FLUSH_TIMEOUT_DEFAULT));
        DEFAULTS.put(STORE_PATH_ROOT_DIR, new File(System.getProperties().getProperty("user.home"), "peregrine/store").getPath());
        DEFAULTS.put(MAX_MESSAGE_SIZE, Integer.toString(MAX_MESSAGE_SIZE_DEFAULT));
        DEFAULTS.put(LISTEN_CHANNEL, LISTEN_CHANNEL_DEFAULT);
        DEFAULTS.put(IPC_ENABLED, "true");
        DEFAULTS.put(AERON_DIR, CommonContext.getAeronDirectoryName() + "-peregrine-broker");
        DEFAULTS.put(IDLE_STRATEGY, IdleStrategies.DEFAULT);
        DEFAULTS.put(MAX_PRODUCERS, Integer.toString(MAX_PRODUCERS_DEFAULT));
        DEFAULTS.put(PRODUCER_LIVENESS_TIMEOUT, Long.toString(PRODUCER_LIVENESS_TIMEOUT_DEFAULT));
        DEFAULTS.put(FLUSH_INTERVAL_COMMIT_LOG, "500");
        DEFAULTS.put(FILE_RESERVED_TIME, "72");
        DEFAULTS.put(ROLL_CYCLE, Journal.DEFAULT_ROLL_CYCLE);
        DEFAULTS.put(DISK_SPACE_FLOOR, "512m");
        DEFAULTS.put(PRETOUCH, "true");
        DEFAULTS.put(PRODUCER_HISTORY_MEMORY, "128m");
    }

    private final Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private EpochClock epochClock = SystemEpochClock.INSTANCE;
    private Consumer<String> readyListener = (line) -> { };
    private boolean concluded;

    private File storeDir;
    private int maxMessageSize;
    private long syncFlushTimeoutMs;
    private long producerLivenessTimeoutMs;
    private int maxProducers;
    private boolean ipcEnabled;
    private boolean syncFlush;
    private long flushIntervalMs;
    private long fileReservedTimeMs;
    private long diskSpaceFloor;
    private boolean pretouch;
    private int producerHistories;
    private LongSupplier usableSpace;
    private FlushListener flushListener = FlushListener.NONE;

    /**
     * Read a properties file on top of the current values.
     *
     * @param file to read.
     * @return this.
     */
    public BrokerContext load(final Path file)
    {
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file))
        {
            properties.load(in);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read config file " + file + ": " + ex.getMessage(), ex);
        }
        for (final String key : properties.stringPropertyNames())
        {
            set(key, properties.getProperty(key).trim());
        }
        return this;
    }

    /**
     * @return every key with its default value as text, in the order the documentation lists them.
     */
    public static Map<String, String> defaults()
    {
        return Collections.unmodifiableMap(DEFAULTS);
    }

    /**
     * Set one key.
     *
     * @param key   a known key.
     * @param value its value as text.
     * @return this.
     * @throws IllegalArgumentException if the key is unknown.
     */
    public BrokerContext set(final String key, final String value)
    {
        if (!DEFAULTS.containsKey(key))
        {
            throw new IllegalArgumentException("unknown key " + key + "=" + value + "; known keys: " + String.join(", ", DEFAULTS.keySet()));
        }
        values.put(key, value);
        return this;
    }

    /**
     * Set one key from {@code KEY=VALUE}.
     *
     * @param assignment text.
     * @return this.
     */
    public BrokerContext set(final String assignment)
    {
        final int eq = assignment.indexOf('=');
        if (eq <= 0)
        {
            throw new IllegalArgumentException("expected KEY=VALUE, got '" + assignment + "'");
        }
        return set(assignment.substring(0, eq).trim(), assignment.substring(eq + 1).trim());
    }

    /**
     * @param key a known key.
     * @return its current value as text.
     */
    public String get(final String key)
    {
        return values.get(key);
    }

    /**
     * Validate every key and derive sizes.
     *
     * @return this.
     * @throws IllegalArgumentException naming the key and value that are wrong.
     */
    public BrokerContext conclude()
    {
        if (concluded)
        {
            throw new IllegalStateException("BrokerContext already concluded");
        }
        final String role = get(BROKER_ROLE);
        if (!role.equals("ASYNC_MASTER"))
        {
            throw invalid(BROKER_ROLE, role.equals("SYNC_MASTER") || role.equals("SLAVE") ?
                "not implemented yet; only ASYNC_MASTER is supported" : "must be ASYNC_MASTER, SYNC_MASTER or SLAVE");
        }
        final String flush = get(FLUSH_DISK_TYPE);
        if (!flush.equals("ASYNC_FLUSH") && !flush.equals("SYNC_FLUSH"))
        {
            throw invalid(FLUSH_DISK_TYPE, "must be ASYNC_FLUSH or SYNC_FLUSH");
        }
        syncFlush = flush.equals("SYNC_FLUSH");
        flushIntervalMs = parseLong(FLUSH_INTERVAL_COMMIT_LOG, 1, 3_600_000);
        fileReservedTimeMs = TimeUnit.HOURS.toMillis(parseLong(FILE_RESERVED_TIME, 1, 100_000));
        try
        {
            diskSpaceFloor = SystemUtil.parseSize(DISK_SPACE_FLOOR, get(DISK_SPACE_FLOOR));
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(DISK_SPACE_FLOOR, "not a size (for example 512m, 2g)");
        }
        if (diskSpaceFloor < 0)
        {
            throw invalid(DISK_SPACE_FLOOR, "must not be negative");
        }
        final String rollCycleError = Journal.validateRollCycle(get(ROLL_CYCLE));
        if (null != rollCycleError)
        {
            throw invalid(ROLL_CYCLE, rollCycleError);
        }
        syncFlushTimeoutMs = parseLong(SYNC_FLUSH_TIMEOUT, 1, 3_600_000);
        maxMessageSize = (int)parseLong(MAX_MESSAGE_SIZE, 1, Integer.MAX_VALUE);
        try
        {
            Sizing.termLength(maxMessageSize);
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalid(MAX_MESSAGE_SIZE, ex.getMessage());
        }
        maxProducers = (int)parseLong(MAX_PRODUCERS, 1, 65_536);
        final long historyMemory;
        try
        {
            historyMemory = SystemUtil.parseSize(PRODUCER_HISTORY_MEMORY, get(PRODUCER_HISTORY_MEMORY));
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(PRODUCER_HISTORY_MEMORY, "not a size (for example 128m, 1g)");
        }
        if (historyMemory / ProducerHistory.BYTES < maxProducers)
        {
            throw invalid(PRODUCER_HISTORY_MEMORY, "must hold the history of each of maxProducers=" + maxProducers + " producers: at least " +
                (long)maxProducers * ProducerHistory.BYTES + " bytes (" + ProducerHistory.BYTES + " each)");
        }
        producerHistories = (int)Math.min(Integer.MAX_VALUE, historyMemory / ProducerHistory.BYTES);
        producerLivenessTimeoutMs = parseLong(PRODUCER_LIVENESS_TIMEOUT, 100, 3_600_000);
        final String ipc = get(IPC_ENABLED);
        if (!ipc.equals("true") && !ipc.equals("false"))
        {
            throw invalid(IPC_ENABLED, "must be true or false");
        }
        ipcEnabled = Boolean.parseBoolean(ipc);
        final String pretouchValue = get(PRETOUCH);
        if (!pretouchValue.equals("true") && !pretouchValue.equals("false"))
        {
            throw invalid(PRETOUCH, "must be true or false");
        }
        pretouch = Boolean.parseBoolean(pretouchValue);
        final String channel = get(LISTEN_CHANNEL);
        try
        {
            final ChannelUri uri = ChannelUri.parse(channel);
            if (!uri.isUdp() || null == uri.get(CommonContext.ENDPOINT_PARAM_NAME))
            {
                throw invalid(LISTEN_CHANNEL, "must be a UDP channel with an endpoint, e.g. " + LISTEN_CHANNEL_DEFAULT);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw ex.getMessage().startsWith(LISTEN_CHANNEL) ? ex : invalid(LISTEN_CHANNEL, ex.getMessage());
        }
        try
        {
            IdleStrategies.create(get(IDLE_STRATEGY));
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalid(IDLE_STRATEGY, ex.getMessage());
        }
        if (get(AERON_DIR).isEmpty())
        {
            throw invalid(AERON_DIR, "must not be empty");
        }
        if (get(STORE_PATH_ROOT_DIR).isEmpty())
        {
            throw invalid(STORE_PATH_ROOT_DIR, "must not be empty");
        }
        storeDir = new File(get(STORE_PATH_ROOT_DIR)).getAbsoluteFile();
        concluded = true;
        return this;
    }

    /**
     * @return whether {@link #conclude()} has run.
     */
    public boolean isConcluded()
    {
        return concluded;
    }

    private long parseLong(final String key, final long min, final long max)
    {
        final String value = get(key);
        final long parsed;
        try
        {
            parsed = Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(key, "not a whole number");
        }
        if (parsed < min || parsed > max)
        {
            throw invalid(key, "must be between " + min + " and " + max);
        }
        return parsed;
    }

    private IllegalArgumentException invalid(final String key, final String reason)
    {
        return new IllegalArgumentException(key + "=" + get(key) + ": " + reason);
    }

    /**
     * @return root directory of the store.
     */
    public File storeDir()
    {
        return storeDir;
    }

    /**
     * @return directory of the journal inside the store.
     */
    public File journalDir()
    {
        return new File(storeDir, "journal");
    }

    /**
     * @return true for SYNC_FLUSH: SEND_OK only once the record is on disk.
     */
    public boolean syncFlush()
    {
        return syncFlush;
    }

    /**
     * @return ms between ASYNC_FLUSH background flushes.
     */
    public long flushIntervalMs()
    {
        return flushIntervalMs;
    }

    /**
     * @return how long rolled journal files are kept, in ms.
     */
    public long fileReservedTimeMs()
    {
        return fileReservedTimeMs;
    }

    /**
     * @return whether journal pages are touched ahead of the writer.
     */
    public boolean pretouch()
    {
        return pretouch;
    }

    /**
     * @return free bytes the store's filesystem must keep.
     */
    public long diskSpaceFloor()
    {
        return diskSpaceFloor;
    }

    /**
     * @param usableSpace tells the free bytes of the store's filesystem (tests replace the real one).
     * @return this.
     */
    public BrokerContext usableSpace(final LongSupplier usableSpace)
    {
        this.usableSpace = usableSpace;
        return this;
    }

    /**
     * @return the free-space probe: the store directory's usable space unless replaced.
     */
    public LongSupplier usableSpace()
    {
        return null != usableSpace ? usableSpace : storeDir::getUsableSpace;
    }

    /**
     * @return the journal's roll cycle name.
     */
    public String rollCycle()
    {
        return get(ROLL_CYCLE);
    }

    /**
     * @param flushListener told around each journal flush (instrumentation, tests).
     * @return this.
     */
    public BrokerContext flushListener(final FlushListener flushListener)
    {
        this.flushListener = flushListener;
        return this;
    }

    /**
     * @return the flush listener.
     */
    public FlushListener flushListener()
    {
        return flushListener;
    }

    /**
     * @return largest body accepted.
     */
    public int maxMessageSize()
    {
        return maxMessageSize;
    }

    /**
     * @return flush / slave-ack deadline in ms.
     */
    public long syncFlushTimeoutMs()
    {
        return syncFlushTimeoutMs;
    }

    /**
     * @return producer liveness timeout in ms.
     */
    public long producerLivenessTimeoutMs()
    {
        return producerLivenessTimeoutMs;
    }

    /**
     * @return heartbeat interval producers are asked to keep.
     */
    public int heartbeatIntervalMs()
    {
        // at most 2 s: the keepalive is also how a restarted broker relearns its producers
        return (int)Math.max(50, Math.min(2000, producerLivenessTimeoutMs / 5));
    }

    /**
     * @return how many producers' duplicate-detection histories the broker keeps (from producerHistoryMemory).
     */
    public int producerHistories()
    {
        return producerHistories;
    }

    /**
     * @return most producers connected at once.
     */
    public int maxProducers()
    {
        return maxProducers;
    }

    /**
     * @return whether the broker listens on IPC as well.
     */
    public boolean ipcEnabled()
    {
        return ipcEnabled;
    }

    /**
     * @return the configured UDP listen channel.
     */
    public String listenChannel()
    {
        return get(LISTEN_CHANNEL);
    }

    /**
     * @return directory of the embedded media driver.
     */
    public String aeronDir()
    {
        return get(AERON_DIR);
    }

    /**
     * @return idle strategy name.
     */
    public String idleStrategy()
    {
        return get(IDLE_STRATEGY);
    }

    /**
     * @param nanoClock for deadlines; tests inject their own.
     * @return this.
     */
    public BrokerContext nanoClock(final NanoClock nanoClock)
    {
        this.nanoClock = nanoClock;
        return this;
    }

    /**
     * @return clock for deadlines.
     */
    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    /**
     * @param epochClock for timestamps and liveness; tests inject their own.
     * @return this.
     */
    public BrokerContext epochClock(final EpochClock epochClock)
    {
        this.epochClock = epochClock;
        return this;
    }

    /**
     * @return clock for timestamps and liveness.
     */
    public EpochClock epochClock()
    {
        return epochClock;
    }

    /**
     * @param readyListener called once with the READY line when the broker accepts sends.
     * @return this.
     */
    public BrokerContext readyListener(final Consumer<String> readyListener)
    {
        this.readyListener = readyListener;
        return this;
    }

    /**
     * @return the READY listener.
     */
    public Consumer<String> readyListener()
    {
        return readyListener;
    }
}
