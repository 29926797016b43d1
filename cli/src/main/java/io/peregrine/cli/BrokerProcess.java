package io.peregrine.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A broker running as its own JVM, started with this JVM's class path and module flags. Used by
 * {@code demo} and by tests where a crash or restart is the point.
 */
public final class BrokerProcess implements AutoCloseable
{
    private final Process process;
    private final String readyLine;
    private final File log;

    private BrokerProcess(final Process process, final String readyLine, final File log)
    {
        this.process = process;
        this.readyLine = readyLine;
        this.log = log;
    }

    /**
     * Start {@code peregrine broker} with the given settings and wait for its READY line.
     *
     * @param settings       KEY=VALUE pairs passed as {@code --set}.
     * @param log            file the broker's stderr goes to.
     * @param readyTimeoutMs how long to wait for READY.
     * @return the running broker.
     * @throws IOException           if it cannot be started.
     * @throws IllegalStateException if it exits or stays silent, with the tail of its log.
     */
    public static BrokerProcess start(final List<String> settings, final File log, final long readyTimeoutMs) throws IOException
    {
        return start(settings, List.of(), log, readyTimeoutMs);
    }

    /**
     * The command that runs {@code bin/peregrine} in a new JVM like this one: same java, same module
     * opens and exports, same class path.
     *
     * @param jvmArgs further JVM options (heap, system properties).
     * @return the command up to the main class; append the subcommand and its options.
     */
    public static List<String> peregrineCommand(final List<String> jvmArgs)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-"))
            {
                command.add(arg);
            }
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(ManagementFactory.getRuntimeMXBean().getClassPath());
        command.add(Peregrine.class.getName());
        return command;
    }

    /**
     * Start {@code peregrine broker} with extra JVM arguments. Only this JVM's module flags are passed on;
     * system properties are not, so the broker sets what it needs (analytics off) itself.
     *
     * @param settings       KEY=VALUE pairs passed as {@code --set}.
     * @param jvmArgs        extra JVM arguments, e.g. {@code -Duser.home=...}.
     * @param log            file the broker's stderr goes to.
     * @param readyTimeoutMs how long to wait for READY.
     * @return the running broker.
     * @throws IOException           if it cannot be started.
     * @throws IllegalStateException if it exits or stays silent, with the tail of its log.
     */
    public static BrokerProcess start(
        final List<String> settings, final List<String> jvmArgs, final File log, final long readyTimeoutMs) throws IOException
    {
        final List<String> heapAndArgs = new ArrayList<>();
        heapAndArgs.add("-Xmx512m");
        heapAndArgs.addAll(jvmArgs);
        final List<String> command = peregrineCommand(heapAndArgs);
        command.add("broker");
        for (final String setting : settings)
        {
            command.add("--set");
            command.add(setting);
        }
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(false)
            .redirectError(ProcessBuilder.Redirect.appendTo(log))
            .start();
        final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1024);
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = in.readLine()))
                {
                    lines.offer(line);
                }
            }
            catch (final IOException ignore)
            {
                // the process ended
            }
        }, "broker-stdout");
        reader.setDaemon(true);
        reader.start();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readyTimeoutMs);
        try
        {
            while (System.nanoTime() - deadline < 0)
            {
                final String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (null != line && line.startsWith("READY"))
                {
                    return new BrokerProcess(process, line, log);
                }
                if (null == line && !process.isAlive() && lines.isEmpty())
                {
                    throw new IllegalStateException("broker exited with " + process.exitValue() + " before READY; log:\n" + tail(log));
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
        throw new IllegalStateException("broker not READY within " + readyTimeoutMs + " ms; log:\n" + tail(log));
    }

    /**
     * @return the READY line.
     */
    public String readyLine()
    {
        return readyLine;
    }

    /**
     * A {@code key=value} field of the READY line.
     *
     * @param key such as {@code listen} or {@code aeronDir}.
     * @return its value, or null.
     */
    public String readyField(final String key)
    {
        for (final String field : readyLine.split(" "))
        {
            if (field.startsWith(key + "="))
            {
                return field.substring(key.length() + 1);
            }
        }
        return null;
    }

    /**
     * @return the process.
     */
    public Process process()
    {
        return process;
    }

    /**
     * Kill the broker with SIGKILL and wait for it to be gone.
     *
     * @throws InterruptedException if interrupted.
     */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Stop the broker with SIGTERM.
     *
     * @param timeoutMs how long to wait for it to exit.
     * @return its exit code, or -1 if it had to be killed.
     * @throws InterruptedException if interrupted.
     */
    public int stop(final long timeoutMs) throws InterruptedException
    {
        process.destroy();
        if (process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            return process.exitValue();
        }
        kill();
        return -1;
    }

    /**
     * @return the last lines of the broker's log.
     */
    public String logTail()
    {
        return tail(log);
    }

    static String tail(final File log)
    {
        try
        {
            final List<String> lines = java.nio.file.Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex.getMessage() + ")";
        }
    }

    public void close()
    {
        if (process.isAlive())
        {
            try
            {
                stop(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
