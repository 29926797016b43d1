package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import io.peregrine.journal.CrashedAppends;
import io.peregrine.journal.JournalRecord;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import io.peregrine.transport.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * journal dump, verify and digest on a real store, intact and with one body byte flipped on disk.
 */
@Timeout(120)
class JournalCommandTest
{
    private static final String MARKER = "flip-me-here";

    @TempDir
    Path dir;

    /**
     * Runs {@code peregrine journal ...} in this JVM; returns [exit code, stdout, error].
     */
    private static String[] journal(final String... args)
    {
        final String[] all = new String[args.length + 1];
        all[0] = "journal";
        System.arraycopy(args, 0, all, 1, args.length);
        return InProcess.peregrine(all);
    }

    private List<SendResult> fillStore(final Path store)
    {
        final List<SendResult> results = new ArrayList<>();
        try (Broker broker = InProcess.broker(store, dir.resolve("aeron"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            for (int i = 0; i < 20; i++)
            {
                final String body = i == 7 ? MARKER : "message " + i;
                results.add(producer.send(new Message().topic("orders.eu").body(body.getBytes(StandardCharsets.US_ASCII)), 20_000));
            }
        }
        return results;
    }

    @Test
    void shouldDumpVerifyAndDigestAndFindAFlippedByte() throws IOException
    {
        final Path store = dir.resolve("store");
        final List<SendResult> results = fillStore(store);

        final String[] dump = journal("dump", store.toString());
        assertEquals("0", dump[0]);
        final String[] lines = dump[1].strip().split("\n");
        assertEquals(20, lines.length);
        for (int i = 0; i < 20; i++)
        {
            final int size = (i == 7 ? MARKER : "message " + i).length();
            assertEquals(results.get(i).journalIndex() + " " + results.get(i).msgId() + " orders.eu " + size + " crc=ok", lines[i]);
        }

        assertVerifiesOk(store, "ok 20 records");

        final Path copy = dir.resolve("copy");
        copyTree(store, copy);
        final String[] digest = journal("digest", store.toString());
        assertEquals("0", digest[0]);
        assertTrue(digest[1].strip().matches("20 [0-9a-f]{64}"), digest[1]);
        assertEquals(digest[1], journal("digest", copy.toString())[1], "same records at the same indices, same digest");

        flipMarkerByte(copy);
        final String[] broken = journal("verify", copy.toString());
        assertEquals("1", broken[0], "a flipped body byte must fail verify");
        assertEquals(results.get(7).journalIndex() + " crc mismatch", broken[1].strip().replaceAll(":.*", ""));
        assertTrue(journal("dump", copy.toString())[1].contains(results.get(7).msgId() + " orders.eu 12 crc=bad"));
        assertTrue(!digest[1].equals(journal("digest", copy.toString())[1]), "digest changes with the bytes");
    }

    @Test
    void shouldCutAStoppedStoreBackKeepingTheRestReadableAndRefuseWhileABrokerHoldsIt()
    {
        final Path store = dir.resolve("store");
        final List<SendResult> results = fillStore(store);
        final long cut = results.get(9).journalIndex();
        final Broker running = InProcess.broker(store, dir.resolve("aeron"));
        try
        {
            // tried: cutting the store of a running broker
            final String[] refused = journal("cut", store.toString(), "--after", Long.toString(cut));
            assertEquals("2", refused[0]);
            assertTrue(refused[2].contains("is locked by another broker (pid " + ProcessHandle.current().pid() + ")"), refused[2]);
        }
        finally
        {
            running.close();
        }
        // tried: an index the journal does not hold
        final String[] noRecord = journal("cut", store.toString(), "--after", Long.toString(cut + 1000));
        assertEquals("2", noRecord[0]);
        assertTrue(noRecord[2].contains("holds no record at index " + (cut + 1000)), noRecord[2]);
        assertEquals(20, journal("dump", store.toString())[1].strip().split("\n").length, "refused cuts change nothing");

        final String[] done = journal("cut", store.toString(), "--after", Long.toString(cut));
        assertEquals("0", done[0], done[2]);
        assertTrue(done[1].startsWith("cut after " + cut + ": moved 1 cycle file(s) to "), done[1]);
        assertEquals(10, journal("dump", store.toString())[1].strip().split("\n").length);
        assertVerifiesOk(store, "ok 10 records, last index " + cut);
        final Path kept = store.resolve("journal-diverged/after-" + cut);
        assertEquals(20, journal("dump", kept.toString())[1].strip().split("\n").length, "the moved cycle file, whole");
        assertEquals("nothing to cut: " + cut + " is the journal's last record",
            journal("cut", store.toString(), "--after", Long.toString(cut))[1].strip());

        // a broker on the cut store appends at the index after the cut
        final List<SendResult> again = fillStore(store);
        assertEquals(results.get(10).journalIndex(), again.get(0).journalIndex());
    }

    @Test
    void shouldRefuseADirectoryWithoutAJournal()
    {
        final String[] verify = journal("verify", dir.resolve("nothing").toString());
        assertEquals("2", verify[0]);
        assertTrue(verify[2].startsWith("peregrine verify: no journal at "), verify[2]);
    }

    @Test
    void shouldReportATornTailUntilAStartingBrokerFencesIt() throws Exception
    {
        final Path store = dir.resolve("store");
        final List<SendResult> before = fillStore(store);
        // what kill -9 in the middle of an append leaves: a claimed excerpt, 3000 bytes of a record, never completed
        CrashedAppends.crashMidAppend(store.resolve("journal").toFile(),
            JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, BrokerContext.MAX_MESSAGE_SIZE_DEFAULT), 3000);

        final String[] torn = journal("verify", store.toString());
        assertEquals("3", torn[0], "records intact, torn tail not fenced: " + torn[1]);
        assertTrue(torn[1].startsWith("torn-tail " + store.resolve("journal")), torn[1]);
        assertEquals(20, journal("dump", store.toString())[1].strip().split("\n").length, "the torn append is never served");

        final List<SendResult> after = fillStore(store); // a broker starts on the store, fences the tail, takes 20 more
        assertTrue(after.get(0).journalIndex() > before.get(19).journalIndex());
        assertVerifiesOk(store, "ok 40 records");
    }

    @Test
    void shouldReportACycleFileWithoutItsHeaderUntilAStartingBrokerSetsItAside() throws Exception
    {
        final Path store = dir.resolve("store");
        final List<SendResult> before = fillStore(store);
        // what a power cut leaves of a cycle file none of whose pages reached the disk: its full length, all zeros
        final Path file;
        try (Stream<Path> files = Files.list(store.resolve("journal")))
        {
            file = files.filter((path) -> path.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        final long length = Files.size(file);
        try (java.io.RandomAccessFile zeroed = new java.io.RandomAccessFile(file.toFile(), "rw"))
        {
            zeroed.setLength(0);
            zeroed.setLength(length);
        }

        final String[] verify = journal("verify", store.toString());
        assertEquals("3", verify[0], "nothing of the file was ever on disk: crash debris, not damage: " + verify[1]);
        assertTrue(verify[1].startsWith("unwritten-cycle cycle file " + file + " (" + length + " bytes)"), verify[1]);
        final String[] dump = journal("dump", store.toString());
        assertEquals("2", dump[0], "dump cannot read past the file");
        assertTrue(dump[2].contains("cannot read the journal past cycle file " + file), dump[2]);

        // a broker starts on the store: it moves the file aside (intact) and appends from the cycle's start again
        final List<SendResult> after = fillStore(store);
        assertEquals(before.get(0).journalIndex(), after.get(0).journalIndex(), "the lost records' indices are given anew");
        final Path setAside = store.resolve("journal-damaged").resolve(file.getFileName());
        assertEquals(length, Files.size(setAside), "set aside, not deleted");
        assertVerifiesOk(store, "ok 20 records");
    }

    @Test
    void shouldReportABadRecordUntilAStartingBrokerVoidsItKeepingItsBytes() throws Exception
    {
        final Path store = dir.resolve("store");
        final List<SendResult> before = fillStore(store);
        // what a crash during a flush can leave: a complete excerpt whose record bytes only partly reached the disk
        flipMarkerByte(store);
        final long bad = before.get(7).journalIndex();
        final String[] broken = journal("verify", store.toString());
        assertEquals("1", broken[0], broken[1]);
        assertTrue(broken[1].startsWith(bad + " crc mismatch"), broken[1]);

        final List<SendResult> after = fillStore(store); // a broker starts on the store, voids the record, takes 20 more
        assertEquals(before.get(19).journalIndex() + 1, after.get(0).journalIndex(), "no index is given twice");
        assertVerifiesOk(store, "ok 40 records", ", 1 of them voided");
        final String[] dump = journal("dump", store.toString())[1].strip().split("\n");
        assertEquals(40, dump.length);
        assertTrue(dump[7].matches(bad + " - - \\d+ voided"), dump[7]);
        assertEquals(before.get(8).journalIndex() + " " + before.get(8).msgId() + " orders.eu 9 crc=ok", dump[8]);
        final byte[] saved = Files.readAllBytes(store.resolve("journal-damaged").resolve("record-" + bad + ".bin"));
        assertTrue(new String(saved, StandardCharsets.US_ASCII).contains("-me-here"), "the record's original bytes are kept");
    }

    /**
     * journal verify exits 0 and its line starts with the expected count and holds every further part.
     */
    private static void assertVerifiesOk(final Path store, final String start, final String... parts)
    {
        final String[] verify = journal("verify", store.toString());
        assertEquals("0", verify[0], verify[1]);
        assertTrue(verify[1].startsWith(start), verify[1]);
        for (final String part : parts)
        {
            assertTrue(verify[1].contains(part), verify[1]);
        }
    }

    private static void copyTree(final Path from, final Path to) throws IOException
    {
        try (Stream<Path> paths = Files.walk(from))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                final Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path))
                {
                    Files.createDirectories(target);
                }
                else if (!path.getFileName().toString().equals("broker.lock"))
                {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void flipMarkerByte(final Path store) throws IOException
    {
        final byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
        try (Stream<Path> files = Files.list(store.resolve("journal")))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (!file.toString().endsWith(".cq4"))
                {
                    continue;
                }
                final byte[] content = Files.readAllBytes(file);
                for (int i = 0; i + marker.length <= content.length; i++)
                {
                    if (java.util.Arrays.equals(content, i, i + marker.length, marker, 0, marker.length))
                    {
                        content[i + 3] ^= 0x01;
                        Files.write(file, content);
                        return;
                    }
                }
            }
        }
        throw new AssertionError("marker not found in the journal files");
    }
}
