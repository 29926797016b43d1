package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash while a flush writes pages back can leave complete excerpts whose record bytes only partly reached the
 * disk. The test damages two records on disk the way that leaves them (a trailer of zeros; a run of zeros inside a
 * body), then voids them as a starting broker does and checks what readers see afterwards.
 */
@Timeout(60)
class VoidedRecordTest
{
    private static final int MAX_RECORD_LENGTH = JournalRecord.recordLength(64, 64 * 1024);
    private static final int BODY_LENGTH = 3000; // records cross page boundaries

    @TempDir
    Path dir;

    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private final RecordHeaderEncoder header = new RecordHeaderEncoder();
    private final MessageHeaderEncoder messageHeader = new MessageHeaderEncoder();
    private final UnsafeBuffer topic = new UnsafeBuffer("v".getBytes(StandardCharsets.US_ASCII));

    @Test
    void shouldVoidRecordsThatFailTheirCheckKeepingTheirIndicesAndTheirBytes() throws IOException
    {
        final File journalDir = dir.resolve("journal").toFile();
        final long[] indices = new long[7];
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, false))
        {
            for (int sequence = 1; sequence <= 6; sequence++)
            {
                indices[sequence] = append(journal, sequence);
            }
        }
        final File file;
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, true))
        {
            file = journal.fileOf(indices[1]);
        }
        // record 3: its trailer never reached the disk; record 5: a run of its body did not
        final long body3 = find(file, marker(3));
        zero(file, body3 + BODY_LENGTH, 4);
        zero(file, find(file, marker(5)) + 1000, 64);

        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, true))
        {
            assertThrows(IllegalStateException.class, () -> journal.readNewestVoidingDamaged(100, 1 << 20, (record) -> { }),
                "a read-only tool never writes");
        }
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, false))
        {
            final List<String> seen = new ArrayList<>();
            final List<VoidedRecord> newest = journal.readNewestVoidingDamaged(2, 1 << 20, (record) -> seen.add(describe(record)));
            assertEquals(List.of(indices[5]), newest.stream().map((voided) -> voided.index).toList(), "only the newest two are checked");
            assertEquals(List.of("6"), seen, "intact records go to the caller, newest first");
            seen.clear();
            final List<VoidedRecord> all = journal.readNewestVoidingDamaged(100, 1 << 20, (record) -> seen.add(describe(record)));
            assertEquals(List.of(indices[3]), all.stream().map((voided) -> voided.index).toList(), "record 5 is intact now");
            assertEquals(List.of("6", "void", "4", "2", "1"), seen);
            assertTrue(all.get(0).reason.startsWith(RecordView.CRC_MISMATCH), all.get(0).reason);

            final byte[] saved = Files.readAllBytes(all.get(0).savedTo.toPath());
            assertEquals(all.get(0).length, saved.length);
            assertTrue(indexOf(saved, marker(3)) > 0, "the original bytes are saved, body included");
            assertEquals(new File(Journal.damagedDir(journalDir), "record-" + indices[3] + ".bin"), all.get(0).savedTo);

            assertEquals(List.of(), journal.readNewestVoidingDamaged(100, 1 << 20, (record) -> { }), "nothing is left to void");
            append(journal, 7);
            assertEquals(List.of("1", "2", "void", "4", "void", "6", "7"), read(journal), "indices are kept, appends continue");
        }
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, true))
        {
            assertEquals(List.of("1", "2", "void", "4", "void", "6", "7"), read(journal), "a reader after a restart sees the same");
        }
    }

    @Test
    void shouldLeaveARecordWrittenByAnotherBuildAlone() throws IOException
    {
        // tried: a record whose version is not this build's (a newer broker wrote it, an older one starts): its check
        // fails, but it is not crash debris, so it must stay as it is
        final File journalDir = dir.resolve("journal").toFile();
        final File file;
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, false))
        {
            append(journal, 1);
            file = journal.fileOf(append(journal, 2));
            append(journal, 3);
        }
        final long recordStart = find(file, marker(2)) - (JournalRecord.FIXED_HEADER_LENGTH + topic.capacity());
        try (RandomAccessFile out = new RandomAccessFile(file, "rw"))
        {
            out.seek(recordStart + MessageHeaderEncoder.ENCODED_LENGTH + RecordHeaderEncoder.recordVersionEncodingOffset());
            out.write(9);
        }
        final byte[] before = Files.readAllBytes(file.toPath());
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, false))
        {
            final List<String> seen = new ArrayList<>();
            assertEquals(List.of(), journal.readNewestVoidingDamaged(100, 1 << 20, (record) -> seen.add(describe(record))));
            assertEquals(List.of("3", "1"), seen, "the other build's record is not handed on as intact either");
        }
        assertTrue(Arrays.equals(before, Files.readAllBytes(file.toPath())), "nothing in the file changed");
        try (Journal journal = Journal.open(journalDir, MAX_RECORD_LENGTH, true); Journal.RecordReader reader = journal.reader())
        {
            final List<String> reasons = new ArrayList<>();
            while (reader.readNext((view) -> reasons.add(String.valueOf(view.validate()))))
            {
                // next
            }
            assertEquals(List.of("null", "unsupported record version 9", "null"), reasons);
        }
    }

    private long append(final Journal journal, final long sequence)
    {
        final int headerLength = JournalRecord.encodeHeader(header, messageHeader, record, 0, 7, sequence, 1, 0xFF, topic, 0,
            topic.capacity(), BODY_LENGTH);
        final byte[] marker = marker(sequence);
        for (int i = 0; i < BODY_LENGTH; i++)
        {
            record.putByte(headerLength + i, i < marker.length ? marker[i] : (byte)(sequence + i));
        }
        return journal.append(record, 0, headerLength + BODY_LENGTH);
    }

    private static String describe(final RecordView record)
    {
        return record.voided() ? "void" : Long.toString(record.sequence());
    }

    private static byte[] marker(final long sequence)
    {
        return ("body-of-" + sequence + "|").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Every record must pass its check; each reads as its sequence, or "void".
     */
    private static List<String> read(final Journal journal)
    {
        final List<String> seen = new ArrayList<>();
        try (Journal.RecordReader reader = journal.reader())
        {
            while (reader.readNext((view) ->
            {
                assertNull(view.validate(), "record " + view.index());
                if (view.voided())
                {
                    assertEquals(0, view.producerId());
                    assertEquals("", view.topic());
                    seen.add("void");
                }
                else
                {
                    final byte[] body = new byte[BODY_LENGTH];
                    view.buffer().getBytes(view.bodyOffset(), body);
                    assertEquals(0, indexOf(body, marker(view.sequence())), "the body is intact");
                    assertFalse(view.voided(), "appended with flags 0xFF: a request cannot set the voided flag");
                    assertEquals(JournalRecord.REQUEST_FLAGS_MASK, view.flags());
                    seen.add(Long.toString(view.sequence()));
                }
            }))
            {
                // next
            }
        }
        return seen;
    }

    private static long find(final File file, final byte[] marker) throws IOException
    {
        final long at = indexOf(Files.readAllBytes(file.toPath()), marker);
        assertTrue(at >= 0, "marker " + new String(marker, StandardCharsets.US_ASCII) + " in " + file);
        return at;
    }

    private static int indexOf(final byte[] content, final byte[] marker)
    {
        for (int i = 0; i + marker.length <= content.length; i++)
        {
            if (Arrays.equals(content, i, i + marker.length, marker, 0, marker.length))
            {
                return i;
            }
        }
        return -1;
    }

    private static void zero(final File file, final long offset, final int length) throws IOException
    {
        try (RandomAccessFile out = new RandomAccessFile(file, "rw"))
        {
            out.seek(offset);
            out.write(new byte[length]);
        }
    }
}
