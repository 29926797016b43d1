package io.peregrine.journal;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Leaves a journal the way a writer killed in the middle of an append does: a separate JVM starts an append
 * through Chronicle, writes part of a record and halts (no shutdown hooks, nothing closed), holding
 * Chronicle's write lock as a dead process, exactly as after {@code kill -9}.
 */
public final class CrashedAppends
{
    /**
     * Exit status of the writer JVM once it has written its part and halts.
     */
    static final int HALTED = 77;

    private CrashedAppends()
    {
    }

    /**
     * Run a writer JVM that dies in the middle of an append.
     *
     * @param journalDir      directory of the journal.
     * @param maxRecordLength the journal's largest record, which sets its block size.
     * @param bytesWritten    how much of the record gets written before the JVM halts; every byte is 1, which
     *                        as a header would read as a complete excerpt of 16 MiB.
     * @throws Exception if the writer JVM does not halt as planned.
     */
    public static void crashMidAppend(final File journalDir, final int maxRecordLength, final int bytesWritten) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle."))
            {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx128m", "-cp", ManagementFactory.getRuntimeMXBean().getClassPath(), CrashedAppends.class.getName(),
            journalDir.getAbsolutePath(), Integer.toString(maxRecordLength), Integer.toString(bytesWritten)));
        final Process writer = new ProcessBuilder(command).inheritIO().start();
        if (!writer.waitFor(60, TimeUnit.SECONDS))
        {
            writer.destroyForcibly();
            throw new IllegalStateException("the crashing writer did not finish within 60 s");
        }
        if (writer.exitValue() != HALTED)
        {
            throw new IllegalStateException("the crashing writer exited with " + writer.exitValue() + ", not " + HALTED);
        }
    }

    /**
     * The writer JVM: {@code <journalDir> <maxRecordLength> <bytesWritten>}.
     *
     * @param args as above.
     */
    public static void main(final String[] args)
    {
        final SingleChronicleQueue queue = SingleChronicleQueueBuilder.single(new File(args[0]))
            .blockSize(Journal.blockSizeFor(Integer.parseInt(args[1])))
            .rollCycle(RollCycles.valueOf(Journal.DEFAULT_ROLL_CYCLE))
            .timeoutMS(Journal.WRITE_LOCK_TIMEOUT_MS)
            .build();
        final ExcerptAppender appender = queue.createAppender();
        final DocumentContext dc = appender.writingDocument();
        final byte[] partial = new byte[Integer.parseInt(args[2])];
        Arrays.fill(partial, (byte)1);
        dc.wire().bytes().write(partial);
        Runtime.getRuntime().halt(HALTED); // dies mid-append: nothing closed, the write lock still names this process
    }
}
