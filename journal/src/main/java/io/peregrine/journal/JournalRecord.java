package io.peregrine.journal;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.checksum.Crc32c;

/**
 * Layout of a journal record, version 1:
 * <pre>
 *   [SBE message header][RecordHeader block][topic length + topic][body][crc32c trailer, int32 LE]
 * </pre>
 * The trailer is the CRC32C of every byte before it. It is written last, so a record cut short by a
 * crash fails the check.
 */
public final class JournalRecord
{
    /**
     * "PRG1" in ASCII, first field of every record header.
     */
    public static final long MAGIC = 0x50524731L;

    /**
     * Version of the record layout written by this build.
     */
    public static final short VERSION = 1;

    /**
     * Flag of a record a starting broker voided: it failed its check after a crash (an append whose bytes only
     * partly reached the disk) and was overwritten, at its length, by a record with no producer, no topic and
     * a zero body. Readers pass over it; no request can set it.
     */
    public static final int FLAG_VOIDED = 0x80;

    /**
     * The flags a request may carry into its record.
     */
    public static final int REQUEST_FLAGS_MASK = 0x7F;

    /**
     * Length of the CRC32C trailer.
     */
    public static final int TRAILER_LENGTH = 4;

    /**
     * Offset of the appended timestamp, which the journal writer fills in just before appending.
     */
    public static final int APPENDED_EPOCH_NS_OFFSET =
        MessageHeaderEncoder.ENCODED_LENGTH + RecordHeaderEncoder.appendedEpochNsEncodingOffset();

    /**
     * Fixed part of a header, before the topic bytes.
     */
    public static final int FIXED_HEADER_LENGTH =
        MessageHeaderEncoder.ENCODED_LENGTH + RecordHeaderEncoder.BLOCK_LENGTH + RecordHeaderEncoder.topicHeaderLength();

    private JournalRecord()
    {
    }

    /**
     * Length of a record holding the given topic and body, trailer included.
     *
     * @param topicLength bytes of the topic.
     * @param bodyLength  bytes of the body.
     * @return record length.
     */
    public static int recordLength(final int topicLength, final int bodyLength)
    {
        return FIXED_HEADER_LENGTH + topicLength + bodyLength + TRAILER_LENGTH;
    }

    /**
     * Encode a record header; the caller writes the body right after it and leaves room for the trailer.
     *
     * @param header          encoder to reuse.
     * @param messageHeader   encoder to reuse.
     * @param buffer          to encode into.
     * @param offset          where the record starts.
     * @param producerId      of the sender.
     * @param sequence        of the message.
     * @param receivedEpochNs when the broker received it.
     * @param flags           the request's flags (only {@link #REQUEST_FLAGS_MASK} of them are kept).
     * @param topic           buffer holding the topic bytes.
     * @param topicOffset     of the topic bytes.
     * @param topicLength     of the topic bytes.
     * @param bodyLength      of the body that will follow.
     * @return header length, i.e. the offset of the body relative to the record.
     */
    public static int encodeHeader(
        final RecordHeaderEncoder header,
        final MessageHeaderEncoder messageHeader,
        final MutableDirectBuffer buffer,
        final int offset,
        final long producerId,
        final long sequence,
        final long receivedEpochNs,
        final int flags,
        final DirectBuffer topic,
        final int topicOffset,
        final int topicLength,
        final int bodyLength)
    {
        header.wrapAndApplyHeader(buffer, offset, messageHeader)
            .magic(MAGIC)
            .recordVersion(VERSION)
            .producerId(producerId)
            .sequence(sequence)
            .receivedEpochNs(receivedEpochNs)
            .appendedEpochNs(0)
            .flags((short)(flags & REQUEST_FLAGS_MASK))
            .bodyLength(bodyLength)
            .putTopic(topic, topicOffset, topicLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + header.encodedLength();
    }

    /**
     * CRC32C of a region of native memory.
     *
     * @param address of the first byte.
     * @param length  of the region.
     * @return the checksum.
     */
    public static int crc(final long address, final int length)
    {
        return Crc32c.INSTANCE.compute(address, 0, length);
    }
}
