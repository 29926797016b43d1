package io.peregrine.cli;

import java.util.concurrent.Callable;

import io.peregrine.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine perf}: synchronous sends against a running broker, with latency percentiles.
 */
@Command(
    name = "perf",
    mixinStandardHelpOptions = true,
    description = {
        "Send messages synchronously to a broker and report statuses, latency percentiles (us) and msgs/s.",
        "Exit code 0 only if every send completed without an error." })
final class PerfCommand implements Callable<Integer>
{
    @Option(names = "--channel", paramLabel = "CH", defaultValue = Producer.Context.BROKER_CHANNEL_DEFAULT,
        description = "broker channel, e.g. aeron:udp?endpoint=127.0.0.1:40456 or aeron:ipc (default: ${DEFAULT-VALUE})")
    String channel;

    @Option(names = "--aeron-dir", paramLabel = "DIR",
        description = "media driver to join; required for aeron:ipc (the broker's aeronDir); default: an embedded driver")
    String aeronDir;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024", description = "body size (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10000", description = "measured sends (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1000", description = "sends before measuring (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "3000", description = "per-send timeout (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--topic", defaultValue = "perf", description = "topic (default: ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--idle-strategy", defaultValue = "backoff",
        description = "idle strategy of the producer's thread and embedded driver: backoff, yielding, sleeping, busy-spin, noop")
    String idleStrategy;

    @Option(names = "--json", description = "print a JSON summary as the last line on stdout")
    boolean json;

    public Integer call()
    {
        if (size < 0 || count <= 0 || warmup < 0 || timeoutMs <= 0)
        {
            System.err.println("peregrine perf: --size must be >= 0, --count > 0, --warmup >= 0, --timeout > 0");
            return 2;
        }
        final Producer.Context ctx = new Producer.Context()
            .brokerChannel(channel)
            .aeronDirectoryName(aeronDir)
            .idleStrategy(idleStrategy)
            .maxMessageSize(Math.max(size, Producer.Context.MAX_MESSAGE_SIZE_DEFAULT))
            .instanceName("perf-" + ProcessHandle.current().pid());
        final PerfRun run;
        try (Producer producer = Producer.start(ctx))
        {
            run = PerfRun.run(producer, topic, size, warmup, count, timeoutMs, System.err);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("peregrine perf: " + ex.getMessage());
            return 2;
        }
        System.out.print(run.summary());
        if (json)
        {
            System.out.println(run.json());
        }
        System.out.flush();
        return run.errorCount() == 0 ? 0 : 1;
    }
}
