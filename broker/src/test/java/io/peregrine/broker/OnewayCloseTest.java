package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Oneway sends get no answer, so close is where the producer learns whether they arrived: it hands everything
 * accepted to the broker and waits for the answer to its Close, which comes once all of that is stored.
 */
@Timeout(180)
class OnewayCloseTest
{
    private static final int COUNT = 50_000;

    @TempDir
    Path dir;

    private Broker broker;
    private Producer producer;

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(producer, broker);
    }

    @Test
    void shouldStoreEveryAcceptedOnewaySendWhenTheProducerClosesRightAfterSending()
    {
        // what is tried: 50,000 oneway sends of 256 B as fast as the queue takes them (about 15 MB, more than the send
        // queue and the publication's window hold), then close at once. Before close drained and waited for the
        // broker, about three quarters of them were never sent
        broker = Broker.launch(BrokerTestSupport.context(dir));
        producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(64 * 1024));
        assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("warmup").body(new byte[1]), 20_000).status());

        final Message message = new Message().topic("oneway");
        final byte[] body = new byte[256];
        int accepted = 0;
        while (accepted < COUNT)
        {
            body[0] = (byte)accepted;
            final long result = producer.sendOneway(message.body(body));
            if (result > 0)
            {
                accepted++;
            }
            else
            {
                assertEquals(Producer.BACK_PRESSURED, result, producer.codeText(result));
                Thread.yield();
            }
        }
        producer.close();

        assertEquals(COUNT, producer.onewaySent());
        assertEquals(0, producer.onewayUnconfirmed(), "the broker confirmed every oneway send stored");
        assertEquals(COUNT + 1, broker.sendsStored(), "stored by the time close returned, without waiting for it");
        broker.close();
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(COUNT + 1, stored.size());
        for (int i = 0; i < COUNT; i++)
        {
            assertEquals((byte)i, stored.get(i + 1).body()[0], "one thread's oneway sends are stored in order");
        }
    }

    @Test
    void shouldCountOnewaySendsTheBrokerDidNotStoreAsUnconfirmed()
    {
        // what is tried: oneway sends the producer accepts but the broker refuses (its disk below the floor: STORE_FULL,
        // answered to nobody since oneway sends get no answer); close must say how many were not stored
        final long floor = 1L << 30;
        final AtomicLong free = new AtomicLong(10 * floor);
        broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.DISK_SPACE_FLOOR, "1g").usableSpace(free::get));
        producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).retryTimesWhenSendFailed(0));
        final Message message = new Message().topic("oneway").body(new byte[16]);
        assertEquals(SendStatus.SEND_OK, producer.send(message, 20_000).status());
        for (int i = 0; i < 10; i++)
        {
            assertTrue(producer.sendOneway(message) > 0);
        }
        awaitTrue("10 oneway sends stored", () -> broker.sendsStored() == 11);

        free.set(floor - 1);
        awaitTrue("the broker noticed the disk is full (it checks every 100 ms)", () ->
        {
            try
            {
                producer.send(message, 20_000);
                return false;
            }
            catch (final SendException ex)
            {
                assertEquals(ErrorKind.STORE_FULL, ex.kind(), ex.getMessage());
                return true;
            }
        });
        final long storedWhileFull = broker.sendsStored(); // the probes before the broker noticed were stored
        for (int i = 0; i < 7; i++)
        {
            assertTrue(producer.sendOneway(message) > 0);
        }
        producer.close();

        assertEquals(17, producer.onewaySent());
        assertEquals(7, producer.onewayUnconfirmed(), "the 7 refused while the store was full");
        assertEquals(storedWhileFull, broker.sendsStored());
    }

    @Test
    void shouldAnswerSendsStoredBeforeTheCloseBeforeClosing() throws Exception
    {
        // what is tried: under SYNC_FLUSH, ten async sends are appended behind a flush the test holds, and the producer
        // closes meanwhile. Its Close must be answered only after those sends are (flushed and) answered, so each gets
        // SEND_OK, not CLOSED: the broker used to answer Close at once and drop the later answers
        final FlushPolicyTest.HeldFlusher held = new FlushPolicyTest.HeldFlusher();
        broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").flushListener(held));
        producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).closeTimeoutMs(60_000));
        awaitTrue("connected", producer::isConnected);
        final java.util.concurrent.ConcurrentLinkedQueue<String> outcomes = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final io.peregrine.producer.SendCallback callback = new io.peregrine.producer.SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                outcomes.add(status.name());
            }

            public void onError(final long sequence, final SendException error)
            {
                outcomes.add(error.kind().name());
            }
        };
        final Message message = new Message().topic("before.close").body(new byte[32]);
        for (int i = 0; i < 10; i++)
        {
            assertTrue(producer.sendAsync(message, 60_000, callback) > 0);
        }
        awaitTrue("all appended", () -> broker.sendsStored() == 10);
        awaitTrue("a flush started and is held", () -> held.flushesStarted.get() > 0);

        final Thread closing = new Thread(producer::close, "closing");
        closing.start();
        assertTrue(outcomes.isEmpty(), "nothing answered while the flush is held");
        held.release.countDown();
        closing.join(60_000);
        assertTrue(!closing.isAlive(), "close returned once the broker answered its Close");
        assertEquals(java.util.Collections.nCopies(10, "SEND_OK"), List.copyOf(outcomes));
    }
}
