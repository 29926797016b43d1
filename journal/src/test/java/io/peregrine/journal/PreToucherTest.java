package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import net.openhft.chronicle.core.OS;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pre-toucher populates the writer's own mapping ahead of it, so the writer's appends meet (almost) no page faults;
 * touching through a mapping of its own allocates the pages but leaves the writer a fault per page (or per large folio).
 * Faults are read from {@code /proc/thread-self/stat} of the appending thread, so this runs on Linux only.
 */
class PreToucherTest
{
    private static final int RECORDS = 1000;
    private static final int RECORD_LENGTH = 4000; // a page each, about
    private static final int MAX_RECORD_LENGTH = 16 << 20; // Chronicle chunks of 64 MiB: every append below stays in the first

    @TempDir
    Path dir;

    @Test
    void shouldLeaveTheWriterNoPageFaultsWhenItPopulatesTheWritersOwnMapping() throws IOException
    {
        assumeTrue(OS.isLinux(), "page faults per thread are read from /proc");
        final String release = Files.readString(Path.of("/proc/sys/kernel/osrelease"), StandardCharsets.US_ASCII).trim();
        final String[] version = release.split("[.-]");
        assumeTrue(Integer.parseInt(version[0]) * 1000 + Integer.parseInt(version[1]) >= 5014, "MADV_POPULATE_WRITE needs Linux 5.14: " + release);
        final long touchedOnly = appendFaults("touched", false);
        final long populated = appendFaults("populated", true);
        assertTrue(populated * 4 < touchedOnly && populated < RECORDS / 10,
            "faults in " + RECORDS + " appends of " + RECORD_LENGTH + " bytes: " + populated + " with the writer's mapping populated, " +
            touchedOnly + " with pages only touched through the pre-toucher's own mapping");
    }

    @Test
    void shouldFallBackToTouchingThroughItsOwnMappingWhenTheWritersIsUnknown() throws IOException
    {
        try (Journal journal = Journal.open(dir.toFile(), MAX_RECORD_LENGTH, false))
        {
            final UnsafeBuffer record = record();
            final long index = journal.append(record, 0, RECORD_LENGTH);
            final PreToucher.Target withoutMapping = new PreToucher.Target()
            {
                public int cycleOf(final long i)
                {
                    return journal.cycleOf(i);
                }

                public java.io.File fileOf(final long i)
                {
                    return journal.fileOf(i);
                }

                public long writePosition()
                {
                    return journal.writePosition();
                }

                public PreToucher.Mapping writerMapping()
                {
                    return null; // as before the first append, or off Linux
                }
            };
            try (PreToucher preToucher = new PreToucher(withoutMapping, true))
            {
                touchAhead(preToucher, index);
                assertEquals(0, preToucher.pagesPopulated());
                assertTrue(preToucher.pagesTouched() >= PreToucher.AHEAD_BYTES / PreToucher.PAGE - 2, "pages touched: " + preToucher.pagesTouched());
            }
            assertEquals(JournalRecord.crc(record.addressOffset(), RECORD_LENGTH), journal.storedCrc(index), "the record is intact");
        }
    }

    private long appendFaults(final String name, final boolean populate) throws IOException
    {
        try (Journal journal = Journal.open(dir.resolve(name).toFile(), MAX_RECORD_LENGTH, false))
        {
            final UnsafeBuffer record = record();
            final long first = journal.append(record, 0, RECORD_LENGTH); // maps the first chunk
            assertTrue(null != journal.writerMapping(), "the writer's mapping is published after its first record");
            try (PreToucher preToucher = new PreToucher(journal, populate))
            {
                touchAhead(preToucher, first);
                assertEquals(populate, preToucher.pagesPopulated() > 0, "pages populated: " + preToucher.pagesPopulated());
                for (int i = 0; i < 50; i++)
                {
                    journal.append(record, 0, RECORD_LENGTH); // the append path compiled, its own first faults taken
                }
                final long before = minorFaultsOfThisThread();
                long last = first;
                for (int i = 0; i < RECORDS; i++)
                {
                    last = journal.append(record, 0, RECORD_LENGTH);
                }
                final long faults = minorFaultsOfThisThread() - before;
                assertEquals(first + RECORDS + 50, last);
                assertEquals(JournalRecord.crc(record.addressOffset(), RECORD_LENGTH), journal.storedCrc(last), "the last record is intact");
                return faults;
            }
        }
    }

    private static void touchAhead(final PreToucher preToucher, final long lastIndex) throws IOException
    {
        for (int calls = 0; calls < 100_000 && preToucher.touch(lastIndex) > 0; calls++)
        {
            continue; // bounded: 16 MiB ahead is 4,096 pages, 32 a call
        }
    }

    private static UnsafeBuffer record()
    {
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(RECORD_LENGTH));
        for (int i = 0; i < RECORD_LENGTH; i++)
        {
            record.putByte(i, (byte)i);
        }
        return record;
    }

    private static long minorFaultsOfThisThread() throws IOException
    {
        final String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[7]); // minflt: field 10 of stat(5), the 8th after the name
    }
}
