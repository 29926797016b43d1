package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendResults;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch sends: one request, one stored record and one result per message.
 */
@Timeout(120)
class BatchSendTest
{
    @TempDir
    Path dir;

    private Broker broker;
    private Producer producer;

    @BeforeEach
    void start()
    {
        broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.MAX_MESSAGE_SIZE, "262144"));
        producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(1024 * 1024));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(producer, broker);
    }

    @Test
    void shouldFillAReusableHolderForSendsAndBatchesAlike()
    {
        // what is tried: one holder reused for a single send, a batch of three, then a single send again; each call
        // leaves exactly its own outcomes in it, matching what was stored
        final SendResults results = new SendResults(1);
        final Message one = new Message().topic("holder").body(new byte[]{ 1 });
        producer.send(one, 20_000, results);
        assertEquals(1, results.count());
        assertEquals(SendStatus.SEND_OK, results.status(0));
        final long first = results.journalIndex(0);

        final List<Message> three = List.of(new Message().topic("holder").body(new byte[]{ 2 }),
            new Message().topic("holder").body(new byte[]{ 3 }), new Message().topic("holder").body(new byte[]{ 4 }));
        producer.sendBatch(three, 20_000, results);
        assertEquals(3, results.count(), "grown for the batch");
        for (int i = 0; i < 3; i++)
        {
            assertEquals(SendStatus.SEND_OK, results.status(i));
            assertEquals(first + 1 + i, results.journalIndex(i));
            assertEquals(results.sequence(0) + i, results.sequence(i));
        }
        assertEquals(producer.msgId(results.sequence(2)), results.msgId(2));

        producer.send(one, 20_000, results);
        assertEquals(1, results.count());
        assertEquals(first + 4, results.journalIndex(0));
        assertThrows(IndexOutOfBoundsException.class, () -> results.status(1), "only this send's outcome is there");

        producer.close();
        broker.close();
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(5, stored.size());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(i + 1, stored.get(i).body()[0]);
        }
    }

    @Test
    void shouldStoreEveryMessageOfABatchInOrderWithOneResultEach()
    {
        final List<Message> batch = new ArrayList<>();
        final List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 200; i++)
        {
            final byte[] body = new byte[i * 7 % 1500];
            java.util.Arrays.fill(body, (byte)i);
            bodies.add(body);
            batch.add(new Message().topic("batched").body(body));
        }
        final List<SendResult> results = producer.sendBatch(batch, 20_000);
        assertEquals(200, results.size());
        for (int i = 0; i < 200; i++)
        {
            assertEquals(SendStatus.SEND_OK, results.get(i).status());
            assertEquals(results.get(0).sequence() + i, results.get(i).sequence(), "consecutive message ids");
            if (i > 0)
            {
                assertTrue(results.get(i).journalIndex() > results.get(i - 1).journalIndex());
            }
        }
        final SendResult single = producer.send(new Message().topic("after.batch").body(new byte[3]));
        assertEquals(SendStatus.SEND_OK, single.status());

        producer.close();
        broker.close();
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(201, stored.size());
        for (int i = 0; i < 200; i++)
        {
            assertEquals("batched", stored.get(i).topic());
            assertEquals(results.get(i).journalIndex(), stored.get(i).index());
            assertArrayEquals(bodies.get(i), stored.get(i).body());
        }
    }

    @Test
    void shouldRefuseBatchesOfMixedTopicsOrOverTheLimitBeforeSending()
    {
        final SendException mixed = assertThrows(SendException.class, () -> producer.sendBatch(List.of(
            new Message().topic("a").body(new byte[1]), new Message().topic("b").body(new byte[1]))));
        assertEquals(ErrorKind.INVALID_TOPIC, mixed.kind());

        final List<Message> big = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            big.add(new Message().topic("big").body(new byte[100_000]));
        }
        final SendException tooLarge = assertThrows(SendException.class, () -> producer.sendBatch(big, 20_000));
        assertEquals(ErrorKind.MESSAGE_TOO_LARGE, tooLarge.kind());
        assertTrue(tooLarge.getMessage().contains("300000") && tooLarge.getMessage().contains("262144"), tooLarge.getMessage());
        assertEquals(0, broker.sendsStored());
    }
}
