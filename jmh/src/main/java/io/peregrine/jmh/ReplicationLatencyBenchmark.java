package io.peregrine.jmh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Round trip of one blocking {@code send} to a master with one slave, against message size, producer transport and
 * role: under SYNC_MASTER SEND_OK waits for the slave's ack (slaveAckPolicy=WRITTEN), under ASYNC_MASTER it does not
 * though the slave is fed the same way. Master, slave and their media drivers run in this JVM; the replication hop is
 * Aeron UDP on loopback. Compare SYNC_MASTER with ASYNC_MASTER of the same run: the difference is the replication
 * hop, whose floor is {@link AeronRoundTripFloorBenchmark} over UDP plus {@link JournalFloorBenchmark#append}.
 *
 * <p>Each iteration starts a fresh master and slave on fresh stores and deletes them afterwards.
 */
@State(Scope.Benchmark)
public class ReplicationLatencyBenchmark extends SampledLatencyBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    @Param({ "ipc", "udp" })
    String transport;

    @Param({ "ASYNC_MASTER", "SYNC_MASTER" })
    String role;

    /**
     * Pre-touch on master and slave (the broker default); {@code -p pretouch=false} measures without.
     */
    @Param({ "true" })
    boolean pretouch;

    BenchmarkBroker fixture;
    Broker slave;
    Producer producer;
    Message message;

    /**
     * A fresh master, slave, stores and producer for this iteration; returns once the slave is in sync.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker(transport, 1, 4096, "ASYNC_FLUSH", pretouch, 0, (ctx) -> ctx.set(BrokerContext.BROKER_ROLE, role)
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(BenchmarkBroker.MAX_MESSAGE_SIZE)));
        slave = Broker.launch(new BrokerContext()
            .set(BrokerContext.BROKER_ROLE, "SLAVE")
            .set(BrokerContext.PRETOUCH, Boolean.toString(pretouch))
            .set(BrokerContext.STORE_PATH_ROOT_DIR, fixture.dir.resolve("slave/store").toString())
            .set(BrokerContext.AERON_DIR, fixture.dir.resolve("slave/aeron").toString())
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(BenchmarkBroker.MAX_MESSAGE_SIZE))
            .set(BrokerContext.HA_MASTER_CHANNEL, fixture.broker.haChannel()));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (fixture.broker.slavesInSync() != 1)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("slave not in sync within 30 s");
            }
            Thread.yield();
        }
        producer = fixture.producers.get(0);
        if (null == message)
        {
            message = new Message().topic("replicated").body(new byte[size]);
        }
    }

    /**
     * Stop both brokers and delete their stores.
     *
     * @throws IOException if a store cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void stop() throws IOException
    {
        CloseHelper.closeAll(fixture.producers);
        CloseHelper.close(slave);
        fixture.close();
    }

    /**
     * One blocking send, back when the master answered SEND_OK (a failure ends the run with its exception).
     *
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus send()
    {
        return sendOk(producer, message, SEND_TIMEOUT_MS);
    }
}
