package io.peregrine.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

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

    @Option(names = "--count", paramLabel = "N", defaultValue = "10000", description = "measured sends in all (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1000", description = "sends before measuring (default: ${DEFAULT-VALUE})")
    int warmup;

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

    @Option(names = "--json", description = "print a JSON summary as the last line on stdout")
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
        if (size < 0 || count <= 0 || warmup < 0 || timeoutMs <= 0 || inflight <= 0 || threads <= 0 || producers <= 0 || batch <= 0)
        {
            System.err.println(
                "peregrine perf: --size and --warmup must be >= 0; --count, --timeout, --inflight, --threads, --producers, --batch > 0");
            return 2;
        }
        final List<Producer> started = new ArrayList<>();
        final AckedLog acked = null == ackedLog ? null : new AckedLog(ackedLog);
        final PerfRun run;
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
                    .maxMessageSize(Math.max(size, Producer.Context.MAX_MESSAGE_SIZE_DEFAULT))
                    .producerGroup("perf")
                    .instanceName("perf-" + pid + "-" + i)));
            }
            run = PerfRun.run(runMode, batch, started, threads, topic, size, warmup, count, timeoutMs, System.err, acked);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            System.err.println("peregrine perf: " + ex.getMessage());
            return 2;
        }
        finally
        {
            CloseHelper.closeAll(started);
            if (null != acked)
            {
                acked.close();
            }
        }
        run.onewayOutcome(started);
        System.out.print(run.summary());
        if (json)
        {
            System.out.println(run.json());
        }
        System.out.flush();
        return run.errorCount() == 0 ? 0 : 1;
    }
}
