package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which status a SYNC_MASTER send gets when the slave's ack, the master's flush, or both miss the send's deadline.
 * Flushes are held by the test (on the master, the slave, or both) and the master's clock is the test's, so the
 * deadline passes when the test says; the slave stays in sync throughout (a lag time far longer than the test).
 */
@Timeout(120)
class ReplicationStatusTest
{
    private static final long DEADLINE_MS = 1000;

    @TempDir
    Path dir;

    private final CachedNanoClock clock = new CachedNanoClock();
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop()
    {
        executor.shutdownNow();
    }

    private BrokerContext master(final String flushDiskType, final String slaveAckPolicy, final FlushListener flushes)
    {
        clock.update(1_000_000_000L);
        return BrokerTestSupport.context(dir.resolve("master"))
            .set(BrokerContext.BROKER_ROLE, "SYNC_MASTER")
            .set(BrokerContext.FLUSH_DISK_TYPE, flushDiskType)
            .set(BrokerContext.SLAVE_ACK_POLICY, slaveAckPolicy)
            .set(BrokerContext.SYNC_FLUSH_TIMEOUT, Long.toString(DEADLINE_MS))
            .set(BrokerContext.HA_SLAVE_LAG_TIME, "3600000")
            .flushListener(flushes)
            .nanoClock(clock);
    }

    private BrokerContext slave(final Broker master, final FlushListener flushes)
    {
        return BrokerTestSupport.context(dir.resolve("slave"))
            .set(BrokerContext.BROKER_ROLE, "SLAVE")
            .set(BrokerContext.HA_MASTER_CHANNEL, master.haChannel())
            .flushListener(flushes);
    }

    /**
     * Send one message while something is held, pass its deadline, and return its status.
     */
    private SendStatus statusPastDeadline(final Broker master, final Broker slave, final Producer producer) throws Exception
    {
        return statusPastDeadline(master, slave, producer, () -> true);
    }

    /**
     * As {@link #statusPastDeadline(Broker, Broker, Producer)}, once the master also shows what the test is about:
     * the clock passes the deadline only then, so the answer does not depend on which thread ran first.
     */
    private SendStatus statusPastDeadline(final Broker master, final Broker slave, final Producer producer, final BooleanSupplier ready)
        throws Exception
    {
        final long storedBefore = master.sendsStored();
        final long writtenBefore = slave.slaveWrittenIndex();
        final Future<SendResult> pending = executor.submit(() -> producer.send(new Message().topic("held").body(new byte[64]), 30_000));
        awaitTrue("stored on the master", () -> master.sendsStored() == storedBefore + 1);
        awaitTrue("written on the slave", () -> slave.slaveWrittenIndex() > writtenBefore);
        awaitTrue("the master ready for the deadline", ready);
        clock.advance(TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS + 1));
        return pending.get(30, TimeUnit.SECONDS).status();
    }

    @Test
    void shouldAnswerFlushSlaveTimeoutWhenTheSlaveHasNotFlushedItByTheDeadline() throws Exception
    {
        final FlushPolicyTest.HeldFlusher slaveFlushes = new FlushPolicyTest.HeldFlusher();
        try (Broker master = Broker.launch(master("ASYNC_FLUSH", "FLUSHED", FlushListener.NONE));
            Broker slave = Broker.launch(slave(master, slaveFlushes));
            Producer producer = producer(master))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            assertEquals(SendStatus.FLUSH_SLAVE_TIMEOUT, statusPastDeadline(master, slave, producer));
            assertEquals(1, master.flushSlaveTimeouts());
            assertEquals(1, master.slavesInSync(), "still in sync: only this message's ack was late");

            slaveFlushes.release.countDown();
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("on.time").body(new byte[8]), 30_000).status());
            assertEquals(1, master.flushSlaveTimeouts(), "the timeout belonged to the late message only");
        }
    }

    @Test
    void shouldAnswerFlushDiskTimeoutWhenTheSlaveHasItButTheMastersFlushIsLate() throws Exception
    {
        final FlushPolicyTest.HeldFlusher masterFlushes = new FlushPolicyTest.HeldFlusher();
        try (Broker master = Broker.launch(master("SYNC_FLUSH", "WRITTEN", masterFlushes));
            Broker slave = Broker.launch(slave(master, FlushListener.NONE));
            Producer producer = producer(master))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            final long index = master.replicatedIndex();
            // the slave's ack must reach the master before the deadline: written on the slave is not enough (a run
            // on a busy host passed the deadline between the two and got FLUSH_SLAVE_TIMEOUT)
            assertEquals(SendStatus.FLUSH_DISK_TIMEOUT, statusPastDeadline(master, slave, producer, () -> master.replicatedIndex() > index));
            assertEquals(1, master.flushTimeouts());
            assertEquals(0, master.flushSlaveTimeouts());
            masterFlushes.release.countDown();
        }
    }

    @Test
    void shouldAnswerFlushSlaveTimeoutWhenBothTheSlaveAndTheMastersFlushAreLate() throws Exception
    {
        final FlushPolicyTest.HeldFlusher masterFlushes = new FlushPolicyTest.HeldFlusher();
        final FlushPolicyTest.HeldFlusher slaveFlushes = new FlushPolicyTest.HeldFlusher();
        try (Broker master = Broker.launch(master("SYNC_FLUSH", "FLUSHED", masterFlushes));
            Broker slave = Broker.launch(slave(master, slaveFlushes));
            Producer producer = producer(master))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            assertEquals(SendStatus.FLUSH_SLAVE_TIMEOUT, statusPastDeadline(master, slave, producer), "the replica's status wins");
            assertEquals(0, master.flushTimeouts());
            assertEquals(1, master.flushSlaveTimeouts());
            masterFlushes.release.countDown();
            slaveFlushes.release.countDown();
        }
    }

    private static Producer producer(final Broker broker)
    {
        final Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()));
        awaitTrue("producer connected", producer::isConnected);
        return producer;
    }
}
