package io.peregrine.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.peregrine.broker.StoreTools;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalCut;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.RecordView;
import io.peregrine.journal.TornTail;
import io.peregrine.journal.UnwrittenCycle;
import io.peregrine.transport.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code peregrine journal dump|verify|digest DIR}: read a store's journal without changing it (safe on a
 * live broker's store); {@code peregrine journal cut DIR --after INDEX}: cut a stopped slave's diverged journal back.
 */
@Command(
    name = "journal",
    mixinStandardHelpOptions = true,
    description = {"Read a broker's journal: dump, verify and digest change nothing (safe beside a running broker). " +
        "cut changes it, on a stopped broker's store only. DIR is the broker's storePathRootDir."},
    subcommands = { JournalCommand.Dump.class, JournalCommand.Verify.class, JournalCommand.Digest.class, JournalCommand.Cut.class })
final class JournalCommand
{
    /**
     * Largest record the tools expect: the largest body Aeron can carry plus a header.
     */
    static final int MAX_RECORD_LENGTH = JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 16 * 1024 * 1024);

    private JournalCommand()
    {
    }

    static File journalDir(final File storeRoot)
    {
        final File dir = new File(storeRoot, "journal");
        if (!dir.isDirectory())
        {
            throw new IllegalArgumentException("no journal at " + dir + " (DIR must be a broker's storePathRootDir)");
        }
        return dir;
    }

    static Journal open(final File storeRoot) throws IOException
    {
        final File dir = journalDir(storeRoot);
        final List<UnwrittenCycle> unwritten = settledUnwritten(dir);
        if (!unwritten.isEmpty())
        {
            throw new IllegalArgumentException("cannot read the journal past " + describe(unwritten.get(0)) +
                "; a broker started on this store moves such files to " + Journal.damagedDir(dir) + ", then it reads");
        }
        return readOnly(dir);
    }

    /**
     * Open a journal directory read-only, for a caller that has looked for unwritten cycle files already.
     */
    static Journal readOnly(final File journalDir)
    {
        return Journal.open(journalDir, MAX_RECORD_LENGTH, true);
    }

    /**
     * Cycle files without a header that stay so: on a live store a file the broker is creating at a roll has no
     * header for a moment.
     */
    static List<UnwrittenCycle> settledUnwritten(final File journalDir) throws IOException
    {
        List<UnwrittenCycle> unwritten = UnwrittenCycle.find(journalDir);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Verify.TORN_TAIL_SETTLE_MS);
        while (!unwritten.isEmpty() && System.nanoTime() - deadline < 0)
        {
            try
            {
                Thread.sleep(50);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
            final List<UnwrittenCycle> again = UnwrittenCycle.find(journalDir);
            unwritten = unwritten.stream().filter((cycle) -> again.stream().anyMatch((still) -> still.file.equals(cycle.file))).toList();
        }
        return unwritten;
    }

    private static String describe(final UnwrittenCycle cycle)
    {
        return "cycle file " + cycle.file + " (" + cycle.length + " bytes), whose header never reached the disk before a crash: " +
            cycle.remains() + (cycle.firstNonZeroOffset < 0 ? "" : " but cannot be read by index");
    }

    /**
     * One line per record.
     */
    @Command(name = "dump", mixinStandardHelpOptions = true,
        description = "One line per record: <journalIndex> <msgId> <topic> <size> crc=ok|bad, or <journalIndex> - - <length> voided")
    static final class Dump implements Callable<Integer>
    {
        @Parameters(paramLabel = "DIR", description = "the broker's storePathRootDir")
        File dir;

        public Integer call() throws IOException
        {
            final PrintStream out = System.out;
            try (Journal journal = open(dir); Journal.RecordReader reader = journal.reader())
            {
                while (reader.readNext((record) ->
                {
                    final String invalid = record.validate();
                    if (null == invalid && record.voided())
                    {
                        out.println(record.index() + " - - " + record.length() + " voided");
                    }
                    else if (null == invalid || invalid.startsWith(RecordView.CRC_MISMATCH))
                    {
                        // a CRC failure leaves the header readable: print what it says, marked bad
                        out.println(record.index() + " " + Protocol.msgId(record.producerId(), record.sequence()) + " " +
                            record.topic() + " " + record.bodyLength() + (null == invalid ? " crc=ok" : " crc=bad"));
                    }
                    else
                    {
                        out.println(record.index() + " - - " + record.length() + " crc=bad");
                    }
                }))
                {
                    // next record
                }
            }
            return 0;
        }
    }

    /**
     * Checks every record.
     */
    @Command(name = "verify", mixinStandardHelpOptions = true, description = {
        "Check every record (magic, version, lengths, CRC32C). Exit 0 only if all are intact and the journal",
        "ends cleanly. A bad record: print '<firstBadIndex> <reason>', exit 1. An append cut short by a crash",
        "that no broker has fenced yet (it is never served; a starting broker fences it):",
        "print 'torn-tail <file> offset=<n>', exit 3 if every record is intact. A cycle file whose header never",
        "reached the disk (a crash soon after it was created; the journal cannot be read past it until a broker",
        "starts and moves it aside): print 'unwritten-cycle <file> ...', exit 3 if every byte of it is zero, else 1." })
    static final class Verify implements Callable<Integer>
    {
        /**
         * Exit code when every record is intact but a torn tail is not fenced yet.
         */
        static final int TORN_TAIL_EXIT_CODE = 3;

        /**
         * How long an incomplete excerpt must stay in place before it counts as torn: on a live store an
         * append in progress looks the same for a moment.
         */
        static final long TORN_TAIL_SETTLE_MS = 1000;

        @Parameters(paramLabel = "DIR", description = "the broker's storePathRootDir")
        File dir;

        public Integer call() throws IOException, InterruptedException
        {
            final List<UnwrittenCycle> unwritten = settledUnwritten(journalDir(dir));
            if (!unwritten.isEmpty())
            {
                boolean anyData = false;
                for (final UnwrittenCycle cycle : unwritten)
                {
                    System.out.println("unwritten-cycle " + describe(cycle));
                    anyData |= cycle.firstNonZeroOffset >= 0;
                }
                System.out.println("the rest of the journal is checked once a starting broker has moved these to " +
                    Journal.damagedDir(journalDir(dir)));
                return anyData ? 1 : TORN_TAIL_EXIT_CODE;
            }
            final long[] counts = { 0, -1, 0 };
            final String[] firstBad = { null };
            try (Journal journal = readOnly(journalDir(dir)); Journal.RecordReader reader = journal.reader())
            {
                while (reader.readNext((record) ->
                {
                    counts[0]++;
                    final String invalid = record.validate();
                    if (null != invalid && null == firstBad[0])
                    {
                        firstBad[0] = record.index() + " " + invalid;
                    }
                    if (null == invalid && record.voided())
                    {
                        counts[2]++;
                    }
                    counts[1] = record.index();
                }))
                {
                    // next record
                }
            }
            final TornTail torn = settledTornTail();
            if (null != firstBad[0])
            {
                System.out.println(firstBad[0]);
            }
            if (null != torn)
            {
                System.out.println("torn-tail " + torn.file + " offset=" + torn.offset +
                    ": an append cut short by a crash, never served; the broker fences it when it starts");
            }
            if (null != firstBad[0])
            {
                return 1;
            }
            if (null != torn)
            {
                return TORN_TAIL_EXIT_CODE;
            }
            System.out.println("ok " + counts[0] + " records" + (counts[0] > 0 ? ", last index " + counts[1] : "") +
                (counts[2] > 0 ? ", " + counts[2] + " of them voided by a broker after a crash" : ""));
            return 0;
        }

        private TornTail settledTornTail() throws IOException, InterruptedException
        {
            final TornTail first = findTornTail();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TORN_TAIL_SETTLE_MS);
            while (null != first && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(50); // a live writer completes an append in well under this; a torn one never does
                final TornTail again = findTornTail();
                if (null == again || !again.file.equals(first.file) || again.offset != first.offset)
                {
                    return null;
                }
            }
            return first;
        }

        private TornTail findTornTail() throws IOException
        {
            try (Journal journal = open(dir))
            {
                return journal.findTornTail();
            }
        }
    }

    /**
     * A digest that two journals with the same records at the same indices share.
     */
    @Command(name = "digest", mixinStandardHelpOptions = true,
        description = "Print '<recordCount> <sha256hex>' over (index, length, bytes) of every record in order.")
    static final class Digest implements Callable<Integer>
    {
        @Parameters(paramLabel = "DIR", description = "the broker's storePathRootDir")
        File dir;

        public Integer call() throws NoSuchAlgorithmException, IOException
        {
            final MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            final ByteBuffer prefix = ByteBuffer.allocate(12);
            final long[] count = { 0 };
            final byte[][] scratch = { new byte[4096] };
            try (Journal journal = open(dir); Journal.RecordReader reader = journal.reader())
            {
                while (reader.readNext((record) -> update(sha256, prefix, scratch, record)))
                {
                    count[0]++;
                }
            }
            System.out.println(count[0] + " " + HexFormat.of().formatHex(sha256.digest()));
            return 0;
        }

        private static void update(final MessageDigest sha256, final ByteBuffer prefix, final byte[][] scratch, final RecordView record)
        {
            final int length = record.length();
            prefix.clear();
            prefix.putLong(record.index()).putInt(length);
            sha256.update(prefix.array(), 0, 12);
            if (scratch[0].length < length)
            {
                scratch[0] = new byte[length];
            }
            record.buffer().getBytes(0, scratch[0], 0, length);
            sha256.update(scratch[0], 0, length);
        }
    }

    /**
     * Cut a stopped broker's journal back to a record: what a slave refused by its master because their journals
     * diverged is told to run.
     */
    @Command(name = "cut", mixinStandardHelpOptions = true,
        description = {"Cut a stopped broker's journal back to the record at INDEX: the cycle files holding later records move, " +
            "kept whole, to DIR/journal-diverged/after-INDEX/journal (readable with dump); the records up to INDEX stay at their " +
            "indices. A slave whose master refused it as diverged logs the command to run. Safe to run again after a crash.",
            "Exit codes: 0 cut (or nothing after INDEX), 2 refused (a broker holds the store, or no record at INDEX)."})
    static final class Cut implements Callable<Integer>
    {
        @Parameters(paramLabel = "DIR", description = "the broker's storePathRootDir")
        File dir;

        @Option(names = "--after", required = true, paramLabel = "INDEX", description = "the record to keep as the journal's last")
        long afterIndex;

        public Integer call()
        {
            final JournalCut.Result result = StoreTools.cutJournal(dir, afterIndex, MAX_RECORD_LENGTH);
            if (result.movedFiles().isEmpty() && null == result.keptIn())
            {
                System.out.println("nothing to cut: " + afterIndex + " is the journal's last record");
                return 0;
            }
            System.out.println("cut after " + afterIndex + ": moved " + result.movedFiles().size() + " cycle file(s) to " +
                result.keptIn() + (result.rebuilt() > 0 ? ", wrote " + result.rebuilt() + " record(s) of the cut's cycle back" : ""));
            return 0;
        }
    }
}
