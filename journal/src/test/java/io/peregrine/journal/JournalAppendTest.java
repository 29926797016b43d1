package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-part append (header and body from different buffers, as the broker appends a send straight from the
 * request it received): the stored record is byte for byte the one the one-part append stores, across Chronicle's
 * chunk boundaries and with bodies on and off the heap.
 */
class JournalAppendTest
{
    private static final int MAX_BODY = 200_000;
    private static final byte[] TOPIC = "orders".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    File dir;

    private final RecordHeaderEncoder header = new RecordHeaderEncoder();
    private final MessageHeaderEncoder messageHeader = new MessageHeaderEncoder();
    private final UnsafeBuffer topic = new UnsafeBuffer(TOPIC);

    @Test
    void storesTheRecordTheOnePartAppendStoresAcrossChunks()
    {
        final int maxRecordLength = JournalRecord.recordLength(TOPIC.length, MAX_BODY);
        final UnsafeBuffer whole = new UnsafeBuffer(ByteBuffer.allocateDirect(maxRecordLength));
        final UnsafeBuffer headerOnHeap = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer bodyOffHeap = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_BODY + 16));
        final UnsafeBuffer bodyOnHeap = new UnsafeBuffer(new byte[MAX_BODY + 16]);
        final List<Integer> bodyLengths = new ArrayList<>();
        final long blockSize = Journal.blockSizeFor(maxRecordLength);
        long written = 0;
        try (Journal journal = Journal.open(dir, maxRecordLength, false))
        {
            // records of odd sizes up to MAX_BODY, three kinds in turn, until several chunks are full, so that some
            // records straddle a chunk boundary
            for (int i = 1; written < 5 * blockSize; i++)
            {
                final int bodyLength = (i * 37_813) % MAX_BODY;
                bodyLengths.add(bodyLength);
                final long index;
                if (i % 3 == 0)
                {
                    final int length = encode(whole, 0, i, bodyLength);
                    fillBody(whole, length - bodyLength, i, bodyLength);
                    index = journal.append(whole, 0, length);
                }
                else
                {
                    final UnsafeBuffer body = i % 3 == 1 ? bodyOffHeap : bodyOnHeap;
                    final int bodyOffset = i % 16; // not aligned
                    fillBody(body, bodyOffset, i, bodyLength);
                    final int headerLength = encode(headerOnHeap, 0, i, bodyLength) - bodyLength;
                    index = journal.append(headerOnHeap, 0, headerLength, body, bodyOffset, bodyLength);
                }
                assertEquals(journal.lastIndex(), index);
                written += JournalRecord.recordLength(TOPIC.length, bodyLength);
            }
        }

        int read = 0;
        try (Journal journal = Journal.open(dir, maxRecordLength, true); Journal.RecordReader reader = journal.reader())
        {
            final int[] count = { 0 };
            while (reader.readNext((view) ->
            {
                final int sequence = ++count[0];
                assertNull(view.validate(), "record " + sequence + " (CRC and lengths)");
                assertEquals(sequence, view.sequence());
                assertEquals("orders", view.topic());
                assertEquals(bodyLengths.get(sequence - 1), view.bodyLength(), "body length of record " + sequence);
                for (int b = 0; b < view.bodyLength(); b++)
                {
                    if (view.buffer().getByte(view.bodyOffset() + b) != (byte)(sequence * 31 + b))
                    {
                        throw new AssertionError("record " + sequence + " differs at body byte " + b);
                    }
                }
            }))
            {
                read++;
            }
        }
        assertEquals(bodyLengths.size(), read);
        assertTrue(written > 5 * blockSize, "written past several chunks");
    }

    @Test
    void refusesARecordOverTheLimitAndAppendsTheNextOne()
    {
        final int maxRecordLength = JournalRecord.recordLength(TOPIC.length, 1024);
        final UnsafeBuffer headerBuffer = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer body = new UnsafeBuffer(new byte[2048]);
        try (Journal journal = Journal.open(dir, maxRecordLength, false))
        {
            // a body one byte over what the journal was opened for
            final int headerLength = encode(headerBuffer, 0, 1, 1025) - 1025;
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> journal.append(headerBuffer, 0, headerLength, body, 0, 1025));
            assertTrue(ex.getMessage().contains("over the journal's limit of " + maxRecordLength), ex.getMessage());

            final int fitting = encode(headerBuffer, 0, 1, 1024) - 1024;
            fillBody(body, 0, 1, 1024);
            final long index = journal.append(headerBuffer, 0, fitting, body, 0, 1024);
            assertEquals(index, journal.lastIndex());
            assertEquals(List.of(1L), TestRecords.sequences(journal));
        }
    }

    @Test
    void appendsNothingForAPartOutsideItsBuffer()
    {
        final int maxRecordLength = JournalRecord.recordLength(TOPIC.length, 1024);
        final UnsafeBuffer headerBuffer = new UnsafeBuffer(new byte[256]);
        final UnsafeBuffer body = new UnsafeBuffer(new byte[512]);
        try (Journal journal = Journal.open(dir, maxRecordLength, false))
        {
            fillBody(body, 0, 1, 512);
            final int headerLength = encode(headerBuffer, 0, 1, 512) - 512;
            final long first = journal.append(headerBuffer, 0, headerLength, body, 0, 512);

            // tried: a body said to be 600 bytes in a buffer of 512, then one starting past its buffer's end
            final int longer = encode(headerBuffer, 0, 2, 600) - 600;
            assertThrows(IndexOutOfBoundsException.class, () -> journal.append(headerBuffer, 0, longer, body, 0, 600));
            assertThrows(IndexOutOfBoundsException.class, () -> journal.append(headerBuffer, 0, longer, body, 513, 0));
            assertEquals(first, journal.lastIndex(), "nothing appended");

            final int next = encode(headerBuffer, 0, 3, 512) - 512;
            assertEquals(first + 1, journal.append(headerBuffer, 0, next, body, 0, 512));
            assertEquals(List.of(1L, 3L), TestRecords.sequences(journal), "every record intact, none between");
        }
    }

    private int encode(final UnsafeBuffer buffer, final int offset, final long sequence, final int bodyLength)
    {
        return JournalRecord.encodeHeader(header, messageHeader, buffer, offset, 7, sequence, sequence, 1, topic, 0, TOPIC.length,
            bodyLength) + bodyLength;
    }

    private static void fillBody(final UnsafeBuffer buffer, final int offset, final long sequence, final int bodyLength)
    {
        for (int b = 0; b < bodyLength; b++)
        {
            buffer.putByte(offset + b, (byte)(sequence * 31 + b));
        }
    }
}
