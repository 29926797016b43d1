package io.peregrine.jmh;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
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
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.aeron.CommonContext;

/**
 * Send latency as a user meets it: the broker as its own JVM ({@code peregrine broker}, defaults, a temporary store)
 * and {@code peregrine perf --sizes ...} as another, over UDP and over IPC (joining the broker's driver). Just before
 * it, the Aeron round trip in the same two-JVM layout ({@link FloorProcess}), with the same sizes, counts and warm-up,
 * so the standalone numbers have a floor of the same layout and the same minutes (this machine's speed drifts by tens of
 * percent over a suite). Written to {@code standalone.json} beside the JMH results, so the report shows it next to the
 * in-JVM numbers of the same run; the floor's entries carry {@code "role":"floor"}.
 *
 * <p>In turns: floor, then a fresh broker and store with perf, again and again. Each turn's JVMs land on the cores
 * anew, and on a small host where two threads land decides a microsecond send by several times (see the tuning
 * guide), so one turn is one draw; each entry carries its {@code "turn"}, and the report sets each turn's send against
 * that turn's floor and gives the median of the turns with their range.
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

    /**
     * Warm-up of the first size and of each next one, in milliseconds: perf's defaults, given to the floor as well.
     */
    static final long FIRST_WARMUP_MS = 5000;
    static final long WARMUP_MS = 2000;

    /**
     * The value of {@code role} in the floor's entries.
     */
    public static final String FLOOR_ROLE = "floor";

    /**
     * Turns the benchmark suites run: the fewest that have a median.
     */
    public static final int TURNS = 3;

    private final File cliJar;
    private final String floorClassPath = ManagementFactory.getRuntimeMXBean().getClassPath(); // benchmarks.jar under bench

    /**
     * @param cliJar the runnable {@code peregrine-cli.jar} (built by {@code mvn package}); {@link FloorProcess} runs from
     *               the class path of this JVM.
     */
    public StandaloneRun(final File cliJar)
    {
        this.cliJar = cliJar;
    }

    /**
     * In each turn, run the two-JVM floor over UDP and IPC at each size; then start a broker on a fresh store, run perf
     * over UDP and IPC at each size, and stop the broker. Then write the results.
     *
     * @param sizes  body sizes in bytes.
     * @param count  measured sends per size above {@link #SMALL_SIZE} and turn, after perf's default warm-up (as a user
     *               runs it); {@link #SMALL_COUNT_FACTOR} times as many at and below it (a perf run of their own).
     * @param turns  how many times to measure it all, each with new JVMs.
     * @param outDir where {@link #FILE_NAME} goes.
     * @return the file written.
     * @throws IOException          if a process cannot be started or a file written.
     * @throws InterruptedException if interrupted while waiting for a process.
     */
    public File run(final List<String> sizes, final int count, final int turns, final Path outDir) throws IOException, InterruptedException
    {
        if (turns < 1)
        {
            throw new IllegalArgumentException("turns must be at least 1: " + turns);
        }
        final JsonArray results = new JsonArray();
        for (int turn = 1; turn <= turns; turn++)
        {
            System.out.println("bench: standalone turn " + turn + " of " + turns);
            final JsonArray turnResults = new JsonArray();
            try
            {
                turn(turnResults, sizes, count);
            }
            catch (final IOException | RuntimeException ex)
            {
                // the other turns still count: what this one measured before it failed is kept
                System.out.println("bench: standalone turn " + turn + " failed: " + ex.getMessage());
            }
            for (final JsonElement entry : turnResults)
            {
                entry.getAsJsonObject().addProperty("turn", turn);
                results.add(entry);
            }
        }
        final File file = outDir.resolve(FILE_NAME).toFile();
        Files.writeString(file.toPath(), new GsonBuilder().setPrettyPrinting().create().toJson(results), StandardCharsets.UTF_8);
        return file;
    }

    private void turn(final JsonArray results, final List<String> sizes, final int count) throws IOException, InterruptedException
    {
        final Path store = Files.createTempDirectory("peregrine-standalone");
        try
        {
            try
            {
                floor(results, sizes, count, store);
            }
            catch (final IOException | RuntimeException ex)
            {
                // the broker and perf still run: the report sets this turn against no round trip and says how many turns had
                // one (with none in any turn, against the in-JVM floor, and says so)
                System.out.println("bench: the two-JVM round trip failed (" + ex.getMessage() + "); broker and perf run without it");
                for (int i = results.size() - 1; i >= 0; i--)
                {
                    if (results.get(i).getAsJsonObject().has("role"))
                    {
                        results.remove(i); // a floor half measured (UDP but not IPC) would mix two kinds of floor
                    }
                }
            }
            final Process broker = start(List.of("-jar", cliJar.getAbsolutePath(), "broker",
                "--set", "storePathRootDir=" + store.resolve("store"),
                "--set", "aeronDir=" + CommonContext.generateRandomDirName(), // where a user's is: /dev/shm on Linux
                "--set", "listenChannel=aeron:udp?endpoint=127.0.0.1:0",
                "--set", "haListenChannel=aeron:udp?endpoint=127.0.0.1:0"), store.resolve("broker.log").toFile());
            try
            {
                final String ready = awaitReady(broker, store.resolve("broker.log"), "broker");
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
            }
        }
        finally
        {
            delete(store);
        }
    }

    /**
     * The answering JVM (its own driver, as the broker has), and requesting JVMs as perf runs: over UDP with a driver
     * of their own, over IPC joining the answerer's.
     */
    private void floor(final JsonArray results, final List<String> sizes, final int count, final Path store)
        throws IOException, InterruptedException
    {
        final Path log = store.resolve("floor-answer.log");
        final Process answerer = start(floorCommand(List.of("answer", CommonContext.generateRandomDirName())), log.toFile());
        try
        {
            final String ready = awaitReady(answerer, log, "floor answerer");
            final String[] transports = { "udp", field(ready, "udp"), "ipc", field(ready, "aeronDir") };
            for (int i = 0; i < transports.length; i += 2)
            {
                final String transport = transports[i];
                final String where = transports[i + 1];
                bySize(sizes, count, (group, groupCount) -> run(results, transport, FLOOR_ROLE, floorCommand(List.of("ping", transport,
                    where, String.join(",", group), Integer.toString(groupCount), Long.toString(FIRST_WARMUP_MS),
                    Long.toString(WARMUP_MS))), store));
            }
        }
        finally
        {
            answerer.getOutputStream().close(); // its cue to stop
            if (!answerer.waitFor(30, TimeUnit.SECONDS))
            {
                answerer.destroyForcibly();
            }
        }
    }

    private void perfBySize(
        final JsonArray results,
        final String transport,
        final List<String> channel,
        final List<String> sizes,
        final int count,
        final Path store) throws IOException, InterruptedException
    {
        bySize(sizes, count, (group, groupCount) ->
        {
            final List<String> args = new ArrayList<>(List.of("-jar", cliJar.getAbsolutePath(), "perf"));
            args.addAll(channel);
            args.addAll(List.of("--sizes", String.join(",", group), "--count", Integer.toString(groupCount), "--json"));
            run(results, transport, null, args, store);
        });
    }

    /**
     * One measuring process per size group: small sends take microseconds, so they get ten times the count (a run of
     * their own), or their p99 rests on a few milliseconds of sending.
     */
    private static void bySize(final List<String> sizes, final int count, final GroupRun run) throws IOException, InterruptedException
    {
        final List<String> small = sizes.stream().filter((s) -> Integer.parseInt(s) <= SMALL_SIZE).toList();
        final List<String> large = sizes.stream().filter((s) -> Integer.parseInt(s) > SMALL_SIZE).toList();
        if (!small.isEmpty())
        {
            run.run(small, SMALL_COUNT_FACTOR * count);
        }
        if (!large.isEmpty())
        {
            run.run(large, count);
        }
    }

    /**
     * Measure a group of sizes.
     */
    @FunctionalInterface
    private interface GroupRun
    {
        void run(List<String> sizes, int count) throws IOException, InterruptedException;
    }

    /**
     * Run a measuring JVM to its end and keep each JSON line it prints (one per size), tagged with the transport and
     * the role (none for perf's own).
     */
    private void run(
        final JsonArray results,
        final String transport,
        final String role,
        final List<String> javaArgs,
        final Path store) throws IOException, InterruptedException
    {
        final String what = (null == role ? "perf" : role) + " over " + transport;
        final File log = store.resolve((null == role ? "perf" : role) + "-" + transport + ".log").toFile();
        final Process process = start(javaArgs, log);
        if (!process.waitFor(PERF_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new IOException(what + " still running after " + PERF_TIMEOUT_MS + " ms");
        }
        for (final String line : Files.readAllLines(log.toPath()))
        {
            if (line.startsWith("{\"size\""))
            {
                final JsonObject result = JsonParser.parseString(line).getAsJsonObject();
                result.addProperty("transport", transport);
                if (null != role)
                {
                    result.addProperty("role", role);
                }
                results.add(result);
            }
        }
        if (process.exitValue() != 0)
        {
            throw new IOException(what + " exited " + process.exitValue() + ":\n" + Files.readString(log.toPath()));
        }
    }

    private List<String> floorCommand(final List<String> args)
    {
        final List<String> command = new ArrayList<>(List.of("-cp", floorClassPath, FloorProcess.class.getName()));
        command.addAll(args);
        return command;
    }

    private Process start(final List<String> javaArgs, final File log) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java")); // the java running this
        command.addAll(List.of(JVM_FLAGS));
        command.addAll(javaArgs);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    private static String awaitReady(final Process process, final Path log, final String what) throws IOException, InterruptedException
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
            if (!process.isAlive())
            {
                throw new IOException(what + " exited " + process.exitValue() + " before READY:\n" + Files.readString(log));
            }
            process.waitFor(50, TimeUnit.MILLISECONDS); // polls the other process's log, bounded by the deadline
        }
        throw new IOException(what + " not READY within " + READY_TIMEOUT_MS + " ms:\n" + Files.readString(log));
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
