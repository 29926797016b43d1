package io.peregrine.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.Sizing;
import org.agrona.CloseHelper;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of an inbound hop in the broker. Until 2026-12 the receiver copied each request into a one-to-one ring as
 * a ready journal record and the journal writer appended it from there ({@code path=ring}); the broker now appends
 * straight from the request ({@code path=direct}). Both run on one thread and both append through the journal (CRC
 * included), so the difference is the hop: one copy of the record plus the ring's claim, commit and read. Kept so
 * that the choice stays measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class InboundHopBenchmark extends ForkedBenchmark
{
    private static final int MSG_TYPE = 1;

    @Param({ "ring", "direct" })
    String path;

    @Param({ "64", "1024", "16384" })
    int size;

    Path dir;
    Journal journal;
    RingBuffer ring;
    UnsafeBuffer record;
    long lastIndex;
    boolean direct;
    final MessageHandler appendFromRing = this::onEntry;

    /**
     * A fresh journal for this iteration and a ring sized like the broker's.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void open() throws IOException
    {
        dir = Files.createTempDirectory("peregrine-jmh-hop-");
        final int maxRecordLength = JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, BenchmarkBroker.MAX_MESSAGE_SIZE);
        journal = Journal.open(dir.toFile(), maxRecordLength, false);
        ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(Sizing.ringCapacity(maxRecordLength))));
        direct = path.equals("direct");
        final int length = JournalRecord.recordLength(5, size) - JournalRecord.TRAILER_LENGTH;
        record = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        for (int i = 0; i < length; i++)
        {
            record.putByte(i, (byte)i);
        }
    }

    /**
     * Close and delete this iteration's journal.
     *
     * @throws IOException if it cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void close() throws IOException
    {
        CloseHelper.close(journal);
        BenchmarkBroker.deleteTree(dir);
    }

    /**
     * One record into the journal, through the ring or straight.
     *
     * @return its index, so the call is not optimised away.
     */
    @Benchmark
    public long hop()
    {
        if (direct)
        {
            // as the broker appends: the header and the body as two parts, each copied once into the queue
            final int headerLength = record.capacity() - size;
            return journal.append(record, 0, headerLength, record, headerLength, size);
        }
        final int index = ring.tryClaim(MSG_TYPE, record.capacity());
        if (index <= 0)
        {
            throw new IllegalStateException("ring full");
        }
        ring.buffer().putBytes(index, record, 0, record.capacity());
        ring.commit(index);
        ring.read(appendFromRing, 1);
        return lastIndex;
    }

    private void onEntry(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        lastIndex = journal.append(buffer, index, length);
    }
}
