package io.peregrine.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same-host reader on a journal written here: where it starts, what it skips, what a named reader keeps, and
 * what readCommitted holds back.
 */
class JournalReaderTest
{
    private static final long FIVE_MINUTES = TimeUnit.MINUTES.toMillis(5);

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong((1_800_000_000_000L / FIVE_MINUTES) * FIVE_MINUTES + 1000);
    private final TestRecords orders = new TestRecords("orders");
    private final TestRecords audit = new TestRecords("audit");
    private final List<Long> indices = new ArrayList<>();
    private final List<Long> storedMs = new ArrayList<>();
    private File store;
    private Journal journal;

    /**
     * Nine records in three cycles (1-3, 4-7, 8-9), a second apart within a cycle; odd sequences on topic orders,
     * even ones on audit.
     */
    @BeforeEach
    void journalOfThreeCycles()
    {
        store = dir.resolve("store").toFile();
        journal = Journal.open(new File(store, "journal"), 4096, false, "FIVE_MINUTELY", now::get);
        for (int sequence = 1; sequence <= 9; sequence++)
        {
            if (sequence == 4 || sequence == 8)
            {
                now.addAndGet(FIVE_MINUTES);
            }
            append(sequence, false);
        }
    }

    @AfterEach
    void close()
    {
        journal.close();
    }

    private void append(final int sequence, final boolean voided)
    {
        now.addAndGet(1000);
        storedMs.add(now.get());
        indices.add((sequence % 2 == 1 ? orders : audit).append(journal, sequence, TimeUnit.MILLISECONDS.toNanos(now.get()),
            40 + sequence, voided));
    }

    private JournalReader.Context context()
    {
        return new JournalReader.Context().storeDir(store);
    }

    /**
     * Polls until nothing more comes, checking each message's index, time, topic and body; returns the sequences.
     */
    private List<Long> readAll(final JournalReader reader, final int limit)
    {
        final List<Long> sequences = new ArrayList<>();
        while (reader.poll((message) ->
        {
            final int sequence = (int)message.sequence();
            assertEquals(indices.get(sequence - 1), message.index());
            assertEquals(TimeUnit.MILLISECONDS.toNanos(storedMs.get(sequence - 1)), message.storedEpochNs());
            assertEquals(sequence % 2 == 1 ? "orders" : "audit", message.topic());
            assertEquals(40 + sequence, message.bodyLength());
            for (int i = 0; i < message.bodyLength(); i++)
            {
                assertEquals((byte)(sequence + i), message.body().getByte(i), "body byte " + i + " of " + sequence);
            }
            assertEquals(String.format("%016x-%016x", 7, sequence), message.msgId());
            sequences.add((long)sequence);
        }, limit) > 0 && sequences.size() < limit)
        {
            continue;
        }
        return sequences;
    }

    @Test
    void shouldReadEveryRecordOnceInIndexOrderFromTheStartAnIndexATimeOrTheEnd()
    {
        try (JournalReader reader = JournalReader.open(context()))
        {
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), readAll(reader, 100));
            assertEquals(indices.get(8), reader.lastIndex());
            assertEquals(0, reader.poll((message) -> { }, 10), "nothing more");
            append(10, false);
            assertEquals(List.of(10L), readAll(reader, 100), "and what is stored later");
            reader.seek(indices.get(6));
            assertEquals(List.of(7L, 8L, 9L, 10L), readAll(reader, 100), "moved back");
            reader.seek(-1);
            assertEquals(10, readAll(reader, 100).size(), "moved to the start");
        }
        try (JournalReader reader = JournalReader.open(context().fromIndex(indices.get(4))))
        {
            assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L), readAll(reader, 100));
        }
        try (JournalReader reader = JournalReader.open(context().fromIndex(indices.get(2) + 1)))
        {
            assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L), readAll(reader, 100), "past a cycle's last record: the next cycle");
        }
        try (JournalReader reader = JournalReader.open(context().fromTime(storedMs.get(5) - 500)))
        {
            assertEquals(List.of(6L, 7L, 8L, 9L, 10L), readAll(reader, 100), "from the first stored at or after the time");
        }
        try (JournalReader reader = JournalReader.open(context().from(JournalReader.Start.END)))
        {
            assertEquals(List.of(), readAll(reader, 100));
            append(11, false);
            assertEquals(List.of(11L), readAll(reader, 100));
        }
    }

    @Test
    void shouldSkipOtherTopicsAndCountVoidedAndDamagedRecordsWithoutHandingThemOver()
    {
        append(10, false);
        append(11, true); // voided by a broker after a crash
        final int length = orders.encode(12, 0, 52);
        final UnsafeBuffer damaged = new UnsafeBuffer(ByteBuffer.allocateDirect(length + JournalRecord.TRAILER_LENGTH));
        damaged.putBytes(0, orders.buffer(), 0, length);
        damaged.putInt(length, 0x0BADC0DE); // a trailer that is not the record's CRC32C
        final long damagedIndex = indices.get(indices.size() - 1) + 1;
        journal.writeAt(damagedIndex, damaged, 0, length + JournalRecord.TRAILER_LENGTH);
        indices.add(damagedIndex);
        storedMs.add(0L);
        try (Journal reopened = Journal.open(new File(store, "journal"), 4096, false, "FIVE_MINUTELY", now::get))
        {
            now.addAndGet(1000);
            storedMs.add(now.get());
            indices.add(orders.append(reopened, 13, TimeUnit.MILLISECONDS.toNanos(now.get()), 53, false));
        }

        try (JournalReader reader = JournalReader.open(context().topic("orders")))
        {
            assertEquals(List.of(1L, 3L, 5L, 7L, 9L, 13L), readAll(reader, 100));
            assertEquals(1, reader.voidedSkipped());
            assertEquals(1, reader.damagedSkipped());
            assertEquals(indices.get(indices.size() - 1), reader.lastIndex());
        }
        try (JournalReader reader = JournalReader.open(context().topic("nothing")))
        {
            assertEquals(List.of(), readAll(reader, 100));
        }
    }

    @Test
    void shouldLookAtNoMoreRecordsThanTheScanLimitPerPollAndMissNothingAcrossPolls()
    {
        try (JournalReader reader = JournalReader.open(context().topic("audit")))
        {
            final List<Long> sequences = new ArrayList<>();
            assertEquals(0, reader.poll((message) -> sequences.add(message.sequence()), 10, 1), "record 1 is orders: nothing yet");
            assertEquals(indices.get(0), reader.lastIndex(), "one record looked at");
            assertEquals(1, reader.poll((message) -> sequences.add(message.sequence()), 10, 1));
            int polls = 0;
            while (sequences.size() < 4 && polls++ < 100)
            {
                reader.poll((message) -> sequences.add(message.sequence()), 10, 2);
            }
            assertEquals(List.of(2L, 4L, 6L, 8L), sequences);
            assertEquals(indices.get(7), reader.lastIndex(), "stopped at the last audit record, 8");
        }
    }

    @Test
    void shouldResumeANamedReaderAfterItsLastCommitAndLetOnlyOneUseTheName() throws Exception
    {
        try (JournalReader reader = JournalReader.open(context().name("billing")))
        {
            assertEquals(List.of(1L, 2L, 3L, 4L), readAll(reader, 4));
            reader.commit();
            assertEquals(List.of(5L, 6L), readAll(reader, 2)); // read, never committed: read again after a restart

            // tried: the same name twice at once
            final IllegalStateException taken = assertThrows(IllegalStateException.class,
                () -> JournalReader.open(context().name("billing")));
            assertTrue(taken.getMessage().contains("reader 'billing' is open already"), taken.getMessage());
        }
        assertEquals(String.format("%019d", indices.get(3)) + "\n", Files.readString(store.toPath().resolve("readers/billing.position")),
            "19 digits and a newline, written in place");
        try (JournalReader reader = JournalReader.open(context().name("billing").from(JournalReader.Start.END)))
        {
            assertEquals(List.of(5L, 6L, 7L, 8L, 9L), readAll(reader, 100), "the kept position wins over the start");
            reader.commit();
        }
        try (JournalReader reader = JournalReader.open(context().name("billing")))
        {
            assertEquals(List.of(), readAll(reader, 100));
            append(10, false);
            assertEquals(List.of(10L), readAll(reader, 100));
        }

        // tried: committing a reader without a name, and names that could leave the readers folder
        try (JournalReader reader = JournalReader.open(context()))
        {
            assertThrows(IllegalStateException.class, reader::commit);
        }
        for (final String bad : new String[] {"../x", "", ".hidden", "a b"})
        {
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> JournalReader.open(context().name(bad)));
            assertTrue(refused.getMessage().startsWith("reader name '" + bad + "'"), refused.getMessage());
        }
        final IllegalArgumentException noJournal = assertThrows(IllegalArgumentException.class,
            () -> JournalReader.open(new JournalReader.Context().storeDir(dir.resolve("nothing").toFile())));
        assertTrue(noJournal.getMessage().startsWith("no journal at "), noJournal.getMessage());
    }

    @Test
    void shouldTakeAnEmptyPositionFileAsNoneAndRefuseOneThatHoldsNoIndex() throws Exception
    {
        final Path readers = store.toPath().resolve("readers");
        Files.createDirectories(readers);

        // a reader opened and closed before its first commit leaves an empty file: it starts where asked
        Files.writeString(readers.resolve("empty.position"), "");
        try (JournalReader reader = JournalReader.open(context().name("empty")))
        {
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), readAll(reader, 100));
        }

        // a position written by an earlier version (the index and a newline, shorter than 20 bytes) resumes after it,
        // and the next commit overwrites it whole
        Files.writeString(readers.resolve("old.position"), indices.get(0) + "\n");
        final JournalReader old = JournalReader.open(context().name("old"));
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), readAll(old, 100));
        old.commit();
        old.close();
        old.close(); // tried: closing twice; the second does nothing
        assertEquals(String.format("%019d", indices.get(8)) + "\n", Files.readString(readers.resolve("old.position")));

        // tried: a file of zero bytes, what a power loss can leave of a write the disk never got: refused, not taken
        // for "no position" (the reader would then start where it was told and could skip what it had not read)
        Files.write(readers.resolve("zeros.position"), new byte[PositionFile.LENGTH]);
        final IllegalStateException zeros = assertThrows(IllegalStateException.class, () -> JournalReader.open(context().name("zeros")));
        assertTrue(zeros.getMessage().contains("zeros.position holds zero bytes"), zeros.getMessage());

        // tried: a position file that an editor left holding something else; refused, naming the file, and not changed
        // (the second try would be refused as "open already" if the first had kept the name locked)
        for (final String bad : new String[] {"twelve\n", "-5\n"})
        {
            Files.writeString(readers.resolve("bad.position"), bad);
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> JournalReader.open(context().name("bad")));
            assertTrue(refused.getMessage().contains("bad.position holds '" + bad.trim() + "', not an index"), refused.getMessage());
            assertEquals(bad, Files.readString(readers.resolve("bad.position")));
        }
    }

    @Test
    void shouldHandOverOnlyCommittedRecordsWhenAsked()
    {
        // tried first: a store whose broker never published watermarks
        final IllegalStateException none = assertThrows(IllegalStateException.class, () -> JournalReader.open(context().readCommitted(true)));
        assertTrue(none.getMessage().startsWith("no watermarks at "), none.getMessage());

        try (Watermarks broker = Watermarks.create(store, Watermarks.SYNC_FLUSH | Watermarks.SYNC_MASTER, indices.get(8));
            JournalReader reader = JournalReader.open(context().readCommitted(true)))
        {
            assertEquals(List.of(), readAll(reader, 100), "nothing flushed nor replicated yet");
            broker.flushed(indices.get(3));
            assertEquals(List.of(), readAll(reader, 100), "flushed, not replicated");
            broker.replicated(indices.get(1));
            assertEquals(List.of(1L, 2L), readAll(reader, 100));
            broker.replicated(indices.get(8));
            assertEquals(List.of(3L, 4L), readAll(reader, 100), "held at the flushed index");
            broker.flushed(indices.get(8));
            assertEquals(List.of(5L, 6L, 7L, 8L, 9L), readAll(reader, 100));
        }
        // a broker started again keeps what was replicated, not more than its journal holds
        try (Watermarks broker = Watermarks.create(store, Watermarks.SYNC_MASTER, indices.get(4)))
        {
            assertEquals(indices.get(4), broker.replicated());
            assertEquals(-1, broker.flushed());
            assertEquals(indices.get(4), broker.committed());
        }
        try (Watermarks broker = Watermarks.create(store, 0, indices.get(8)))
        {
            assertEquals(Long.MAX_VALUE, broker.committed(), "under ASYNC_FLUSH and ASYNC_MASTER every stored record is");
        }
    }
}
