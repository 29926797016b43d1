package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.transport.Protocol;

/**
 * Helpers shared by the broker's system tests.
 */
final class BrokerTestSupport
{
    static final long WAIT_MS = 30_000;

    private BrokerTestSupport()
    {
    }

    static BrokerContext context(final Path dir)
    {
        return new BrokerContext()
            .set(BrokerContext.STORE_PATH_ROOT_DIR, dir.resolve("store").toString())
            .set(BrokerContext.AERON_DIR, dir.resolve("aeron-broker").toString())
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")
            .set(BrokerContext.HA_LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0");
    }

    /**
     * Wait until a condition holds, failing after a generous bound. Never used to assert timing.
     */
    static void awaitTrue(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.yield();
        }
    }

    /**
     * Every record of a closed store as "index length crc", each checked intact: two stores holding the same records at
     * the same indices give equal lists.
     */
    static List<String> digest(final Path dir)
    {
        return digest(dir.resolve("store/journal").toFile());
    }

    /**
     * The same of a journal directory.
     */
    static List<String> digest(final File journalDir)
    {
        final List<String> records = new ArrayList<>();
        try (Journal journal = Journal.open(journalDir,
            JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 4 * 1024 * 1024), true);
            Journal.RecordReader reader = journal.reader())
        {
            while (reader.readNext((record) ->
            {
                assertNull(record.validate(), "record at " + record.index());
                records.add(record.index() + " " + record.length() + " " + Integer.toHexString(
                    record.buffer().getInt(record.length() - JournalRecord.TRAILER_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN)));
            }))
            {
                // read all
            }
        }
        return records;
    }

    /**
     * A stored record, copied out of the journal.
     */
    record Stored(long index, long producerId, long sequence, String topic, byte[] body)
    {
    }

    /**
     * Read every record of a closed store, checking each one's integrity.
     */
    static List<Stored> readJournal(final Path dir)
    {
        final List<Stored> records = new ArrayList<>();
        try (Journal journal = Journal.open(dir.resolve("store/journal").toFile(),
            JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 4 * 1024 * 1024), true);
            Journal.RecordReader reader = journal.reader())
        {
            while (reader.readNext((record) ->
            {
                assertNull(record.validate(), "record at " + record.index());
                final byte[] body = new byte[record.bodyLength()];
                record.buffer().getBytes(record.bodyOffset(), body);
                records.add(new Stored(record.index(), record.producerId(), record.sequence(), record.topic(), body));
            }))
            {
                // read all
            }
        }
        return records;
    }
}
