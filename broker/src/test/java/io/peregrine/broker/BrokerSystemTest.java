package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.Protocol;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class BrokerSystemTest
{
    @TempDir
    Path dir;

    private Broker broker;
    private Producer producer;

    @BeforeEach
    void start()
    {
        broker = Broker.launch(new BrokerContext()
            .set(BrokerContext.STORE_PATH_ROOT_DIR, dir.resolve("store").toString())
            .set(BrokerContext.AERON_DIR, dir.resolve("aeron-broker").toString())
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0"));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(producer, broker);
    }

    @Test
    void shouldStoreMixedSizesByteExactInOrderOverUdp()
    {
        producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(1024 * 1024));
        final int[] sizes = { 0, 1, 64, 1000, 1500, 4096, 65536, 100_000, 512 * 1024 };
        final List<byte[]> bodies = new ArrayList<>();
        final List<SendResult> results = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++)
        {
            final byte[] body = new byte[sizes[i]];
            for (int j = 0; j < body.length; j++)
            {
                body[j] = (byte)(j * 31 + i);
            }
            bodies.add(body);
            final SendResult result = producer.send(new Message().topic("mixed.sizes").body(body), 10_000);
            assertEquals(SendStatus.SEND_OK, result.status());
            results.add(result);
        }
        broker.close();

        try (Journal journal = Journal.open(dir.resolve("store/journal").toFile(),
            JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 4 * 1024 * 1024), true);
            Journal.JournalReader reader = journal.reader())
        {
            for (int i = 0; i < sizes.length; i++)
            {
                final int expected = i;
                assertTrue(reader.readNext((record) ->
                {
                    assertNull(record.validate());
                    assertEquals(results.get(expected).journalIndex(), record.index());
                    assertEquals(producer.producerId(), record.producerId());
                    assertEquals(results.get(expected).sequence(), record.sequence());
                    assertEquals("mixed.sizes", record.topic());
                    final byte[] stored = new byte[record.bodyLength()];
                    record.buffer().getBytes(record.bodyOffset(), stored);
                    assertArrayEquals(bodies.get(expected), stored);
                }), "record " + i + " missing");
            }
        }
    }
}
