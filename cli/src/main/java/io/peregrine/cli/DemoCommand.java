package io.peregrine.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.agrona.IoUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine demo}: a broker in its own JVM on a temporary store, sends of several sizes over
 * UDP and IPC, a table of statuses and percentiles, then everything stopped and removed.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
        "Start a broker as a separate JVM on a temporary store, send 64 B to 512 KiB over UDP and IPC,",
        "print statuses and latency percentiles, stop the broker and clean up." })
final class DemoCommand implements Callable<Integer>
{
    static final int[] SIZES = { 64, 1024, 4096, 64 * 1024, 512 * 1024 };

    @Option(names = "--count", defaultValue = "2000", description = "sends per size up to 4 KiB; fewer for larger (default: ${DEFAULT-VALUE})")
    int count;

    public Integer call() throws IOException, InterruptedException
    {
        final Path dir = Files.createTempDirectory("peregrine-demo-");
        final File log = dir.resolve("broker.log").toFile();
        int errors = 0;
        try (BrokerProcess broker = BrokerProcess.start(List.of(
            "storePathRootDir=" + dir.resolve("store"),
            "aeronDir=" + dir.resolve("aeron"),
            "listenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "haListenChannel=aeron:udp?endpoint=127.0.0.1:0"), log, 60_000))
        {
            System.out.println("broker: " + broker.readyLine());
            System.out.printf("%-5s %8s %7s %7s %9s %9s %9s %9s %9s %10s%n",
                "via", "size", "sent", "SEND_OK", "other", "p50 us", "p90 us", "p99 us", "max us", "msgs/s");
            for (final String via : new String[]{ "udp", "ipc" })
            {
                final Producer.Context ctx = new Producer.Context()
                    .instanceName("demo-" + via)
                    .maxMessageSize(1024 * 1024)
                    .brokerChannel(via.equals("udp") ? broker.readyField("listen") : "aeron:ipc")
                    .aeronDirectoryName(via.equals("udp") ? null : broker.readyField("aeronDir"));
                try (Producer producer = Producer.start(ctx))
                {
                    for (final int size : SIZES)
                    {
                        final int n = size <= 4096 ? count : Math.max(50, count / (size / 4096));
                        final PerfRun run = PerfRun.run(PerfRun.Mode.SYNC, 1, List.of(producer), 1, "demo", size,
                            Math.max(20, n / 10), 0, n, 5000, System.err, null, null, 0);
                        final long ok = run.status(SendStatus.SEND_OK);
                        errors += (int)run.errorCount();
                        System.out.printf("%-5s %8d %7d %7d %9d %9.1f %9.1f %9.1f %9.1f %10.0f%n", via, size, run.sentCount(), ok,
                            run.sentCount() - ok, run.percentileUs(50), run.percentileUs(90), run.percentileUs(99), run.maxUs(),
                            run.msgsPerSec());
                    }
                }
            }
            final int exit = broker.stop(15_000);
            System.out.println("broker stopped with exit code " + exit);
            if (exit != 0)
            {
                System.err.println(broker.logTail());
                errors++;
            }
        }
        finally
        {
            delete(dir);
        }
        return errors == 0 ? 0 : 1;
    }

    static void delete(final Path dir)
    {
        IoUtil.delete(dir.toFile(), true);
    }
}
