package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Cuts a journal back to a record: every record after it leaves the journal, kept (never deleted) in
 * {@code <journal>-diverged/after-<index>/journal}, itself a journal the tools can read. A slave whose journal holds
 * records its master does not (it was a master before, and took records its slave never had) is cut back to the last
 * record the two share, then copies the master's from there.
 *
 * <p>Chronicle Queue cannot truncate a file, so the cut moves whole cycle files: those of the cycles after the cut's,
 * and the cut's own if it holds records after the cut; that one is then rebuilt in the journal, record for record at
 * the same indices, up to the cut, from the moved copy.
 *
 * <p>Crash-safe: the cut is written first to an intent file beside the journal ({@code <journal>-cut.intent}, fsynced),
 * and {@link #resume} carries out one left by a crash, each step again only where it had not happened: a file still
 * in the journal is moved, a partly rebuilt cycle (its original being in the diverged folder already) is deleted and
 * rebuilt. The intent goes once the rebuilt file and both folders are forced to disk. Only the store's one writer may
 * cut, with the journal closed.
 */
public final class JournalCut
{
    private static final String METADATA = "metadata.cq4t";
    private static final String KEY_AFTER = "cutAfter";
    private static final String KEY_TARGET = "target";
    private static final String KEY_REBUILD = "rebuildCycle";
    private static final String KEY_ROLL_CYCLE = "rollCycle";

    /**
     * What a cut did.
     *
     * @param afterIndex the journal's last record now.
     * @param movedFiles cycle files moved out of the journal, oldest first.
     * @param rebuilt    records written back into the cut's cycle (0 if its file stayed).
     * @param keptIn     the journal directory holding what was moved.
     */
    public record Result(long afterIndex, List<File> movedFiles, long rebuilt, File keptIn)
    {
    }

    private JournalCut()
    {
    }

    /**
     * Where cuts keep what they move: the journal directory's sibling {@code <name>-diverged}.
     *
     * @param journalDir directory of the queue files.
     * @return the directory (it may not exist).
     */
    public static File divergedDir(final File journalDir)
    {
        return new File(journalDir.getAbsoluteFile().getParentFile(), journalDir.getName() + "-diverged");
    }

    /**
     * The intent file of a cut under way: the journal directory's sibling {@code <name>-cut.intent}.
     *
     * @param journalDir directory of the queue files.
     * @return the file (it exists only while a cut is under way, or after a crash in one).
     */
    public static File intentFile(final File journalDir)
    {
        return new File(journalDir.getAbsoluteFile().getParentFile(), journalDir.getName() + "-cut.intent");
    }

    /**
     * Cut a closed journal back to a record it holds.
     *
     * @param journalDir      directory of the queue files.
     * @param afterIndex      the record to keep as the last one.
     * @param maxRecordLength largest record in the journal.
     * @return what was moved; nothing is when the record is the journal's last.
     * @throws IllegalArgumentException if the journal holds no record at that index.
     * @throws IllegalStateException if another cut's intent is there (a crashed one: {@link #resume} it first).
     * @throws UncheckedIOException if a file cannot be moved, written or forced.
     */
    public static Result cut(final File journalDir, final long afterIndex, final int maxRecordLength)
    {
        final File intent = plan(journalDir, afterIndex, maxRecordLength);
        return null == intent ? new Result(afterIndex, List.of(), 0, null) : carryOut(journalDir, intent, maxRecordLength);
    }

    /**
     * Check the cut and write its intent (the state a crash right after leaves).
     *
     * @return the intent file, or null if the record is the journal's last (nothing to cut).
     */
    static File plan(final File journalDir, final long afterIndex, final int maxRecordLength)
    {
        final File intent = intentFile(journalDir);
        if (intent.exists())
        {
            throw new IllegalStateException("a cut of " + journalDir + " is under way or was stopped by a crash (" + intent +
                "); resume it first (a broker starting on the store does)");
        }
        if (!new File(journalDir, METADATA).isFile())
        {
            throw new IllegalArgumentException("no journal at " + journalDir);
        }
        final long last;
        final boolean rebuild;
        final String rollCycle;
        try (Journal journal = Journal.open(journalDir, maxRecordLength, true))
        {
            rollCycle = journal.rollCycleName();
            if (journal.storedCrc(afterIndex) == Journal.NO_RECORD)
            {
                throw new IllegalArgumentException("the journal at " + journalDir + " holds no record at index " + afterIndex +
                    " (it holds " + journal.firstIndex() + " to " + journal.lastIndex() + ")");
            }
            last = journal.lastIndex();
            rebuild = journal.storedCrc(afterIndex + 1) != Journal.NO_RECORD;
        }
        if (last == afterIndex)
        {
            return null;
        }
        final File target = freeTarget(journalDir, afterIndex);
        writeIntent(intent, KEY_AFTER + "=" + afterIndex + "\n" +
            KEY_TARGET + "=" + divergedDir(journalDir).toPath().relativize(target.toPath()) + "\n" +
            KEY_REBUILD + "=" + rebuild + "\n" +
            KEY_ROLL_CYCLE + "=" + rollCycle + "\n");
        return intent;
    }

    /**
     * Finish a cut a crash stopped, if its intent file is there.
     *
     * @param journalDir      directory of the queue files.
     * @param maxRecordLength largest record in the journal.
     * @return what the cut did, or null if there was none to finish.
     */
    public static Result resume(final File journalDir, final int maxRecordLength)
    {
        final File intent = intentFile(journalDir);
        return intent.exists() ? carryOut(journalDir, intent, maxRecordLength) : null;
    }

    private static Result carryOut(final File journalDir, final File intent, final int maxRecordLength)
    {
        final Properties plan = readIntent(intent);
        final String rollCycle = plan.getProperty(KEY_ROLL_CYCLE);
        final long afterIndex = Long.parseLong(plan.getProperty(KEY_AFTER));
        final File target = new File(divergedDir(journalDir), plan.getProperty(KEY_TARGET));
        final boolean rebuild = Boolean.parseBoolean(plan.getProperty(KEY_REBUILD));
        try
        {
            final List<File> moved = moveCycles(journalDir, target, afterIndex, rebuild, maxRecordLength, rollCycle);
            final long rebuilt = rebuild ? rebuild(journalDir, target, afterIndex, maxRecordLength, rollCycle) : 0;
            Files.delete(intent.toPath());
            Journal.forceDirectory(intent.getParentFile());
            return new Result(afterIndex, moved, rebuilt, target);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the cut of " + journalDir + " after index " + afterIndex + " stopped (" + ex.getMessage() +
                "); its intent " + intent + " stays, and the next try resumes it", ex);
        }
    }

    /**
     * Step 1: move the files of the cycles the cut removes records from; again after a crash, only those still in the
     * journal, and a file of the cut's cycle whose original was moved already is a partial rebuild: deleted.
     */
    static List<File> moveCycles(
        final File journalDir,
        final File target,
        final long afterIndex,
        final boolean rebuild,
        final int maxRecordLength,
        final String rollCycle) throws IOException
    {
        final List<File> files;
        try (Journal journal = Journal.open(journalDir, maxRecordLength, true, rollCycle, System::currentTimeMillis))
        {
            final int cutCycle = journal.cycleOf(afterIndex);
            files = journal.cycleFilesBetween(rebuild ? cutCycle : cutCycle + 1, Integer.MAX_VALUE);
        }
        Files.createDirectories(target.toPath());
        final List<File> moved = new ArrayList<>();
        for (final File file : files)
        {
            final File to = new File(target, file.getName());
            if (to.exists())
            {
                Files.delete(file.toPath()); // the partial rebuild of a crashed cut; the original is in the target
                continue;
            }
            Files.move(file.toPath(), to.toPath(), StandardCopyOption.ATOMIC_MOVE);
            moved.add(to);
        }
        // Chronicle keeps which cycles exist in each directory's metadata; both must learn what moved. The moved files make
        // a journal of their own, which gets its metadata here
        for (final File journal : new File[] {target, journalDir})
        {
            try (Journal opened = Journal.open(journal, maxRecordLength, false, rollCycle, System::currentTimeMillis))
            {
                opened.refreshDirectoryListing();
            }
            Journal.forceDirectory(journal);
        }
        return moved;
    }

    /**
     * Step 2: write the cut's cycle back, from the moved copy, up to the cut, and force it to disk.
     */
    static long rebuild(final File journalDir, final File target, final long afterIndex, final int maxRecordLength, final String rollCycle)
        throws IOException
    {
        final Rebuilder rebuilder;
        final File rebuiltFile;
        try (Journal journal = Journal.open(journalDir, maxRecordLength, false, rollCycle, System::currentTimeMillis);
            Journal copy = Journal.open(target, maxRecordLength, true, rollCycle, System::currentTimeMillis);
            Journal.RecordReader reader = copy.reader())
        {
            rebuilder = new Rebuilder(journal, afterIndex);
            while (rebuilder.lastRead < afterIndex && reader.readNext(rebuilder))
            {
                continue;
            }
            if (journal.lastIndex() != afterIndex)
            {
                throw new IOException("the rebuilt cycle ends at index " + journal.lastIndex() + ", not at the cut " + afterIndex +
                    "; the moved copy in " + target + " lacks records");
            }
            rebuiltFile = journal.fileOf(afterIndex);
        }
        try (FileChannel channel = FileChannel.open(rebuiltFile.toPath(), StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        Journal.forceDirectory(journalDir);
        return rebuilder.written;
    }

    /**
     * Writes the moved copy's records of the cut's cycle, up to the cut, back at their indices.
     */
    private static final class Rebuilder implements Journal.RecordHandler
    {
        private final Journal journal;
        private final long afterIndex;
        private final int cycle;
        private long lastRead = Long.MIN_VALUE;
        private long written;

        Rebuilder(final Journal journal, final long afterIndex)
        {
            this.journal = journal;
            this.afterIndex = afterIndex;
            this.cycle = journal.cycleOf(afterIndex);
        }

        public void onRecord(final RecordView record)
        {
            lastRead = record.index();
            if (lastRead <= afterIndex && journal.cycleOf(lastRead) == cycle)
            {
                journal.writeAt(lastRead, record.buffer(), 0, record.length());
                written++;
            }
        }
    }

    private static File freeTarget(final File journalDir, final long afterIndex)
    {
        final File diverged = divergedDir(journalDir);
        File target = new File(diverged, "after-" + afterIndex);
        for (int n = 1; target.exists(); n++)
        {
            target = new File(diverged, "after-" + afterIndex + "." + n);
        }
        return new File(target, "journal");
    }

    private static void writeIntent(final File intent, final String text)
    {
        final File tmp = new File(intent.getParentFile(), intent.getName() + ".tmp");
        try
        {
            Files.writeString(tmp.toPath(), text, StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE))
            {
                channel.force(true);
            }
            Files.move(tmp.toPath(), intent.toPath(), StandardCopyOption.ATOMIC_MOVE);
            Journal.forceDirectory(intent.getParentFile());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the cut's intent " + intent + ": " + ex.getMessage(), ex);
        }
    }

    private static Properties readIntent(final File intent)
    {
        final Properties plan = new Properties();
        try
        {
            plan.load(new StringReader(Files.readString(intent.toPath(), StandardCharsets.UTF_8)));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the cut's intent " + intent + ": " + ex.getMessage(), ex);
        }
        for (final String key : new String[] {KEY_AFTER, KEY_TARGET, KEY_REBUILD, KEY_ROLL_CYCLE})
        {
            if (null == plan.getProperty(key))
            {
                throw new IllegalStateException("the cut's intent " + intent + " lacks " + key + "; it was written by the cut, " +
                    "whose last step deletes it: look at what it moved before deleting it by hand");
            }
        }
        return plan;
    }
}
