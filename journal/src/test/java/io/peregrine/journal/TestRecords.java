package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Appends test records (producer 7, the given sequence, a body of bytes derived from it) and reads them back.
 */
final class TestRecords
{
    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private final RecordHeaderEncoder header = new RecordHeaderEncoder();
    private final MessageHeaderEncoder messageHeader = new MessageHeaderEncoder();
    private final UnsafeBuffer topic;

    TestRecords(final String topic)
    {
        this.topic = new UnsafeBuffer(topic.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * @return the journal index of the appended record.
     */
    long append(final Journal journal, final long sequence, final long receivedEpochNs, final int bodyLength)
    {
        return journal.append(record, 0, encode(sequence, receivedEpochNs, bodyLength));
    }

    /**
     * As a broker stores it: stamped with the time it was stored; voided as a broker voids a damaged record.
     *
     * @return the journal index of the appended record.
     */
    long append(final Journal journal, final long sequence, final long storedEpochNs, final int bodyLength, final boolean voided)
    {
        final int length = encode(sequence, storedEpochNs, bodyLength);
        header.appendedEpochNs(storedEpochNs);
        if (voided)
        {
            header.flags((short)JournalRecord.FLAG_VOIDED);
        }
        return journal.append(record, 0, length);
    }

    /**
     * Encode a record in this instance's buffer; the header encoder stays on it.
     *
     * @return its length without the trailer.
     */
    int encode(final long sequence, final long receivedEpochNs, final int bodyLength)
    {
        final int headerLength = JournalRecord.encodeHeader(header, messageHeader, record, 0, 7, sequence, receivedEpochNs, 1, topic, 0,
            topic.capacity(), bodyLength);
        for (int i = 0; i < bodyLength; i++)
        {
            record.putByte(headerLength + i, (byte)(sequence + i));
        }
        return headerLength + bodyLength;
    }

    /**
     * @return the buffer the last record was encoded in.
     */
    UnsafeBuffer buffer()
    {
        return record;
    }

    /**
     * @return the sequences of every record from the start, each checked intact.
     */
    static List<Long> sequences(final Journal journal)
    {
        final List<Long> sequences = new ArrayList<>();
        try (Journal.RecordReader reader = journal.reader())
        {
            while (reader.readNext((view) ->
            {
                assertNull(view.validate(), "record " + view.index());
                sequences.add(view.sequence());
            }))
            {
                // next
            }
        }
        return sequences;
    }
}
