package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.peregrine.journal.JournalCut;
import io.peregrine.journal.JournalRecord;
import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.codec.MessageHeaderEncoder;
import io.peregrine.transport.codec.ReplicaAckEncoder;
import io.peregrine.transport.codec.ReplicaHelloEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master and a slave broker in this JVM, each with its own media driver and store, replicating over loopback UDP:
 * the statuses SYNC_MASTER answers, the slave's copy record for record, catch-up after a slave restart, and what the
 * master and the slave refuse.
 */
@Timeout(180)
class ReplicationTest
{
    private static final long SEND_TIMEOUT_MS = 20_000;

    @TempDir
    Path dir;

    private BrokerContext master(final String role)
    {
        return BrokerTestSupport.context(dir.resolve("master"))
            .set(BrokerContext.BROKER_ROLE, role)
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
            .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000");
    }

    private BrokerContext slave(final Broker master)
    {
        return BrokerTestSupport.context(dir.resolve("slave"))
            .set(BrokerContext.BROKER_ROLE, "SLAVE")
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
            .set(BrokerContext.HA_MASTER_CHANNEL, master.haChannel())
            .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000");
    }

    private static Producer producer(final Broker broker)
    {
        final Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(256 * 1024));
        awaitTrue("producer connected", producer::isConnected);
        return producer;
    }

    @Test
    void shouldAnswerSlaveNotAvailableAtOnceWithoutASlaveAndStillStoreTheMessage()
    {
        // a deadline far beyond the send's own timeout: a send that waited for a slave would fail on the client's timeout
        try (Broker master = Broker.launch(master("SYNC_MASTER").set(BrokerContext.SYNC_FLUSH_TIMEOUT, "600000"));
            Producer producer = producer(master))
        {
            final SendResult result = producer.send(new Message().topic("orders").body(new byte[100]), SEND_TIMEOUT_MS);
            assertEquals(SendStatus.SLAVE_NOT_AVAILABLE, result.status());
            assertTrue(result.journalIndex() >= 0, "stored on the master: " + result);
            assertEquals(1, master.slaveNotAvailable());
            assertEquals(1, master.sendsStored());
            assertEquals(0, master.flushSlaveTimeouts());
        }
        assertEquals(1, BrokerTestSupport.digest(dir.resolve("master")).size());
    }

    @Test
    void shouldAnswerSendOkOnlyOnceTheSlaveWroteTheRecordAndKeepAnEqualCopy()
    {
        final List<String> violations = new CopyOnWriteArrayList<>();
        try (Broker master = Broker.launch(master("SYNC_MASTER").set(BrokerContext.SYNC_FLUSH_TIMEOUT, "600000"));
            Broker slave = Broker.launch(slave(master)))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            try (Producer producer = producer(master))
            {
                final AtomicLong answered = new AtomicLong();
                final SendCallback callback = new SendCallback()
                {
                    public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                    {
                        // the slave counts a record as written before it acks it, so this holds whenever SEND_OK is right
                        if (status != SendStatus.SEND_OK || slave.slaveWrittenIndex() < journalIndex)
                        {
                            violations.add(status + " for index " + journalIndex + " with the slave at " + slave.slaveWrittenIndex());
                        }
                        answered.incrementAndGet();
                    }

                    public void onError(final long sequence, final SendException error)
                    {
                        violations.add(error.toString());
                        answered.incrementAndGet();
                    }
                };
                final int[] sizes = { 0, 64, 1000, 8 * 1024, 100 * 1024, 256 * 1024 };
                final int count = 300;
                for (int i = 0; i < count; i++)
                {
                    final Message message = new Message().topic("orders").body(new byte[sizes[i % sizes.length]]);
                    while (producer.sendAsync(message, SEND_TIMEOUT_MS, callback) < 0)
                    {
                        Thread.yield();
                    }
                }
                awaitTrue("all answered", () -> answered.get() == count);
                assertEquals(List.of(), violations);
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("orders").body(new byte[10]), SEND_TIMEOUT_MS).status());
            }
            assertEquals(0, master.slaveNotAvailable());
            assertEquals(0, master.replicaAcksRefused());
        }
        final List<String> copy = BrokerTestSupport.digest(dir.resolve("slave"));
        assertEquals(301, copy.size());
        assertEquals(BrokerTestSupport.digest(dir.resolve("master")), copy);
    }

    @Test
    void shouldCatchUpARestartedSlaveAndAnswerSendOkAgainOnceItIsInSync()
    {
        try (Broker master = Broker.launch(master("SYNC_MASTER")))
        {
            try (Producer producer = producer(master))
            {
                try (Broker slave = Broker.launch(slave(master)))
                {
                    awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
                    for (int i = 0; i < 20; i++)
                    {
                        assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("a").body(new byte[500]), SEND_TIMEOUT_MS).status());
                    }
                    assertTrue(slave.slaveWrittenIndex() >= 0);
                }
                awaitTrue("slave gone (liveness)", () -> master.slavesConnected() == 0);
                final List<SendStatus> whileAway = new ArrayList<>();
                for (int i = 0; i < 30; i++)
                {
                    whileAway.add(producer.send(new Message().topic("b").body(new byte[2000]), SEND_TIMEOUT_MS).status());
                }
                assertEquals(30, whileAway.stream().filter((s) -> s == SendStatus.SLAVE_NOT_AVAILABLE).count(), whileAway.toString());

                try (Broker slave = Broker.launch(slave(master)))
                {
                    awaitTrue("restarted slave in sync", () -> master.slavesInSync() == 1);
                    assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("c").body(new byte[10]), SEND_TIMEOUT_MS).status());
                    awaitTrue("slave caught up", () -> slave.slaveWrittenIndex() == master.replicatedIndex());
                }
            }
        }
        final List<String> copy = BrokerTestSupport.digest(dir.resolve("slave"));
        assertEquals(51, copy.size());
        assertEquals(BrokerTestSupport.digest(dir.resolve("master")), copy);
    }

    @Test
    void shouldRefuseProducersOnASlaveNamingItsMaster()
    {
        try (Broker master = Broker.launch(master("ASYNC_MASTER"));
            Broker slave = Broker.launch(slave(master));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(slave.udpChannel())))
        {
            // tried: a producer sending to the slave instead of the master
            final SendException refused = assertThrows(SendException.class, () ->
            {
                final long deadline = System.nanoTime() + 30_000_000_000L;
                while (System.nanoTime() - deadline < 0)
                {
                    producer.send(new Message().topic("orders").body(new byte[8]), 1_000);
                }
            });
            assertEquals(ErrorKind.BROKER_IS_SLAVE, refused.kind(), refused.toString());
            assertTrue(refused.getMessage().contains(master.haChannel()), refused.getMessage());
            assertEquals(0, slave.sendsStored());
            assertEquals(-1, slave.slaveWrittenIndex(), "the slave's journal is untouched");
        }
    }

    @Test
    void shouldRefuseASlaveHoldingRecordsTheMasterDoesNotUntilItsStoreIsMovedAside() throws Exception
    {
        // the slave's store first served as a master of its own and took two messages the real master never had
        try (Broker former = Broker.launch(BrokerTestSupport.context(dir.resolve("slave"))); Producer producer = producer(former))
        {
            for (int i = 0; i < 2; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("lost").body(new byte[10]), SEND_TIMEOUT_MS).status());
            }
        }
        final List<String> diverged = BrokerTestSupport.digest(dir.resolve("slave"));
        try (Broker master = Broker.launch(master("ASYNC_MASTER")); Producer producer = producer(master))
        {
            final SendResult kept = producer.send(new Message().topic("kept").body(new byte[20]), SEND_TIMEOUT_MS);
            assertEquals(SendStatus.SEND_OK, kept.status());
            try (Broker slave = Broker.launch(slave(master)))
            {
                awaitTrue("the master refused the slave's hello", () -> slave.slaveRefusals() > 0);
                assertEquals(0, master.slavesInSync());
            }
            assertEquals(diverged, BrokerTestSupport.digest(dir.resolve("slave")), "a refused slave's journal is left as it was");

            // what the refusal tells the operator to do: move the slave's store aside and start it empty
            Files.createDirectories(dir.resolve("slave-diverged"));
            Files.move(dir.resolve("slave/store"), dir.resolve("slave-diverged/store"), StandardCopyOption.ATOMIC_MOVE);
            try (Broker slave = Broker.launch(slave(master)))
            {
                awaitTrue("the emptied slave in sync", () -> master.slavesInSync() == 1);
                awaitTrue("the emptied slave has the master's record", () -> slave.slaveWrittenIndex() == kept.journalIndex());
            }
        }
        assertEquals(BrokerTestSupport.digest(dir.resolve("master")), BrokerTestSupport.digest(dir.resolve("slave")));
        assertEquals(diverged, BrokerTestSupport.digest(dir.resolve("slave-diverged")), "the diverged records are kept aside");
    }

    @Test
    void shouldCutADivergedSlaveBackByItselfToWhatItSharesWithTheMasterKeepTheRestAsideAndFeedIt()
    {
        divergedOldMasterRejoins(true);
    }

    @Test
    void shouldRefuseADivergedSlaveNamingTheCutWhenItMayNotCutItselfAndFeedItOnceCutByTheCommand()
    {
        divergedOldMasterRejoins(false);
    }

    /**
     * A master and its slave share five records; the master takes three more alone and stops; the slave is promoted and
     * takes two of its own at the same indices; the old master joins it as a slave.
     */
    private void divergedOldMasterRejoins(final boolean autoCut)
    {
        final List<Long> shared = new ArrayList<>();
        try (Broker master = Broker.launch(master("SYNC_MASTER")); Producer producer = producer(master))
        {
            try (Broker slave = Broker.launch(slave(master)))
            {
                awaitTrue("slave in sync", () -> master.slavesInSync() == 1 && slave.slaveWrittenIndex() == -1);
                for (int i = 0; i < 5; i++)
                {
                    final SendResult result = producer.send(new Message().topic("shared").body(new byte[100 + i]), SEND_TIMEOUT_MS);
                    assertEquals(SendStatus.SEND_OK, result.status());
                    shared.add(result.journalIndex());
                }
            }
            // the slave is gone: the master stores three more that only it holds (answered SLAVE_NOT_AVAILABLE)
            for (int i = 0; i < 3; i++)
            {
                assertEquals(SendStatus.SLAVE_NOT_AVAILABLE,
                    producer.send(new Message().topic("master-only").body(new byte[50]), SEND_TIMEOUT_MS).status());
            }
        }
        final List<String> oldMasterJournal = BrokerTestSupport.digest(dir.resolve("master"));
        // the slave is promoted and takes two of its own at the indices the old master used
        final BrokerContext promoted = BrokerTestSupport.context(dir.resolve("slave"))
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
            .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000");
        try (Broker newMaster = Broker.launch(promoted); Producer producer = producer(newMaster))
        {
            for (int i = 0; i < 2; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("new-master").body(new byte[70]), SEND_TIMEOUT_MS).status());
            }
            final BrokerContext oldMaster = BrokerTestSupport.context(dir.resolve("master"))
                .set(BrokerContext.BROKER_ROLE, "SLAVE")
                .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
                .set(BrokerContext.HA_MASTER_CHANNEL, newMaster.haChannel())
                .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000")
                .set(BrokerContext.HA_SLAVE_AUTO_CUT, Boolean.toString(autoCut));
            // its checkpoints are 0, 1, 2 and 4 records before its last (the 8th): the 4th record is the newest shared one
            final long cutAfter = shared.get(3);
            final File kept;
            if (autoCut)
            {
                try (Broker rejoining = Broker.launch(oldMaster))
                {
                    awaitTrue("the old master cut back, in sync", () -> newMaster.slavesInSync() == 1);
                    awaitTrue("the old master caught up", () -> rejoining.slaveWrittenIndex() == newMaster.replicatedIndex() &&
                        rejoining.slaveWrittenIndex() > shared.get(4));
                    assertEquals(-1, rejoining.slaveCutAfterIndex());
                    // an ASYNC_MASTER answers before the slave has the record: wait for the slave to write it
                    final SendResult after = producer.send(new Message().topic("after").body(new byte[30]), SEND_TIMEOUT_MS);
                    assertEquals(SendStatus.SEND_OK, after.status());
                    awaitTrue("it takes live records", () -> rejoining.slaveWrittenIndex() >= after.journalIndex());
                }
                kept = dir.resolve("master/store/journal-diverged/after-" + cutAfter + "/journal").toFile();
            }
            else
            {
                try (Broker rejoining = Broker.launch(oldMaster))
                {
                    awaitTrue("the master named where to cut back to", () -> rejoining.slaveCutAfterIndex() >= 0);
                    assertEquals(cutAfter, rejoining.slaveCutAfterIndex());
                    assertEquals(0, newMaster.slavesInSync());
                }
                assertEquals(oldMasterJournal, BrokerTestSupport.digest(dir.resolve("master")), "a refused slave's journal is left as it was");

                // what the log line tells the operator to run (`peregrine journal cut`), with the broker stopped
                final JournalCut.Result cut = StoreTools.cutJournal(dir.resolve("master/store").toFile(), cutAfter,
                    JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 256 * 1024));
                assertEquals(1, cut.movedFiles().size());
                assertEquals(4, cut.rebuilt(), "the records up to the cut written back into the journal");
                try (Broker rejoined = Broker.launch(oldMaster))
                {
                    awaitTrue("the cut slave in sync", () -> newMaster.slavesInSync() == 1);
                    awaitTrue("the cut slave caught up", () -> rejoined.slaveWrittenIndex() == newMaster.replicatedIndex() &&
                        rejoined.slaveWrittenIndex() > shared.get(4));
                    assertEquals(-1, rejoined.slaveCutAfterIndex());
                    // an ASYNC_MASTER answers before the slave has the record: wait for the slave to write it
                    final SendResult after = producer.send(new Message().topic("after").body(new byte[30]), SEND_TIMEOUT_MS);
                    assertEquals(SendStatus.SEND_OK, after.status());
                    awaitTrue("it takes live records", () -> rejoined.slaveWrittenIndex() >= after.journalIndex());
                }
                kept = cut.keptIn();
            }
            // the cycle file holding the records after the cut is kept whole (here the journal's only one)
            assertEquals(oldMasterJournal, BrokerTestSupport.digest(kept), "the records after the cut kept aside");
        }
        final List<String> newMasterJournal = BrokerTestSupport.digest(dir.resolve("slave"));
        assertEquals(8, newMasterJournal.size());
        assertEquals(newMasterJournal, BrokerTestSupport.digest(dir.resolve("master")));
        assertEquals(oldMasterJournal.subList(0, 5), newMasterJournal.subList(0, 5));
    }

    @Test
    void shouldPromoteASlaveAndLetTheOldMasterJoinItAsASlave()
    {
        try (Broker master = Broker.launch(master("SYNC_MASTER"));
            Broker slave = Broker.launch(slave(master));
            Producer producer = producer(master))
        {
            awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
            for (int i = 0; i < 10; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("before").body(new byte[300]), SEND_TIMEOUT_MS).status());
            }
            assertEquals(master.replicatedIndex(), slave.slaveWrittenIndex());
        }
        // manual promotion: the slave's store restarted as the master, the old master's restarted as its slave
        final BrokerContext promoted = BrokerTestSupport.context(dir.resolve("slave"))
            .set(BrokerContext.BROKER_ROLE, "SYNC_MASTER")
            .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
            .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000");
        try (Broker newMaster = Broker.launch(promoted);
            Producer producer = producer(newMaster))
        {
            assertEquals(SendStatus.SLAVE_NOT_AVAILABLE, producer.send(new Message().topic("alone").body(new byte[10]), SEND_TIMEOUT_MS).status());
            try (Broker oldMaster = Broker.launch(BrokerTestSupport.context(dir.resolve("master"))
                .set(BrokerContext.BROKER_ROLE, "SLAVE")
                .set(BrokerContext.MAX_MESSAGE_SIZE, Integer.toString(256 * 1024))
                .set(BrokerContext.HA_MASTER_CHANNEL, newMaster.haChannel())
                .set(BrokerContext.HA_LIVENESS_TIMEOUT, "1000")))
            {
                awaitTrue("the old master in sync as a slave", () -> newMaster.slavesInSync() == 1);
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("after").body(new byte[10]), SEND_TIMEOUT_MS).status());
                awaitTrue("the old master caught up", () -> oldMaster.slaveWrittenIndex() == newMaster.replicatedIndex());
            }
        }
        final List<String> promotedJournal = BrokerTestSupport.digest(dir.resolve("slave"));
        assertEquals(12, promotedJournal.size());
        assertEquals(promotedJournal, BrokerTestSupport.digest(dir.resolve("master")));
    }

    @Test
    void shouldRefuseForgedAcksAndGarbageOnTheReplicationChannelAndKeepServing()
    {
        try (Broker master = Broker.launch(master("ASYNC_MASTER"));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(master.aeronDirectoryName())))
        {
            final Publication publication = aeron.addPublication(master.haChannel(), Protocol.REPLICA_REQUEST_STREAM_ID);
            awaitTrue("connected to the master's replication channel", publication::isConnected);
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
            final ReplicaAckEncoder ack = new ReplicaAckEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
                .nodeId(42).linkId(7).writtenIndex(Long.MAX_VALUE / 2).flushedIndex(0);
            // tried: an ack from a node the master is not feeding, claiming an index the master never had
            awaitTrue("ack sent", () -> publication.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength()) > 0);
            awaitTrue("ack refused", () -> master.replicaAcksRefused() == 1);
            assertEquals(0, master.slavesConnected());
            assertEquals(-1, master.replicatedIndex());

            // tried: a frame shorter than an SBE header, one cut off inside its block, and a hello whose string
            // length runs past the frame
            final long rejectedBefore = master.framesRejected();
            awaitTrue("short frame sent", () -> publication.offer(buffer, 0, 5) > 0);
            awaitTrue("cut frame sent", () -> publication.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + 4) > 0);
            final ReplicaHelloEncoder hello = new ReplicaHelloEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
                .nodeId(43).lastEpoch(0).lastIndex(-1).lastCrc(0).maxMessageSize(1024);
            hello.checkpointsCount(0);
            final int helloBlockEnd = MessageHeaderEncoder.ENCODED_LENGTH + hello.encodedLength();
            buffer.putShort(helloBlockEnd, (short)4000, java.nio.ByteOrder.LITTLE_ENDIAN); // dataEndpoint "of 4000 bytes"
            awaitTrue("bad hello sent", () -> publication.offer(buffer, 0, helloBlockEnd + 2) > 0);
            awaitTrue("three frames rejected", () -> master.framesRejected() == rejectedBefore + 3);
            assertEquals(0, master.slavesConnected());

            // the master still serves: a real slave joins it
            try (Broker slave = Broker.launch(slave(master)))
            {
                awaitTrue("slave in sync", () -> master.slavesInSync() == 1);
                assertEquals(-1, slave.slaveWrittenIndex());
            }
        }
    }
}
