package io.peregrine.journal;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import io.peregrine.journal.codec.MessageHeaderDecoder;
import io.peregrine.journal.codec.RecordHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A reusable flyweight over one journal record in native memory. Call {@link #validate()} before
 * reading any field: a record that fails it must not be served.
 */
public final class RecordView
{
    /**
     * How {@link #validate()} starts its answer when only the checksum is wrong (the header is readable).
     */
    public static final String CRC_MISMATCH = "crc mismatch";

    private final MessageHeaderDecoder messageHeader = new MessageHeaderDecoder();
    private final RecordHeaderDecoder header = new RecordHeaderDecoder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private long index;
    private int length;
    private int bodyOffset;
    private int topicOffset;
    private int topicLength;
    private boolean torn;

    /**
     * Wrap a record.
     *
     * @param index   journal index of the record.
     * @param address of its first byte.
     * @param length  of the record, trailer included.
     * @return this.
     */
    public RecordView wrap(final long index, final long address, final int length)
    {
        this.index = index;
        this.length = length;
        buffer.wrap(address, length);
        return this;
    }

    /**
     * Check magic, version, schema, lengths and CRC.
     *
     * @return null if the record is intact, otherwise what is wrong with it.
     */
    public String validate()
    {
        torn = false;
        if (length < JournalRecord.FIXED_HEADER_LENGTH + JournalRecord.TRAILER_LENGTH)
        {
            return "record of " + length + " bytes is shorter than a header";
        }
        messageHeader.wrap(buffer, 0);
        if (messageHeader.schemaId() != MessageHeaderDecoder.SCHEMA_ID || messageHeader.templateId() != RecordHeaderDecoder.TEMPLATE_ID)
        {
            torn = messageHeader.schemaId() == 0 && messageHeader.templateId() == 0; // zeros where the header should be
            return "not a Peregrine record (schema " + messageHeader.schemaId() + ", template " + messageHeader.templateId() + ")";
        }
        header.wrapAndApplyHeader(buffer, 0, messageHeader);
        if (header.magic() != JournalRecord.MAGIC)
        {
            torn = header.magic() == 0;
            return "bad magic 0x" + Long.toHexString(header.magic());
        }
        if (header.recordVersion() != JournalRecord.VERSION)
        {
            return "unsupported record version " + header.recordVersion(); // written by another build: not debris
        }
        torn = true; // from here on only lengths and the checksum can be wrong: bytes that did not all reach the disk
        topicOffset = MessageHeaderDecoder.ENCODED_LENGTH + messageHeader.blockLength() + RecordHeaderDecoder.topicHeaderLength();
        if (topicOffset > length)
        {
            return "header longer than the record";
        }
        topicLength = buffer.getShort(topicOffset - RecordHeaderDecoder.topicHeaderLength(), LITTLE_ENDIAN) & 0xFFFF;
        bodyOffset = topicOffset + topicLength;
        final long expected = (long)bodyOffset + header.bodyLength() + JournalRecord.TRAILER_LENGTH;
        if (header.bodyLength() < 0 || expected != length)
        {
            return "length mismatch: header says " + expected + " bytes, record has " + length;
        }
        final int stored = buffer.getInt(length - JournalRecord.TRAILER_LENGTH, LITTLE_ENDIAN);
        final int computed = JournalRecord.crc(buffer.addressOffset(), length - JournalRecord.TRAILER_LENGTH);
        if (stored != computed)
        {
            return CRC_MISMATCH + ": stored 0x" + Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed);
        }
        torn = false;
        return null;
    }

    /**
     * After {@link #validate()} failed: whether the failure looks like bytes that did not all reach the disk (zeros
     * where the header should be, lengths or checksum wrong) rather than a record this build cannot read (another
     * schema or record version), which must be left alone.
     *
     * @return true if the record looks torn by a crash.
     */
    public boolean looksTorn()
    {
        return torn;
    }

    /**
     * @return journal index of the record.
     */
    public long index()
    {
        return index;
    }

    /**
     * @return producer id of the sender.
     */
    public long producerId()
    {
        return header.producerId();
    }

    /**
     * @return sequence of the message within its producer.
     */
    public long sequence()
    {
        return header.sequence();
    }

    /**
     * @return when the broker received the message, epoch ns.
     */
    public long receivedEpochNs()
    {
        return header.receivedEpochNs();
    }

    /**
     * @return when the journal writer appended the message, epoch ns.
     */
    public long appendedEpochNs()
    {
        return header.appendedEpochNs();
    }

    /**
     * @return flags of the request.
     */
    public int flags()
    {
        return header.flags();
    }

    /**
     * @return true if a starting broker voided this record after a crash ({@link JournalRecord#FLAG_VOIDED}): it
     * holds no message and readers pass over it.
     */
    public boolean voided()
    {
        return (header.flags() & JournalRecord.FLAG_VOIDED) != 0;
    }

    /**
     * @return the topic (allocates; for tools and tests).
     */
    public String topic()
    {
        return buffer.getStringWithoutLengthUtf8(topicOffset, topicLength);
    }

    /**
     * @return where the topic's bytes (US-ASCII) start in {@link #buffer()}; valid after {@link #validate()} passed.
     */
    public int topicOffset()
    {
        return topicOffset;
    }

    /**
     * @return the topic's length in bytes; valid after {@link #validate()} passed.
     */
    public int topicLength()
    {
        return topicLength;
    }

    /**
     * Compare the topic without making a String; valid after {@link #validate()} passed.
     *
     * @param utf8 a topic's UTF-8 bytes.
     * @return true if the record's topic is that one.
     */
    public boolean topicIs(final byte[] utf8)
    {
        if (utf8.length != topicLength)
        {
            return false;
        }
        for (int i = 0; i < topicLength; i++)
        {
            if (buffer.getByte(topicOffset + i) != utf8[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the buffer the record is wrapped in, for reading the body without copying.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the body in {@link #buffer()}.
     */
    public int bodyOffset()
    {
        return bodyOffset;
    }

    /**
     * @return length of the body.
     */
    public int bodyLength()
    {
        return header.bodyLength();
    }

    /**
     * @return length of the whole record, trailer included.
     */
    public int length()
    {
        return length;
    }
}
