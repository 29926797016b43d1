package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.aeron.ChannelUri;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.peregrine.journal.Journal;
import io.peregrine.journal.PageCacheReleaser;
import io.peregrine.transport.IdleStrategies;
import io.peregrine.transport.Sizing;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Broker configuration. Keys that mean what they mean in RocketMQ carry RocketMQ's names. Values come
 * from defaults, then a properties file, then {@code --set KEY=VALUE}; {@link #conclude()} checks them
 * all once and fails with a message naming the key and value. Each key is described once, as a {@link Setting}
 * (default, meaning, parsing); the getters read the parsed values.
 */
public final class BrokerContext
{
    /** Name of the journal's directory in the store. */
    public static final String JOURNAL_DIR_NAME = "journal";
    /** Replication role: ASYNC_MASTER, SYNC_MASTER (SEND_OK once a slave has the record) or SLAVE (copies a master). */
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
    /** Flushed journal bytes kept in the page cache behind the writer; what lies further behind is released. */
    public static final String PAGE_CACHE_WINDOW = "pageCacheWindow";
    /** Chronicle roll cycle of the journal: one file per cycle (FAST_DAILY, FAST_HOURLY, ...). */
    public static final String ROLL_CYCLE = "rollCycle";
    /** Memory for duplicate detection: 64 KiB per producer remembered, at least one per maxProducers. */
    public static final String PRODUCER_HISTORY_MEMORY = "producerHistoryMemory";

    /** Master: Aeron UDP channel slaves send their hellos and acks to. */
    public static final String HA_LISTEN_CHANNEL = "haListenChannel";
    /** Slave: the master's haListenChannel. */
    public static final String HA_MASTER_CHANNEL = "haMasterChannel";
    /** Slave: UDP channel it takes the master's records on (port 0 picks one; its host:port goes to the master in the hello). */
    public static final String HA_SLAVE_CHANNEL = "haSlaveChannel";
    /** Master: a slave further behind than this many bytes of records is not in sync. */
    public static final String HA_SLAVE_FALLBEHIND_MAX = "haSlaveFallbehindMax";
    /** Master: a slave that has not caught up with the master's end within this many ms is not in sync. */
    public static final String HA_SLAVE_LAG_TIME = "haSlaveLagTime";
    /** Both: ms of silence after which the other side counts as gone. */
    public static final String HA_LIVENESS_TIMEOUT = "haLivenessTimeout";
    /** SYNC_MASTER: what a slave's ack must report before SEND_OK: WRITTEN (in the slave's page cache) or FLUSHED (its fsync returned). */
    public static final String SLAVE_ACK_POLICY = "slaveAckPolicy";
    /** Slave: cut its journal back by itself when its master finds it diverged (true), or refuse and name the command (false). */
    public static final String HA_SLAVE_AUTO_CUT = "haSlaveAutoCut";

    /** Default replication endpoint of a master, and the master a slave follows, on loopback. */
    public static final String HA_LISTEN_CHANNEL_DEFAULT = "aeron:udp?endpoint=127.0.0.1:40457";
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

    // every setting once: key, default, meaning, parsing; in the order the documentation lists them
    private static final Setting<String> ROLE = Setting.oneOf(BROKER_ROLE, "ASYNC_MASTER",
        "ASYNC_MASTER: SEND_OK without waiting for slaves; SYNC_MASTER: once an in-sync slave acked it; SLAVE: copies haMasterChannel",
        "ASYNC_MASTER", "SYNC_MASTER", "SLAVE");
    private static final Setting<String> FLUSH = Setting.oneOf(FLUSH_DISK_TYPE, "ASYNC_FLUSH",
        "ASYNC_FLUSH: SEND_OK once appended; SYNC_FLUSH: once the fsync covering it returned", "ASYNC_FLUSH", "SYNC_FLUSH");
    private static final Setting<Long> FLUSH_TIMEOUT = Setting.whole(SYNC_FLUSH_TIMEOUT, Long.toString(SYNC_FLUSH_TIMEOUT_DEFAULT),
        1, 3_600_000, "ms: deadline for the flush covering a send; caps how long any send waits for its status");
    private static final Setting<String> STORE = Setting.text(STORE_PATH_ROOT_DIR,
        new File(System.getProperties().getProperty("user.home"), "peregrine/store").getPath(),
        "store root: journal/ and the broker.lock", (value) -> null);
    private static final Setting<Long> MESSAGE_SIZE = Setting.whole(MAX_MESSAGE_SIZE, Integer.toString(MAX_MESSAGE_SIZE_DEFAULT),
        1, Integer.MAX_VALUE, "largest body in bytes; larger sends are refused naming size and limit");
    private static final Setting<String> LISTEN = Setting.text(LISTEN_CHANNEL, LISTEN_CHANNEL_DEFAULT,
        "UDP endpoint producers send to (port 0 picks one)", BrokerContext::checkListenChannel);
    private static final Setting<Boolean> IPC = Setting.bool(IPC_ENABLED, "true",
        "also take sends over IPC from producers on the broker's media driver");
    private static final Setting<String> AERON = Setting.text(AERON_DIR, CommonContext.getAeronDirectoryName() + "-peregrine-broker",
        "the broker's embedded media driver (IPC producers join it)", (value) -> null);
    private static final Setting<String> IDLE = Setting.text(IDLE_STRATEGY, IdleStrategies.DEFAULT,
        "backoff, yielding, sleeping, busy-spin or noop", BrokerContext::checkIdleStrategy);
    private static final Setting<Long> PRODUCERS = Setting.whole(MAX_PRODUCERS, Integer.toString(MAX_PRODUCERS_DEFAULT),
        1, 65_536, "producers connected at once; more are refused with a reason");
    private static final Setting<Long> LIVENESS = Setting.whole(PRODUCER_LIVENESS_TIMEOUT, Long.toString(PRODUCER_LIVENESS_TIMEOUT_DEFAULT),
        100, 3_600_000, "ms: a producer silent this long is dropped");
    private static final Setting<Long> FLUSH_INTERVAL = Setting.whole(FLUSH_INTERVAL_COMMIT_LOG, "500",
        1, 3_600_000, "ms: ASYNC_FLUSH time between background flushes");
    private static final Setting<Long> RESERVED_TIME = Setting.whole(FILE_RESERVED_TIME, "72",
        1, 100_000, "hours: journal files of cycles that ended longer ago are deleted");
    private static final Setting<String> ROLL = Setting.text(ROLL_CYCLE, Journal.DEFAULT_ROLL_CYCLE,
        "one journal file per cycle: a Chronicle roll cycle name", Journal::validateRollCycle);
    private static final Setting<Long> SPACE_FLOOR = Setting.size(DISK_SPACE_FLOOR, "512m",
        "below this much free space on the store's filesystem sends are refused with STORE_FULL");
    private static final Setting<Boolean> TOUCH = Setting.bool(PRETOUCH, "true",
        "touch journal pages ahead of the writer so new-page faults stay off the send path");
    private static final Setting<Long> CACHE_WINDOW = Setting.sizeOrOff(PAGE_CACHE_WINDOW, "64m", 2 * PageCacheReleaser.STEP_BYTES,
        "flushed journal pages further than this behind the writer are released from the page cache, so new pages reuse them; 0: never");
    private static final Setting<Long> HISTORY_MEMORY = Setting.size(PRODUCER_HISTORY_MEMORY, "128m",
        "memory for duplicate detection, 64 KiB per producer remembered; must cover maxProducers");

    private static final Setting<String> HA_LISTEN = Setting.text(HA_LISTEN_CHANNEL, HA_LISTEN_CHANNEL_DEFAULT,
        "master: UDP endpoint slaves connect to (port 0 picks one)", BrokerContext::checkListenChannel);
    private static final Setting<String> HA_MASTER = Setting.text(HA_MASTER_CHANNEL, HA_LISTEN_CHANNEL_DEFAULT,
        "slave: the master's haListenChannel", BrokerContext::checkListenChannel);
    private static final Setting<String> HA_SLAVE = Setting.text(HA_SLAVE_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0",
        "slave: UDP endpoint it takes records on (port 0 picks one)", BrokerContext::checkListenChannel);
    private static final Setting<Long> FALLBEHIND = Setting.size(HA_SLAVE_FALLBEHIND_MAX, "256m",
        "master: a slave further behind than this many bytes of records is not in sync");
    private static final Setting<Long> LAG_TIME = Setting.whole(HA_SLAVE_LAG_TIME, "5000",
        10, 3_600_000, "ms: master: a slave that has not caught up with the master's end within this long is not in sync");
    private static final Setting<Long> HA_LIVENESS = Setting.whole(HA_LIVENESS_TIMEOUT, "3000",
        100, 3_600_000, "ms: silence after which a slave (or, on a slave, its master) counts as gone");
    private static final Setting<String> ACK_POLICY = Setting.oneOf(SLAVE_ACK_POLICY, "WRITTEN",
        "SYNC_MASTER: SEND_OK once a slave has written the record (WRITTEN: its page cache) or flushed it (FLUSHED: its fsync returned)",
        "WRITTEN", "FLUSHED");
    private static final Setting<Boolean> AUTO_CUT = Setting.bool(HA_SLAVE_AUTO_CUT, "true",
        "slave: when the master finds its journal diverged, cut it back to the last record both hold by itself (what follows is kept in " +
        "journal-diverged/); false: stay refused and log the `journal cut` command to run with the broker stopped");

    private static final Map<String, Setting<?>> SETTINGS = new LinkedHashMap<>();

    static
    {
        for (final Setting<?> setting : List.of(ROLE, FLUSH, FLUSH_TIMEOUT, STORE, MESSAGE_SIZE, LISTEN, IPC, AERON, IDLE, PRODUCERS,
            LIVENESS, FLUSH_INTERVAL, RESERVED_TIME, ROLL, SPACE_FLOOR, TOUCH, CACHE_WINDOW, HISTORY_MEMORY, HA_LISTEN, HA_MASTER, HA_SLAVE,
            FALLBEHIND, LAG_TIME, HA_LIVENESS, ACK_POLICY, AUTO_CUT))
        {
            SETTINGS.put(setting.key, setting);
        }
    }

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<Setting<?>, Object> parsed = new HashMap<>();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private EpochClock epochClock = SystemEpochClock.INSTANCE;
    private Consumer<String> readyListener = (line) -> { };
    private boolean concluded;
    private File storeDir;
    private int producerHistories;
    private LongSupplier usableSpace;
    private FlushListener flushListener = FlushListener.NONE;
    private Consumer<MediaDriver.Context> driverCustomizer = (driver) -> { };

    /**
     * A context with every setting at its default.
     */
    public BrokerContext()
    {
        SETTINGS.forEach((key, setting) -> values.put(key, setting.defaultValue));
    }

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
        final Map<String, String> defaults = new LinkedHashMap<>();
        SETTINGS.forEach((key, setting) -> defaults.put(key, setting.defaultValue));
        return Collections.unmodifiableMap(defaults);
    }

    /**
     * @return every key with what it means, in the order the documentation lists them.
     */
    public static Map<String, String> descriptions()
    {
        final Map<String, String> descriptions = new LinkedHashMap<>();
        SETTINGS.forEach((key, setting) -> descriptions.put(key, setting.description));
        return Collections.unmodifiableMap(descriptions);
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
        if (!SETTINGS.containsKey(key))
        {
            throw new IllegalArgumentException("unknown key " + key + "=" + value + "; known keys: " + String.join(", ", SETTINGS.keySet()));
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
        for (final Setting<?> setting : SETTINGS.values())
        {
            parsed.put(setting, setting.parse(get(setting.key)));
        }
        try
        {
            Sizing.termLength(maxMessageSize());
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalid(MAX_MESSAGE_SIZE, ex.getMessage());
        }
        final long histories = value(HISTORY_MEMORY) / ProducerHistory.BYTES;
        if (histories < maxProducers())
        {
            throw invalid(PRODUCER_HISTORY_MEMORY, "must hold the history of each of maxProducers=" + maxProducers() + " producers: at least " +
                (long)maxProducers() * ProducerHistory.BYTES + " bytes (" + ProducerHistory.BYTES + " each)");
        }
        producerHistories = (int)Math.min(Integer.MAX_VALUE, histories);
        storeDir = new File(value(STORE)).getAbsoluteFile();
        concluded = true;
        return this;
    }

    private static String checkListenChannel(final String channel)
    {
        try
        {
            final ChannelUri uri = ChannelUri.parse(channel);
            return uri.isUdp() && null != uri.get(CommonContext.ENDPOINT_PARAM_NAME) ? null :
                "must be a UDP channel with an endpoint, e.g. " + LISTEN_CHANNEL_DEFAULT;
        }
        catch (final IllegalArgumentException ex)
        {
            return ex.getMessage();
        }
    }

    private static String checkIdleStrategy(final String name)
    {
        try
        {
            IdleStrategies.create(name);
            return null;
        }
        catch (final IllegalArgumentException ex)
        {
            return ex.getMessage();
        }
    }

    /**
     * The parsed value; before {@link #conclude()}, the current text parsed now (tools read defaults that way).
     */
    @SuppressWarnings("unchecked")
    private <T> T value(final Setting<T> setting)
    {
        final Object value = parsed.get(setting);
        return null != value ? (T)value : setting.parse(get(setting.key));
    }

    private IllegalArgumentException invalid(final String key, final String reason)
    {
        return new IllegalArgumentException(key + "=" + get(key) + ": " + reason);
    }

    /**
     * @return whether {@link #conclude()} has run.
     */
    public boolean isConcluded()
    {
        return concluded;
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
        return new File(storeDir, JOURNAL_DIR_NAME);
    }

    /**
     * @return true for SYNC_FLUSH: SEND_OK only once the record is on disk.
     */
    public boolean syncFlush()
    {
        return value(FLUSH).equals("SYNC_FLUSH");
    }

    /**
     * @return ms between ASYNC_FLUSH background flushes.
     */
    public long flushIntervalMs()
    {
        return value(FLUSH_INTERVAL);
    }

    /**
     * @return how long rolled journal files are kept, in ms.
     */
    public long fileReservedTimeMs()
    {
        return TimeUnit.HOURS.toMillis(value(RESERVED_TIME));
    }

    /**
     * @return whether journal pages are touched ahead of the writer.
     */
    public boolean pretouch()
    {
        return value(TOUCH);
    }

    /**
     * @return bytes of flushed journal kept in the page cache behind the writer; 0 if none is ever released.
     */
    public long pageCacheWindow()
    {
        return value(CACHE_WINDOW);
    }

    /**
     * @return free bytes the store's filesystem must keep.
     */
    public long diskSpaceFloor()
    {
        return value(SPACE_FLOOR);
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
        return value(ROLL);
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
     * @param driverCustomizer given the embedded media driver's context just before it launches: for settings the
     *                         broker's keys do not cover, and for tests that make loss on the driver's endpoints.
     * @return this.
     */
    public BrokerContext driverCustomizer(final Consumer<MediaDriver.Context> driverCustomizer)
    {
        this.driverCustomizer = driverCustomizer;
        return this;
    }

    /**
     * @return the media driver customizer.
     */
    public Consumer<MediaDriver.Context> driverCustomizer()
    {
        return driverCustomizer;
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
        return (int)(long)value(MESSAGE_SIZE);
    }

    /**
     * @return true for a SLAVE: it copies its master's journal and refuses producers.
     */
    public boolean slave()
    {
        return value(ROLE).equals("SLAVE");
    }

    /**
     * @return true for a SYNC_MASTER: SEND_OK waits for an in-sync slave's ack.
     */
    public boolean syncMaster()
    {
        return value(ROLE).equals("SYNC_MASTER");
    }

    /**
     * @return the replication role as configured.
     */
    public String brokerRole()
    {
        return value(ROLE);
    }

    /**
     * @return master: the channel slaves connect to.
     */
    public String haListenChannel()
    {
        return value(HA_LISTEN);
    }

    /**
     * @return slave: its master's haListenChannel.
     */
    public String haMasterChannel()
    {
        return value(HA_MASTER);
    }

    /**
     * @return slave: the channel it takes records on.
     */
    public String haSlaveChannel()
    {
        return value(HA_SLAVE);
    }

    /**
     * @return master: most bytes of records an in-sync slave may be behind.
     */
    public long haSlaveFallbehindMax()
    {
        return value(FALLBEHIND);
    }

    /**
     * @return master: ms within which an in-sync slave must have caught up with the master's end.
     */
    public long haSlaveLagTimeMs()
    {
        return value(LAG_TIME);
    }

    /**
     * @return ms of silence after which the other end of a replication link counts as gone.
     */
    public long haLivenessTimeoutMs()
    {
        return value(HA_LIVENESS);
    }

    /**
     * @return ms between replication heartbeats: a tenth of the liveness timeout, at most a second.
     */
    public long haHeartbeatIntervalMs()
    {
        return Math.max(10, Math.min(1000, haLivenessTimeoutMs() / 10));
    }

    /**
     * @return slave: true if it cuts its journal back by itself when its master finds it diverged.
     */
    public boolean haSlaveAutoCut()
    {
        return value(AUTO_CUT);
    }

    /**
     * @return master: true if SEND_OK waits for a slave's flush (slaveAckPolicy=FLUSHED), false for its write.
     */
    public boolean slaveAckFlushed()
    {
        return value(ACK_POLICY).equals("FLUSHED");
    }

    /**
     * @return flush / slave-ack deadline in ms.
     */
    public long syncFlushTimeoutMs()
    {
        return value(FLUSH_TIMEOUT);
    }

    /**
     * @return producer liveness timeout in ms.
     */
    public long producerLivenessTimeoutMs()
    {
        return value(LIVENESS);
    }

    /**
     * @return heartbeat interval producers are asked to keep.
     */
    public int heartbeatIntervalMs()
    {
        // at most 2 s: the keepalive is also how a restarted broker relearns its producers
        return (int)Math.max(50, Math.min(2000, producerLivenessTimeoutMs() / 5));
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
        return (int)(long)value(PRODUCERS);
    }

    /**
     * @return whether the broker listens on IPC as well.
     */
    public boolean ipcEnabled()
    {
        return value(IPC);
    }

    /**
     * @return the configured UDP listen channel.
     */
    public String listenChannel()
    {
        return value(LISTEN);
    }

    /**
     * @return directory of the embedded media driver.
     */
    public String aeronDir()
    {
        return value(AERON);
    }

    /**
     * @return idle strategy name.
     */
    public String idleStrategy()
    {
        return value(IDLE);
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
