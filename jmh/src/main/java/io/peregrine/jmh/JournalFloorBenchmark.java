package io.peregrine.jmh;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.peregrine.broker.BrokerContext;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.PreToucher;
import io.peregrine.transport.Protocol;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The storage floors of a send, with plain Chronicle Queue: {@link #append} writes the bytes a broker would
 * store for a message of {@code size} bytes (record header, topic, body, trailer) into a queue built like the
 * broker's journal (block size, roll cycle); {@link #appendAndFlush} adds the {@code FileChannel.force(false)}
 * the SYNC_FLUSH flusher does. No CRC, no broker, no ring: what no store on this disk can beat.
 *
 * <p>The broker pre-touches pages ahead of its writer, so the floor does too, between invocations and
 * outside the measured time: a floor that took page faults the broker does not would flatter the ratios.
 * Each iteration writes a fresh queue and deletes it afterwards.
 */
@State(Scope.Benchmark)
public class JournalFloorBenchmark extends SampledLatencyBenchmark implements PreToucher.Target
{
    private static final String TOPIC = "latency";

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    Path dir;
    SingleChronicleQueue queue;
    ExcerptAppender appender;
    PreToucher preToucher;
    UnsafeBuffer record;
    FileChannel channel;
    int channelCycle;
    long lastIndex = -1;
    volatile long writePosition;
    final PreToucher.WriterMapping writerMapping = new PreToucher.WriterMapping();

    /**
     * A fresh queue for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void open() throws IOException
    {
        Journal.disableAnalytics();
        dir = Files.createTempDirectory("peregrine-jmh-journal-");
        final int maxRecordLength = JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, BrokerContext.MAX_MESSAGE_SIZE_DEFAULT);
        queue = SingleChronicleQueueBuilder.single(dir.toFile())
            .blockSize(Journal.blockSizeFor(maxRecordLength))
            .rollCycle(RollCycles.valueOf(Journal.DEFAULT_ROLL_CYCLE))
            .build();
        preToucher = new PreToucher(this);
        final int length = JournalRecord.recordLength(TOPIC.length(), size);
        record = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        for (int i = 0; i < length; i++)
        {
            record.putByte(i, (byte)i);
        }
        appender = null;
        lastIndex = -1;
    }

    /**
     * Touch the pages the next appends will write, as the broker's pre-toucher would have, unmeasured.
     *
     * @throws IOException if the file cannot be mapped.
     */
    @Setup(Level.Invocation)
    public void pretouch() throws IOException
    {
        if (lastIndex >= 0)
        {
            while (preToucher.touch(lastIndex) > 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Close and delete this iteration's queue.
     *
     * @throws IOException if it cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void close() throws IOException
    {
        CloseHelper.closeAll(preToucher, channel, appender, queue);
        channel = null;
        BenchmarkBroker.deleteTree(dir);
    }

    /**
     * One append of a message's record.
     *
     * @return its index, so the call is not optimised away.
     */
    @Benchmark
    public long append()
    {
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        try (DocumentContext dc = appender.writingDocument())
        {
            dc.wire().bytes().unsafeWrite(record.addressOffset(), record.capacity());
            final Bytes<?> bytes = dc.wire().bytes();
            writerMapping.note(bytes);
            writePosition = bytes.writePosition();
        }
        lastIndex = appender.lastIndexAppended();
        return lastIndex;
    }

    /**
     * One append and the fsync of the file that holds it.
     *
     * @return its index, so the call is not optimised away.
     * @throws IOException if the flush fails.
     */
    @Benchmark
    public long appendAndFlush() throws IOException
    {
        final long index = append();
        final int cycle = cycleOf(index);
        if (null == channel || cycle != channelCycle)
        {
            CloseHelper.close(channel);
            channel = FileChannel.open(appender.currentFile().toPath(), StandardOpenOption.READ);
            channelCycle = cycle;
        }
        channel.force(false);
        return index;
    }

    /**
     * @param index of a record.
     * @return its roll cycle.
     */
    public int cycleOf(final long index)
    {
        return queue.rollCycle().toCycle(index);
    }

    /**
     * @param index of a record.
     * @return the file being appended to (the floor never asks for another).
     */
    public File fileOf(final long index)
    {
        return appender.currentFile();
    }

    /**
     * @return offset just past the last record written.
     */
    public long writePosition()
    {
        return writePosition;
    }

    /**
     * @return where the appender's current chunk is mapped, so the pre-toucher populates it as the broker's does.
     */
    public PreToucher.Mapping writerMapping()
    {
        return writerMapping.get();
    }
}
