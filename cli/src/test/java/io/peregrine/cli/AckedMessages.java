package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A producer process that logs every acknowledged send (perf --acked-log), and the check that every logged
 * message is in a journal at the index it was acknowledged with: what the crash and power-cut tests share.
 */
final class AckedMessages
{
    private AckedMessages()
    {
    }

    /**
     * What a journal holds of an acked log.
     *
     * @param acked   lines of the acked log.
     * @param records in the journal.
     * @param missing acked lines whose message is not at its index in the journal.
     */
    record Check(int acked, int records, List<String> missing)
    {
    }

    /**
     * Start {@code bin/peregrine perf} sending 256 B async messages without end to a broker on a loopback port.
     */
    static Process startPerf(final int port, final Path acked, final File log) throws IOException
    {
        final List<String> command = BrokerProcess.peregrineCommand(List.of("-Xmx256m"));
        command.addAll(List.of("perf", "--channel", "aeron:udp?endpoint=127.0.0.1:" + port, "--mode", "async",
            "--size", "256", "--count", "10000000", "--warmup", "0", "--inflight", "256", "--timeout", "5000",
            "--acked-log", acked.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    }

    /**
     * @return complete lines in a file, 0 if it does not exist.
     */
    static long lines(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return 0;
        }
        long count = 0;
        for (final byte b : Files.readAllBytes(file))
        {
            if (b == '\n')
            {
                count++;
            }
        }
        return count;
    }

    /**
     * Dump a store and look up every acked message in it; asserts that indices strictly increase.
     *
     * @param acked log of perf --acked-log.
     * @param store a storePathRootDir.
     * @return what the journal holds of the log.
     */
    static Check check(final Path acked, final Path store) throws IOException, InterruptedException
    {
        final Map<Long, String> msgIdByIndex = new HashMap<>();
        long previous = Long.MIN_VALUE;
        final String dump = journal("dump", store.toString())[1].strip();
        for (final String line : dump.isEmpty() ? new String[0] : dump.split("\n"))
        {
            final String[] fields = line.split(" ");
            final long index = Long.parseLong(fields[0]);
            assertTrue(index > previous, "indices strictly increase: " + index + " after " + previous);
            previous = index;
            msgIdByIndex.put(index, fields[1]);
        }
        final List<String> missing = new ArrayList<>();
        final String log = Files.exists(acked) ? Files.readString(acked) : "";
        // a line without its newline was being written when perf was killed: not an ack to hold the broker to
        final String complete = log.substring(0, log.lastIndexOf('\n') + 1);
        final List<String> ackedLines = complete.isEmpty() ? List.of() : List.of(complete.split("\n"));
        for (final String line : ackedLines)
        {
            final String[] fields = line.split(" ");
            if (fields.length != 2 || !fields[0].equals(msgIdByIndex.get(Long.parseLong(fields[1]))))
            {
                missing.add(line);
            }
        }
        return new Check(ackedLines.size(), msgIdByIndex.size(), missing);
    }

    /**
     * Run {@code bin/peregrine journal ...} in its own JVM, as an operator does: without {@code -ea}, so a store
     * damaged by the crash meets the tool as in production, not Chronicle's internal assertions.
     *
     * @return the exit code and what it printed to standard output.
     */
    static String[] journal(final String... args) throws IOException, InterruptedException
    {
        final List<String> command = BrokerProcess.peregrineCommand(List.of("-Xmx256m"));
        command.add("journal");
        command.addAll(List.of(args));
        final Path out = Files.createTempFile("peregrine-journal", ".out");
        try
        {
            final Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(out.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new AssertionError("journal " + String.join(" ", args) + " did not end within 120 s");
            }
            return new String[]{ Integer.toString(process.exitValue()), Files.readString(out) };
        }
        finally
        {
            Files.delete(out);
        }
    }
}
