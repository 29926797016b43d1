package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.driver.ext.DebugReceiveChannelEndpoint;
import io.aeron.driver.ext.DebugSendChannelEndpoint;
import io.aeron.driver.ext.LossGenerator;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lossy replication link, made with Aeron's debug channel endpoints in the slave's media driver: they drop a share
 * of the data frames the slave receives (records, heartbeats) and sends (hellos, acks). At 5% loss Aeron's NAKs repair
 * the streams: every SYNC_MASTER send is answered, every SEND_OK record is on the slave when answered, nothing is
 * stored twice. At 100% loss sends are answered FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE, never SEND_OK; once the
 * link heals the slave catches up and SEND_OK comes back. The journals end equal.
 */
@Timeout(180)
class ReplicationLossTest
{
    @TempDir
    Path dir;

    /**
     * Drops frames at a rate the test changes while the driver runs (called on the driver's thread).
     */
    static final class SwitchableLoss implements LossGenerator
    {
        volatile double rate;
        final AtomicLong dropped = new AtomicLong();
        private final Random random = new Random(7);

        public boolean shouldDropFrame(final InetSocketAddress address, final UnsafeBuffer buffer, final int length)
        {
            final double rate = this.rate;
            final boolean drop = rate >= 1.0 || (rate > 0 && random.nextDouble() < rate);
            if (drop)
            {
                dropped.incrementAndGet();
            }
            return drop;
        }
    }

    @Test
    void shouldRepairFivePercentLossAndAnswerEverySendThroughAnOutageUntilItHeals()
    {
        final SwitchableLoss loss = new SwitchableLoss();
        final LossGenerator none = (address, buffer, length) -> false;
        final List<String> violations = new CopyOnWriteArrayList<>();
        final Map<SendStatus, Long> statuses = new EnumMap<>(SendStatus.class);
        long sent = 0;
        try (Broker master = Broker.launch(BrokerTestSupport.context(dir.resolve("master"))
            .set(BrokerContext.BROKER_ROLE, "SYNC_MASTER")
            .set(BrokerContext.SYNC_FLUSH_TIMEOUT, "2000")
            .set(BrokerContext.HA_SLAVE_LAG_TIME, "1000")
            .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000"));
            Broker slave = Broker.launch(BrokerTestSupport.context(dir.resolve("slave"))
                .set(BrokerContext.BROKER_ROLE, "SLAVE")
                .set(BrokerContext.HA_MASTER_CHANNEL, master.haChannel())
                .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000")
                .driverCustomizer((driver) -> driver
                    .receiveChannelEndpointSupplier((channel, dispatcher, status, context) ->
                        new DebugReceiveChannelEndpoint(channel, dispatcher, status, context, loss, none))
                    .sendChannelEndpointSupplier((channel, status, context) ->
                        new DebugSendChannelEndpoint(channel, status, context, loss, none))));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(master.udpChannel())))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            awaitTrue("producer connected", producer::isConnected);

            loss.rate = 0.05;
            final AtomicLong answered = new AtomicLong();
            final SendCallback callback = new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    if (status == SendStatus.SEND_OK && slave.slaveWrittenIndex() < journalIndex)
                    {
                        violations.add("SEND_OK for index " + journalIndex + " with the slave at " + slave.slaveWrittenIndex());
                    }
                    synchronized (statuses)
                    {
                        statuses.merge(status, 1L, Long::sum);
                    }
                    answered.incrementAndGet();
                }

                public void onError(final long sequence, final SendException error)
                {
                    violations.add(error.toString());
                    answered.incrementAndGet();
                }
            };
            final int[] sizes = { 64, 1000, 16 * 1024 };
            for (int i = 0; i < 3000; i++)
            {
                while (producer.sendAsync(new Message().topic("lossy").body(new byte[sizes[i % sizes.length]]), 20_000, callback) < 0)
                {
                    Thread.yield();
                }
                sent++;
            }
            final long lossySends = sent;
            awaitTrue("every send under 5% loss answered", () -> answered.get() == lossySends);
            assertEquals(List.of(), violations);
            assertTrue(loss.dropped.get() > 0, "frames were dropped");
            assertTrue(statuses.getOrDefault(SendStatus.SEND_OK, 0L) > 0, statuses.toString());
            System.out.println("replication at 5% loss: " + statuses + ", frames dropped " + loss.dropped.get());

            awaitTrue("slave in sync before the outage", () -> master.slavesInSync() == 1);
            loss.rate = 1.0;
            while (master.slavesInSync() > 0)
            {
                final SendStatus status = producer.send(new Message().topic("outage").body(new byte[100]), 20_000).status();
                sent++;
                assertTrue(status == SendStatus.FLUSH_SLAVE_TIMEOUT || status == SendStatus.SLAVE_NOT_AVAILABLE, status.toString());
            }
            assertEquals(SendStatus.SLAVE_NOT_AVAILABLE, producer.send(new Message().topic("outage").body(new byte[100]), 20_000).status());
            sent++;

            loss.rate = 0;
            awaitTrue("slave back in sync once the link heals", () -> master.slavesInSync() == 1);
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("healed").body(new byte[100]), 20_000).status());
            sent++;
            final long expected = master.replicatedIndex();
            awaitTrue("slave has all", () -> slave.slaveWrittenIndex() == expected);
            assertNotEquals(0, master.slaveNotAvailable());
        }
        final List<String> copy = BrokerTestSupport.digest(dir.resolve("slave"));
        assertEquals(sent, copy.size(), "every send stored once");
        assertEquals(BrokerTestSupport.digest(dir.resolve("master")), copy);
    }
}
