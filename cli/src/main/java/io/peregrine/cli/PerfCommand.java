package io.peregrine.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.peregrine.consumer.Consumer;
import io.peregrine.consumer.ConsumerException;
import io.peregrine.producer.Producer;
import org.agrona.CloseHelper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine perf}: sends against a running broker, with latency percentiles.
 */
@Command(
    name = "perf",
    mixinStandardHelpOptions = true,
    description = {
        "Send messages to a broker and report statuses, latency percentiles (us) and msgs/s.",
        "Exit code 0 only if every send completed without an error." })
final class PerfCommand implements Callable<Integer>
{
    @Option(names = "--channel", paramLabel = "CH", defaultValue = Producer.Context.BROKER_CHANNEL_DEFAULT,
        description = "broker channel, e.g. aeron:udp?endpoint=127.0.0.1:40456 or aeron:ipc (default: ${DEFAULT-VALUE})")
    String channel;

    @Option(names = "--aeron-dir", paramLabel = "DIR",
        description = "media driver to join; required for aeron:ipc (the broker's aeronDir); default: an embedded driver")
    String aeronDir;

    @Option(names = "--mode", defaultValue = "sync", description = {
        "sync (round trip per send), async (callbacks, --inflight outstanding), oneway (no answer),",
        "batch (blocking batches of --batch messages) (default: ${DEFAULT-VALUE})" })
    String mode;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "batch mode: messages per batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024", description = "body size (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--sizes", paramLabel = "BYTES,...", split = ",", description = {
        "a latency-vs-size sweep instead of --size: one run per size, in order, each with its own warm-up,",
        "over the same producers; one summary (and one JSON line with --json) per size" })
    List<Integer> sizes;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10000", description = "measured sends in all (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1000", description = {
        "sends before measuring, repeated until --warmup-ms has passed; 0: no warm-up (default: ${DEFAULT-VALUE})" })
    int warmup;

    @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "2000", description = {
        "least time to warm up for, per size: until the JIT has compiled the send path, sends meet",
        "millisecond stalls on a small host; oneway mode warms up with one round (default: ${DEFAULT-VALUE})" })
    long warmupMs;

    @Option(names = "--first-warmup-ms", paramLabel = "MS", defaultValue = "5000", description = {
        "least time to warm up the first size for (at least --warmup-ms): a fresh JVM, and a broker that has",
        "not yet carried traffic, compile for several seconds (default: ${DEFAULT-VALUE})" })
    long firstWarmupMs;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "3000", description = "per-send timeout (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--inflight", paramLabel = "N", defaultValue = "1024",
        description = "async: most sends outstanding per producer (default: ${DEFAULT-VALUE})")
    int inflight;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
        description = "application threads sending, spread over the producers (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--producers", paramLabel = "N", defaultValue = "1", description = "producers in this process (default: ${DEFAULT-VALUE})")
    int producers;

    @Option(names = "--acked-log", paramLabel = "FILE",
        description = "append '<msgId> <journalIndex>' per SEND_OK, written as each ack arrives")
    Path ackedLog;

    @Option(names = "--topic", defaultValue = "perf", description = "topic (default: ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--idle-strategy", defaultValue = "backoff",
        description = "idle strategy of the producers' threads and embedded driver: backoff, yielding, sleeping, busy-spin, noop")
    String idleStrategy;

    @Option(names = "--e2e", description = {
        "also end-to-end latency: a consumer in this process tails the broker (--topic, from its end) and times each",
        "message from its send to its arrival (the first 8 bytes of each body carry the send time; sizes >= 8)" })
    boolean endToEnd;

    @Option(names = "--json", description = "print a JSON summary line after each run (one per size with --sizes)")
    boolean json;

    public Integer call() throws IOException, InterruptedException
    {
        final PerfRun.Mode runMode;
        try
        {
            runMode = PerfRun.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("peregrine perf: --mode must be sync, async, oneway or batch, not '" + mode + "'");
            return 2;
        }
        final List<Integer> runSizes = null == sizes || sizes.isEmpty() ? List.of(size) : sizes;
        if (runSizes.stream().anyMatch((s) -> s < 0) || count <= 0 || warmup < 0 || warmupMs < 0 || firstWarmupMs < 0 ||
            timeoutMs <= 0 || inflight <= 0 || threads <= 0 || producers <= 0 || batch <= 0)
        {
            System.err.println("peregrine perf: --size(s), --warmup, --warmup-ms and --first-warmup-ms must be >= 0; " +
                "--count, --timeout, --inflight, --threads, --producers, --batch > 0");
            return 2;
        }
        if (endToEnd && runSizes.stream().anyMatch((s) -> s < PerfTail.STAMP_LENGTH))
        {
            System.err.println("peregrine perf: --e2e needs bodies of at least " + PerfTail.STAMP_LENGTH + " bytes (they carry the send time)");
            return 2;
        }
        final int largest = runSizes.stream().mapToInt(Integer::intValue).max().orElse(size);
        PerfTail tail = null;
        final List<Producer> started = new ArrayList<>();
        final AckedLog acked = null == ackedLog ? null : new AckedLog(ackedLog);
        final List<PerfRun> runs = new ArrayList<>();
        try
        {
            final long pid = ProcessHandle.current().pid();
            for (int i = 0; i < producers; i++)
            {
                started.add(Producer.start(new Producer.Context()
                    .brokerChannel(channel)
                    .aeronDirectoryName(aeronDir)
                    .idleStrategy(idleStrategy)
                    .maxInFlight(inflight)
                    .maxMessageSize(Math.max(largest, Producer.Context.MAX_MESSAGE_SIZE_DEFAULT))
                    .producerGroup("perf")
                    .instanceName("perf-" + pid + "-" + i)));
            }
            if (endToEnd)
            {
                tail = new PerfTail(new Consumer.Context().brokerChannel(channel).aeronDirectoryName(aeronDir).topic(topic)
                    .idleStrategy(idleStrategy));
            }
            long sentBefore = 0;
            for (final int runSize : runSizes)
            {
                final long runWarmupMs = runs.isEmpty() ? Math.max(warmupMs, firstWarmupMs) : warmupMs;
                final PerfRun run = PerfRun.run(runMode, batch, started, threads, topic, runSize, warmup, runWarmupMs, count, timeoutMs,
                    System.err, acked, tail, sentBefore);
                runs.add(run);
                sentBefore += run.warmedUpDelivered + count;
            }
        }
        catch (final IllegalArgumentException | IllegalStateException | ConsumerException ex)
        {
            System.err.println("peregrine perf: " + ex.getMessage());
            return 2;
        }
        finally
        {
            CloseHelper.closeAll(tail);
            CloseHelper.closeAll(started);
            if (null != acked)
            {
                acked.close();
            }
        }
        long errors = 0;
        for (int i = 0; i < runs.size(); i++)
        {
            final PerfRun run = runs.get(i);
            if (i == runs.size() - 1)
            {
                run.onewayOutcome(started); // counted over the producers' lifetime: reported with the last run
            }
            if (runs.size() > 1)
            {
                System.out.println("size " + runSizes.get(i) + " B:");
            }
            System.out.print(run.summary());
            if (json)
            {
                System.out.println(run.json(runSizes.get(i)));
            }
            errors += run.errorCount() + Math.max(0, run.endToEndMissing);
        }
        System.out.flush();
        return errors == 0 ? 0 : 1;
    }
}
