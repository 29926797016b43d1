package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frames a real producer never sends: each is refused (error response where the producer is known,
 * a counter always), nothing is stored, and the broker keeps serving.
 */
@Timeout(120)
class BadInputTest
{
    @TempDir
    Path dir;

    private Broker broker;
    private MediaDriver clientDriver;
    private Aeron aeron;
    private RawClient raw;

    @BeforeEach
    void start()
    {
        broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.MAX_MESSAGE_SIZE, "1024"));
        clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
        raw = new RawClient(aeron, broker.udpChannel());
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(raw, aeron, clientDriver, broker);
    }

    @Test
    void shouldRejectGarbageTruncatedAndWrongVersionFramesAndKeepServing()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[512]);
        // 1. three bytes: shorter than an SBE header
        frame.putBytes(0, new byte[]{ 1, 2, 3 });
        raw.offer(frame, 3);
        // 2. 200 random bytes
        final byte[] garbage = new byte[200];
        ThreadLocalRandom.current().nextBytes(garbage);
        garbage[4] = 0x55; // make sure the schema id is not ours by accident
        frame.putBytes(0, garbage);
        raw.offer(frame, garbage.length);
        // 3. a valid send request whose header claims schema version 99
        int length = raw.encodeSend(1, "orders", new byte[10]);
        raw.buffer.putShort(MessageHeaderEncoder.versionEncodingOffset(), (short)99);
        raw.offer(raw.buffer, length);
        // 4. a valid send request from a producer that never connected
        length = raw.encodeSend(2, "orders", new byte[10]);
        raw.offer(raw.buffer, length);

        awaitTrue("three frames rejected", () -> broker.framesRejected() >= 3);
        awaitTrue("unknown producer counted", () -> broker.unknownProducerRequests() >= 1);

        assertBrokerStillServes();
        assertEquals(3, broker.framesRejected(), "short, garbage and wrong-version frames, each once");
        assertEquals(1, broker.unknownProducerRequests(), "the send of a producer that never connected");
        final List<BrokerTestSupport.Stored> stored = closeAndRead();
        assertEquals(1, stored.size(), "only the real producer's message is stored");
        assertEquals("after.bad.input", stored.get(0).topic());
    }

    @Test
    void shouldAnswerMalformedSendsFromAConnectedProducerWithErrors()
    {
        raw.connect();

        // body over maxMessageSize (1024), bypassing the producer library's own check
        int length = raw.encodeSend(1, "orders", new byte[2000]);
        raw.offer(raw.buffer, length);
        assertTrue(raw.awaitResponse("too large", (r) -> r.startsWith("RESPONSE 1 ")).contains("MESSAGE_TOO_LARGE"));

        // topic with a space and a slash
        length = raw.encodeSend(2, "bad topic/x", new byte[10]);
        raw.offer(raw.buffer, length);
        assertTrue(raw.awaitResponse("bad topic", (r) -> r.startsWith("RESPONSE 2 ")).contains("INVALID_TOPIC"));

        // body length field larger than the frame
        length = raw.encodeSend(3, "orders", new byte[10]);
        raw.buffer.putInt(length - 14, 100_000);
        raw.offer(raw.buffer, length);
        assertTrue(raw.awaitResponse("bad length", (r) -> r.startsWith("RESPONSE 3 ")).contains("INVALID_REQUEST"));

        // frame cut short in the middle of the topic: answered, since the producer and sequence are in the fixed block
        length = raw.encodeSend(4, "orders", new byte[10]);
        raw.offer(raw.buffer, MessageHeaderEncoder.ENCODED_LENGTH + 23);
        final String truncated = raw.awaitResponse("truncated", (r) -> r.startsWith("RESPONSE 4 "));
        assertTrue(truncated.contains("INVALID_REQUEST") && truncated.contains("truncated"), truncated);
        assertEquals(4, broker.sendsRefused());

        // and a good one from the same raw client is stored
        length = raw.encodeSend(5, "raw.ok", new byte[]{ 1, 2, 3 });
        raw.offer(raw.buffer, length);
        assertTrue(raw.awaitResponse("ok", (r) -> r.startsWith("RESPONSE 5 ")).contains("SEND_OK"));

        assertBrokerStillServes();
        final List<BrokerTestSupport.Stored> stored = closeAndRead();
        assertEquals(List.of("raw.ok", "after.bad.input"), stored.stream().map(BrokerTestSupport.Stored::topic).toList());
    }

    @Test
    void shouldNotAnswerToAnEndpointOtherThanTheRequestSource()
    {
        // a connect naming 127.0.0.2 as its response endpoint while its requests come from 127.0.0.1:
        // the broker must not send traffic to an address the client merely names
        final io.peregrine.transport.codec.ConnectEncoder encoder = new io.peregrine.transport.codec.ConnectEncoder();
        encoder.wrapAndApplyHeader(raw.buffer, 0, raw.headerEncoder)
            .producerId(raw.producerId)
            .responseStreamId(Protocol.RESPONSE_STREAM_ID)
            .responseSessionId(7)
            .maxMessageSize(1024)
            .responseWindow(128 * 1024)
            .producerGroup("spoof")
            .instanceName("spoof")
            .responseEndpoint("127.0.0.2:9")
            .clientVersion("test");
        raw.offer(raw.buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        awaitTrue("spoofed connect refused", () -> broker.unknownProducerRequests() >= 1);
        assertEquals(0, broker.producersConnected());
        assertEquals(1, broker.unknownProducerRequests());
        assertBrokerStillServes();
    }

    private void assertBrokerStillServes()
    {
        try (Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(1024)))
        {
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("after.bad.input").body(new byte[100]), 20_000).status());
        }
    }

    private List<BrokerTestSupport.Stored> closeAndRead()
    {
        broker.close();
        return BrokerTestSupport.readJournal(dir);
    }
}
