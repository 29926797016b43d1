package io.peregrine.broker;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peregrine.transport.codec.BatchSendRequestEncoder;
import io.peregrine.transport.codec.ConnectEncoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.SendRequestEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Request frames checked against their own length before any decoder reads them. Each frame is copied into a buffer of
 * exactly its length, so a read past it would throw instead of reading what follows it in a term.
 */
class RequestFramesTest
{
    private static final int MAX = 1024;

    private final RequestFrames frames = new RequestFrames();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);

    private static UnsafeBuffer exactly(final UnsafeBuffer source, final int length)
    {
        final byte[] bytes = new byte[length];
        source.getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }

    private int connect(final String group)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + new ConnectEncoder().wrapAndApplyHeader(scratch, 0, new MessageHeaderEncoder())
            .producerId(1).responseStreamId(2).responseSessionId(3).maxMessageSize(4).responseWindow(5)
            .producerGroup(group).instanceName("instance").responseEndpoint("127.0.0.1:4000").clientVersion("0.1.0")
            .encodedLength();
    }

    private int send(final String topic, final int bodyLength)
    {
        final SendRequestEncoder encoder = new SendRequestEncoder().wrapAndApplyHeader(scratch, 0, new MessageHeaderEncoder())
            .producerId(1).sequence(2).timeBudgetMs(3);
        encoder.topic(topic);
        encoder.putBody(new byte[bodyLength], 0, bodyLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int batch(final String topic, final int... bodyLengths)
    {
        final BatchSendRequestEncoder encoder = new BatchSendRequestEncoder().wrapAndApplyHeader(scratch, 0, new MessageHeaderEncoder())
            .producerId(1).baseSequence(2).timeBudgetMs(3);
        final BatchSendRequestEncoder.MessagesEncoder messages = encoder.messagesCount(bodyLengths.length);
        for (final int bodyLength : bodyLengths)
        {
            messages.next().putBody(new byte[bodyLength], 0, bodyLength);
        }
        encoder.topic(topic);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    @Test
    void shouldAcceptAWholeConnectAndRefuseOneWhoseStringsEndPastTheFrame()
    {
        final int length = connect("group");
        assertTrue(frames.checkConnect(exactly(scratch, length), 0, length));

        // what is tried: the frame cut one byte short, and a group length claiming 4000 bytes in a frame of ~60
        assertFalse(frames.checkConnect(exactly(scratch, length - 1), 0, length - 1));
        final int groupLengthOffset = MessageHeaderEncoder.ENCODED_LENGTH + ConnectEncoder.BLOCK_LENGTH;
        scratch.putShort(groupLengthOffset, (short)4000, LITTLE_ENDIAN);
        assertFalse(frames.checkConnect(exactly(scratch, length), 0, length));
        assertTrue(frames.errorText().contains("truncated"), frames.errorText());
        // cut inside the block's strings' length prefixes
        final int blockEnd = MessageHeaderEncoder.ENCODED_LENGTH + ConnectEncoder.BLOCK_LENGTH;
        assertFalse(frames.checkConnect(exactly(scratch, blockEnd + 1), 0, blockEnd + 1));
    }

    @Test
    void shouldLocateTheTopicAndBodyOfAValidSend()
    {
        final int length = send("orders", 100);
        assertEquals(ErrorCode.NONE, frames.checkSend(exactly(scratch, length), 0, length, MAX));
        assertEquals(6, frames.topicLength());
        assertEquals(100, frames.bodyLength());
        assertEquals(length - 100, frames.bodyOffset());
        assertEquals(frames.bodyOffset() - 4 - 6, frames.topicOffset());
    }

    @Test
    void shouldRefuseSendsWhoseLengthsDoNotFitTheFrame()
    {
        final int length = send("orders", 100);
        final int topicLengthOffset = MessageHeaderEncoder.ENCODED_LENGTH + SendRequestEncoder.BLOCK_LENGTH;

        // what is tried: the frame ends inside the topic's length prefix
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkSend(exactly(scratch, topicLengthOffset + 1), 0, topicLengthOffset + 1, MAX));
        assertTrue(frames.errorText().contains("truncated"), frames.errorText());

        // the body's declared length is one more than the frame holds, then negative
        final int bodyLengthOffset = length - 100 - 4;
        scratch.putInt(bodyLengthOffset, 101, LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkSend(exactly(scratch, length), 0, length, MAX));
        assertTrue(frames.errorText().contains("body length 101 does not match a frame of " + length), frames.errorText());
        scratch.putInt(bodyLengthOffset, -1, LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkSend(exactly(scratch, length), 0, length, MAX));

        // the topic's declared length runs past the frame
        send("orders", 100);
        scratch.putShort(topicLengthOffset, (short)60_000, LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkSend(exactly(scratch, length), 0, length, MAX));
    }

    @Test
    void shouldRefuseABadTopicAndABodyOverTheLimitNamingThem()
    {
        int length = send("bad topic", 1);
        assertEquals(ErrorCode.INVALID_TOPIC, frames.checkSend(exactly(scratch, length), 0, length, MAX));
        assertTrue(frames.errorText().contains("character ' '"), frames.errorText());

        length = send("orders", MAX + 1);
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, frames.checkSend(exactly(scratch, length), 0, length, MAX));
        assertEquals("message body of 1025 bytes is over the broker's maxMessageSize of 1024 bytes", frames.errorText());
    }

    @Test
    void shouldWalkAValidBatch()
    {
        final int length = batch("orders", 10, 0, 300);
        assertEquals(ErrorCode.NONE, frames.checkBatch(exactly(scratch, length), 0, length, MAX));
        assertEquals(3, frames.count());
        assertEquals(length - 6, frames.topicOffset());
        assertEquals(6, frames.topicLength());
    }

    @Test
    void shouldRefuseBatchesWhoseLengthsDoNotFitTheFrame()
    {
        // what is tried: no messages; a frame cut inside the second message; a body over the limit; a topic that does
        // not end the frame; each refused for every message it names (at least one)
        int length = batch("orders");
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkBatch(exactly(scratch, length), 0, length, MAX));
        assertEquals("batch has no messages", frames.errorText());
        assertEquals(1, frames.count());

        length = batch("orders", 10, 20, 30);
        final int cut = length - 6 - 2 - 30 - 4 - 5;
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkBatch(exactly(scratch, cut), 0, cut, MAX));
        assertEquals(3, frames.count());
        assertTrue(frames.errorText().contains("message 1"), frames.errorText());

        length = batch("orders", 10, MAX + 1);
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, frames.checkBatch(exactly(scratch, length), 0, length, MAX));
        assertEquals("message 1 of the batch has 1025 bytes, over the broker's maxMessageSize of 1024 bytes", frames.errorText());

        length = batch("orders", 10);
        assertEquals(ErrorCode.INVALID_REQUEST, frames.checkBatch(exactly(scratch, length + 3), 0, length + 3, MAX));
        assertEquals("batch topic does not end the frame", frames.errorText());

        length = batch("no/slash", 10);
        assertEquals(ErrorCode.INVALID_TOPIC, frames.checkBatch(exactly(scratch, length), 0, length, MAX));
    }
}
