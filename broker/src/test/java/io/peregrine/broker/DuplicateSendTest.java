package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.peregrine.transport.EmbeddedDriver;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resend (same producer id and sequence) is stored once and answered with the first copy's index:
 * in order, out of order, and across a broker restart.
 */
@Timeout(120)
class DuplicateSendTest
{
    @TempDir
    Path dir;

    private MediaDriver clientDriver;
    private Aeron aeron;

    @BeforeEach
    void start()
    {
        clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(aeron, clientDriver);
    }

    private static long send(final RawClient raw, final long sequence, final String topic)
    {
        raw.offer(raw.buffer, raw.encodeSend(sequence, topic, new byte[]{ (byte)sequence }));
        final String response = raw.awaitResponse("answer to " + sequence, (r) -> r.startsWith("RESPONSE " + sequence + " "));
        assertTrue(response.startsWith("RESPONSE " + sequence + " SEND_OK "), response);
        return Long.parseLong(response.substring(response.lastIndexOf(' ') + 1));
    }

    @Test
    void shouldStoreResendsOnceInAnyOrderAndAcrossRestart()
    {
        final long[] order = { 5, 3, 4, 1, 2, 9, 6, 8, 7 };
        final Map<Long, Long> indexBySequence = new HashMap<>();
        final long producerId;
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            RawClient raw = new RawClient(aeron, broker.udpChannel()))
        {
            producerId = raw.producerId;
            raw.connect();
            for (final long sequence : order)
            {
                indexBySequence.put(sequence, send(raw, sequence, "seq-" + sequence));
            }
            for (final long sequence : new long[]{ 3, 9, 1, 3 })
            {
                assertEquals(indexBySequence.get(sequence), send(raw, sequence, "resend"), "resend of " + sequence);
            }
            assertEquals(4, broker.duplicatesReceived());
            assertEquals(order.length, broker.sendsStored());
        }

        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            RawClient raw = new RawClient(aeron, broker.udpChannel(), producerId))
        {
            raw.connect();
            assertEquals(indexBySequence.get(7L), send(raw, 7, "resend.after.restart"), "window rebuilt from the journal");
            final long index = send(raw, 10, "seq-10");
            assertTrue(index > indexBySequence.get(7L));
            assertEquals(1, broker.sendsStored());
        }

        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(order.length + 1, stored.size(), "every sequence stored exactly once");
        for (int i = 0; i < order.length; i++)
        {
            assertEquals(order[i], stored.get(i).sequence());
            assertEquals("seq-" + order[i], stored.get(i).topic());
        }
    }

    @Test
    void shouldRefuseResendsOlderThanTheWindowButStoreLateFirstAttempts()
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            RawClient raw = new RawClient(aeron, broker.udpChannel()))
        {
            raw.connect();
            send(raw, ProducerHistory.WINDOW + 10, "high");

            // a resend this old: the broker cannot know whether it stored it
            final int length = raw.encodeSend(5, "too.old", new byte[1]);
            raw.buffer.putByte(io.peregrine.transport.codec.MessageHeaderEncoder.ENCODED_LENGTH +
                io.peregrine.transport.codec.SendRequestEncoder.flagsEncodingOffset(), (byte)0b101); // waitStoreMsgOK | resend
            raw.offer(raw.buffer, length);
            final String response = raw.awaitResponse("answer to 5", (r) -> r.startsWith("RESPONSE 5 "));
            assertTrue(response.contains("SEQUENCE_OUTSIDE_WINDOW"), response);
            assertEquals(1, broker.sendsStored());

            // the same old sequence as a first attempt (its sender was descheduled for a long time): stored
            send(raw, 6, "late.first.attempt");
            assertEquals(2, broker.sendsStored());
        }
    }
}
