package io.peregrine.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.peregrine.broker.BrokerContext;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalReader;
import io.peregrine.journal.JournalRecord;
import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import io.peregrine.transport.Protocol;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
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
 * The same-host reader's own cost, no broker: a {@link JournalReader} handing over the records of a journal built like
 * the broker's, one per operation (each one's CRC32C checked, the body read in place), starting again from the first
 * record with {@link JournalReader#seek} when it reaches the end. The journal holds up to 64 MiB of records, written
 * before the measurement. Run with {@code -prof gc}: the reader allocates nothing per message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class JournalReaderBenchmark extends ForkedBenchmark
{
    private static final long JOURNAL_BYTES = 64L << 20;

    @Param({ "64", "1024", "16384", "524288" })
    int size;

    Path dir;
    JournalReader reader;
    long firstIndex;
    long checksum;
    final JournalReader.MessageHandler handler = (message) ->
        checksum += message.body().getByte(0) + message.body().getByte(message.bodyLength() - 1) + message.index();

    /**
     * A journal of records of this size, and a reader at its start.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Trial)
    public void open() throws IOException
    {
        dir = Files.createTempDirectory("peregrine-jmh-reader-");
        final int maxRecordLength = JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, BrokerContext.MAX_MESSAGE_SIZE_DEFAULT);
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, size)));
        final UnsafeBuffer topic = new UnsafeBuffer("reader".getBytes(StandardCharsets.US_ASCII));
        final int headerLength = JournalRecord.encodeHeader(new RecordHeaderEncoder(), new MessageHeaderEncoder(), record, 0, 1, 1,
            System.nanoTime(), 0, topic, 0, topic.capacity(), size);
        for (int i = 0; i < size; i++)
        {
            record.putByte(headerLength + i, (byte)i);
        }
        try (Journal journal = Journal.open(dir.resolve("journal").toFile(), maxRecordLength, false))
        {
            firstIndex = journal.append(record, 0, headerLength + size);
            for (long written = size; written < JOURNAL_BYTES; written += size)
            {
                journal.append(record, 0, headerLength + size);
            }
        }
        reader = JournalReader.open(new JournalReader.Context().storeDir(dir.toFile()));
    }

    /**
     * Close and delete the journal.
     *
     * @throws IOException if it cannot be deleted.
     */
    @TearDown(Level.Trial)
    public void close() throws IOException
    {
        CloseHelper.close(reader);
        BenchmarkBroker.deleteTree(dir);
    }

    /**
     * Read the next record, or the first one again after the last.
     *
     * @return a checksum of what was read, so the work is not optimised away.
     */
    @Benchmark
    public long read()
    {
        if (reader.poll(handler, 1) == 0)
        {
            reader.seek(firstIndex);
            if (reader.poll(handler, 1) != 1)
            {
                throw new IllegalStateException("no record at the journal's first index " + firstIndex);
            }
        }
        return checksum;
    }
}
