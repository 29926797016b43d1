package io.peregrine.jmh;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.aeron.CommonContext;

/**
 * Send latency as a user meets it: the broker as its own JVM ({@code peregrine broker}, defaults, a temporary store)
 * and {@code peregrine perf --sizes ...} as another, over UDP and over IPC (joining the broker's driver). Written to
 * {@code standalone.json} beside the JMH results, so the report shows it next to the in-JVM numbers of the same run.
 */
public final class StandaloneRun
{
    /**
     * File name of the results beside {@code results.json}.
     */
    public static final String FILE_NAME = "standalone.json";

    private static final String[] JVM_FLAGS = {
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true" };
    private static final long READY_TIMEOUT_MS = 60_000;
    private static final long PERF_TIMEOUT_MS = 30 * 60_000;

    /**
     * Sizes up to this many bytes are measured with {@link #SMALL_COUNT_FACTOR} times the count.
     */
    public static final int SMALL_SIZE = 4096;

    /**
     * How many more sends the small sizes get.
     */
    public static final int SMALL_COUNT_FACTOR = 10;

    private final File cliJar;

    /**
     * @param cliJar the runnable {@code peregrine-cli.jar} (built by {@code mvn package}).
     */
    public StandaloneRun(final File cliJar)
    {
        this.cliJar = cliJar;
    }

    /**
     * Start a broker, run perf over UDP and IPC at each size, stop the broker, and write the results.
     *
     * @param sizes  body sizes in bytes.
     * @param count  measured sends per size above {@link #SMALL_SIZE}, after perf's default warm-up (as a user runs it);
     *               {@link #SMALL_COUNT_FACTOR} times as many at and below it (a perf run of their own).
     * @param outDir where {@link #FILE_NAME} goes.
     * @return the file written.
     * @throws IOException          if a process cannot be started or a file written.
     * @throws InterruptedException if interrupted while waiting for a process.
     */
    public File run(final List<String> sizes, final int count, final Path outDir) throws IOException, InterruptedException
    {
        final Path store = Files.createTempDirectory("peregrine-standalone");
        final Process broker = start(List.of("broker",
            "--set", "storePathRootDir=" + store.resolve("store"),
            "--set", "aeronDir=" + CommonContext.generateRandomDirName(), // where a user's is: /dev/shm on Linux
            "--set", "listenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "--set", "haListenChannel=aeron:udp?endpoint=127.0.0.1:0"), store.resolve("broker.log").toFile());
        final JsonArray results = new JsonArray();
        try
        {
            final String ready = awaitReady(broker, store.resolve("broker.log"));
            final String listen = field(ready, "listen");
            final String aeronDir = field(ready, "aeronDir");
            perfBySize(results, "udp", List.of("--channel", listen), sizes, count, store);
            perfBySize(results, "ipc", List.of("--channel", "aeron:ipc", "--aeron-dir", aeronDir), sizes, count, store);
        }
        finally
        {
            broker.destroy(); // SIGTERM: the broker answers what is pending and stops cleanly
            if (!broker.waitFor(30, TimeUnit.SECONDS))
            {
                broker.destroyForcibly();
            }
            delete(store);
        }
        final File file = outDir.resolve(FILE_NAME).toFile();
        Files.writeString(file.toPath(), new GsonBuilder().setPrettyPrinting().create().toJson(results), StandardCharsets.UTF_8);
        return file;
    }

    /**
     * Small sends take microseconds: they get ten times the count (a perf run of their own), or their p99 rests on a
     * few milliseconds of sending.
     */
    private void perfBySize(
        final JsonArray results,
        final String transport,
        final List<String> channel,
        final List<String> sizes,
        final int count,
        final Path store) throws IOException, InterruptedException
    {
        final List<String> small = sizes.stream().filter((s) -> Integer.parseInt(s) <= SMALL_SIZE).toList();
        final List<String> large = sizes.stream().filter((s) -> Integer.parseInt(s) > SMALL_SIZE).toList();
        if (!small.isEmpty())
        {
            perf(results, transport, channel, small, SMALL_COUNT_FACTOR * count, store);
        }
        if (!large.isEmpty())
        {
            perf(results, transport, channel, large, count, store);
        }
    }

    private void perf(
        final JsonArray results,
        final String transport,
        final List<String> channel,
        final List<String> sizes,
        final int count,
        final Path store) throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("perf"));
        args.addAll(channel);
        args.addAll(List.of("--sizes", String.join(",", sizes), "--count", Integer.toString(count), "--json"));
        final File log = store.resolve("perf-" + transport + ".log").toFile();
        final Process perf = start(args, log);
        if (!perf.waitFor(PERF_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            perf.destroyForcibly();
            throw new IOException("perf over " + transport + " still running after " + PERF_TIMEOUT_MS + " ms");
        }
        for (final String line : Files.readAllLines(log.toPath()))
        {
            if (line.startsWith("{\"size\""))
            {
                final JsonObject result = JsonParser.parseString(line).getAsJsonObject();
                result.addProperty("transport", transport);
                results.add(result);
            }
        }
        if (perf.exitValue() != 0)
        {
            throw new IOException("perf over " + transport + " exited " + perf.exitValue() + ":\n" + Files.readString(log.toPath()));
        }
    }

    private Process start(final List<String> args, final File log) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java")); // the java running this
        command.addAll(List.of(JVM_FLAGS));
        command.addAll(List.of("-jar", cliJar.getAbsolutePath()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    private static String awaitReady(final Process broker, final Path log) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        while (System.nanoTime() - deadline < 0)
        {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(log), StandardCharsets.UTF_8)))
            {
                for (String line = reader.readLine(); null != line; line = reader.readLine())
                {
                    if (line.startsWith("READY "))
                    {
                        return line;
                    }
                }
            }
            if (!broker.isAlive())
            {
                throw new IOException("broker exited " + broker.exitValue() + " before READY:\n" + Files.readString(log));
            }
            broker.waitFor(50, TimeUnit.MILLISECONDS); // polls the other process's log, bounded by the deadline
        }
        throw new IOException("broker not READY within " + READY_TIMEOUT_MS + " ms:\n" + Files.readString(log));
    }

    static String field(final String readyLine, final String key)
    {
        for (final String field : readyLine.split(" "))
        {
            if (field.startsWith(key + "="))
            {
                return field.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException("no " + key + " in " + readyLine);
    }

    private static void delete(final Path dir) throws IOException
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }
}
