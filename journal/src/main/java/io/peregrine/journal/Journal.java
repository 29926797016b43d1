package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferOverflowException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.ExcerptContext;
import net.openhft.chronicle.queue.impl.single.InternalAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The message journal: a Chronicle Queue holding one {@link JournalRecord} per excerpt.
 *
 * <p>Not thread-safe for writing: one thread appends (Chronicle binds appenders to their thread).
 * Readers may run on any thread and in other processes.
 */
public final class Journal implements AutoCloseable, PreToucher.Target
{
    /**
     * Name of the system property that stops Chronicle's usage analytics.
     */
    public static final String CHRONICLE_ANALYTICS_DISABLE_PROP_NAME = "chronicle.analytics.disable";

    private static final VarHandle WRITE_POSITION;

    static
    {
        disableAnalytics();
        try
        {
            WRITE_POSITION = MethodHandles.lookup().findVarHandle(Journal.class, "writePosition", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final int maxRecordLength;
    private final boolean readOnly;
    private final LongSupplier epochMillis;
    private final DateTimeFormatter fileNames;
    private SingleChronicleQueue queue;
    @SuppressWarnings("unused") // written through WRITE_POSITION
    private volatile long writePosition;
    private final PreToucher.WriterMapping writerMapping = new PreToucher.WriterMapping();
    private ExcerptAppender appender;
    private final UnsafeBuffer destination = new UnsafeBuffer(0, 0); // the record's place in the queue, while appending
    private PointerBytesStore recordPointer; // a view of the caller's record: writeAt copies it once, into the queue
    private long copiedLastIndex = NOT_KNOWN;

    private Journal(final SingleChronicleQueue queue, final int maxRecordLength, final boolean readOnly, final LongSupplier epochMillis)
    {
        this.readOnly = readOnly;
        this.queue = queue;
        this.maxRecordLength = maxRecordLength;
        this.epochMillis = epochMillis;
        this.fileNames = DateTimeFormatter.ofPattern(queue.rollCycle().format()).withZone(ZoneOffset.UTC);
    }

    /**
     * Keep Chronicle from sending usage analytics anywhere. Call before any Chronicle class is
     * initialised; this class calls it in its static initialiser, before it touches Chronicle.
     */
    public static void disableAnalytics()
    {
        System.setProperty(CHRONICLE_ANALYTICS_DISABLE_PROP_NAME, "true");
    }

    /**
     * Chronicle block size for records up to maxRecordLength: Chronicle's largest excerpt is a quarter
     * of its block size.
     *
     * @param maxRecordLength largest record, trailer included.
     * @return block size in bytes.
     */
    public static long blockSizeFor(final int maxRecordLength)
    {
        return Math.max(1L << 20, BitUtil.findNextPositivePowerOfTwo((long)maxRecordLength * 4));
    }

    /**
     * How long the writer waits for Chronicle's write lock before taking it over. The broker's store
     * lock already guarantees a single writer, so a held write lock can only be left by a process that
     * died mid-append; Chronicle's own default would stall the first append after such a crash for 10 s.
     */
    public static final long WRITE_LOCK_TIMEOUT_MS = 500;

    /**
     * Roll cycle unless configured: one file per UTC day.
     */
    public static final String DEFAULT_ROLL_CYCLE = "FAST_DAILY";

    /**
     * Open (or create) a journal.
     *
     * @param dir             directory of the queue files.
     * @param maxRecordLength largest record that will be appended.
     * @param readOnly        true for tools that must not change the store.
     * @return the open journal.
     */
    public static Journal open(final File dir, final int maxRecordLength, final boolean readOnly)
    {
        return open(dir, maxRecordLength, readOnly, DEFAULT_ROLL_CYCLE, System::currentTimeMillis);
    }

    /**
     * Check a roll cycle name.
     *
     * @param name such as FAST_HOURLY or FAST_DAILY.
     * @return null if valid, otherwise why not.
     */
    public static String validateRollCycle(final String name)
    {
        for (final RollCycles cycle : RollCycles.values())
        {
            if (cycle.name().equals(name))
            {
                return null;
            }
        }
        final StringBuilder names = new StringBuilder();
        for (final RollCycles cycle : RollCycles.values())
        {
            names.append(names.length() == 0 ? "" : ", ").append(cycle.name());
        }
        return "unknown roll cycle; use one of " + names;
    }

    /**
     * Open (or create) a journal with a given roll cycle and clock.
     *
     * @param dir             directory of the queue files.
     * @param maxRecordLength largest record that will be appended.
     * @param readOnly        true for tools that must not change the store.
     * @param rollCycle       name of a Chronicle roll cycle, see {@link #validateRollCycle(String)}.
     * @param epochMillis     the clock that decides the cycle a record goes into (tests move it).
     * @return the open journal.
     */
    public static Journal open(
        final File dir,
        final int maxRecordLength,
        final boolean readOnly,
        final String rollCycle,
        final LongSupplier epochMillis)
    {
        return new Journal(queue(dir, maxRecordLength, readOnly, rollCycle, epochMillis), maxRecordLength, readOnly, epochMillis);
    }

    private static SingleChronicleQueue queue(
        final File dir,
        final int maxRecordLength,
        final boolean readOnly,
        final String rollCycle,
        final LongSupplier epochMillis)
    {
        return SingleChronicleQueueBuilder.single(dir)
            .timeProvider(epochMillis::getAsLong)
            .blockSize(blockSizeFor(maxRecordLength))
            .rollCycle(RollCycles.valueOf(rollCycle))
            .timeoutMS(WRITE_LOCK_TIMEOUT_MS)
            .readOnly(readOnly)
            .build();
    }

    /**
     * Cut this journal back to a record, in place: close it, {@link JournalCut#cut cut} it (what follows the record
     * is kept in the journal's {@code -diverged} sibling), and open it again. The writer's thread calls it, and no
     * other thread may use the journal meanwhile (a broker's flusher is paused). Readers made before are stale.
     *
     * @param afterIndex the record to keep as the last one.
     * @return what the cut did.
     * @throws IllegalArgumentException if the journal holds no record at that index (nothing changed).
     * @throws java.io.UncheckedIOException if the cut stopped part way: its intent stays, and the next open of the store
     * by a broker (or the next cut) finishes it; the journal is open again but must not be written until then.
     */
    public JournalCut.Result cutBack(final long afterIndex)
    {
        if (readOnly)
        {
            throw new IllegalStateException("journal at " + queue.file() + " is open read-only; only its writer may cut it back");
        }
        final File dir = queue.file();
        final String rollCycle = rollCycleName();
        CloseHelper.quietClose(appender);
        appender = null;
        copiedLastIndex = NOT_KNOWN;
        queue.close();
        try
        {
            return JournalCut.cut(dir, afterIndex, maxRecordLength);
        }
        finally
        {
            queue = queue(dir, maxRecordLength, false, rollCycle, epochMillis);
            writerMapping.clear();
            WRITE_POSITION.setRelease(this, 0L);
        }
    }

    /**
     * Append a record whose header and body are already encoded, adding the CRC32C trailer.
     *
     * @param buffer holding the record without its trailer.
     * @param offset of the record.
     * @param length of the record without its trailer.
     * @return the journal index of the appended record.
     * @throws IllegalArgumentException if the record is longer than the journal was opened for.
     */
    public long append(final DirectBuffer buffer, final int offset, final int length)
    {
        return append(buffer, offset, length, buffer, offset + length, 0);
    }

    /**
     * Append a record from two parts, its encoded header and its body, each copied once straight into the queue;
     * the CRC32C trailer is computed over the record where it now lies. The parts may be on or off the heap.
     *
     * @param header       holding the record's header.
     * @param headerOffset of the header.
     * @param headerLength of the header.
     * @param body         holding the record's body.
     * @param bodyOffset   of the body.
     * @param bodyLength   of the body.
     * @return the journal index of the appended record.
     * @throws IllegalArgumentException if the record is longer than the journal was opened for.
     * @throws IndexOutOfBoundsException if a part lies outside its buffer; nothing is appended then.
     */
    public long append(
        final DirectBuffer header,
        final int headerOffset,
        final int headerLength,
        final DirectBuffer body,
        final int bodyOffset,
        final int bodyLength)
    {
        final int length = headerLength + bodyLength;
        if (length + JournalRecord.TRAILER_LENGTH > maxRecordLength)
        {
            throw new IllegalArgumentException(
                "record of " + (length + JournalRecord.TRAILER_LENGTH) + " bytes is over the journal's limit of " + maxRecordLength);
        }
        // checked before the document opens: Chronicle commits a document on close unless told to roll it back
        header.boundsCheck(headerOffset, headerLength);
        body.boundsCheck(bodyOffset, bodyLength);
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        try (DocumentContext dc = appender.writingDocument())
        {
            try
            {
                final Bytes<?> bytes = dc.wire().bytes();
                final long start = bytes.writePosition();
                // as Chronicle's own unsafeWrite: a range skipped over in one step is contiguous at its write address
                bytes.writeSkip(length);
                final long address = bytes.addressForWrite(start);
                destination.wrap(address, length);
                destination.putBytes(0, header, headerOffset, headerLength);
                destination.putBytes(headerLength, body, bodyOffset, bodyLength);
                bytes.writeInt(JournalRecord.crc(address, length));
                writerMapping.note(bytes);
                WRITE_POSITION.setRelease(this, bytes.writePosition());
            }
            catch (final BufferOverflowException ex)
            {
                dc.rollbackOnClose();
                throw new IllegalStateException("journal could not take a record of " + length + " bytes", ex);
            }
            catch (final RuntimeException ex)
            {
                dc.rollbackOnClose(); // never a record without its trailer
                throw ex;
            }
        }
        return appender.lastIndexAppended();
    }

    /**
     * Write a record another journal holds, byte for byte, at the index it has there (a slave copying its master).
     * Chronicle only appends: the index must be the next one, or the first of a later cycle. A journal written this
     * way takes no {@link #append} (the two would disagree about where it ends).
     *
     * @param index  the record's index in the journal it comes from.
     * @param buffer holding the record, CRC32C trailer included, in native memory.
     * @param offset of the record.
     * @param length of the record, trailer included.
     * @throws IllegalArgumentException if the record is longer than the journal was opened for.
     * @throws IllegalStateException if the index is not where this journal ends.
     */
    public void writeAt(final long index, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > maxRecordLength)
        {
            throw new IllegalArgumentException("record of " + length + " bytes is over the journal's limit of " + maxRecordLength);
        }
        if (null != buffer.byteArray() || offset < 0 || length < 0 || offset > buffer.capacity() - length)
        {
            throw new IllegalArgumentException("the record must lie in native memory, inside the buffer (offset " + offset +
                ", length " + length + ", capacity " + buffer.capacity() + ")");
        }
        if (copiedLastIndex == NOT_KNOWN)
        {
            copiedLastIndex = lastIndex(); // once: Chronicle's lastIndex() searches the index, too slow per record
        }
        final long last = copiedLastIndex;
        final boolean next = index == last + 1 && (last < 0 || cycleOf(index) == cycleOf(last));
        final boolean firstOfLaterCycle = queue.rollCycle().toSequenceNumber(index) == 0 && (last < 0 || cycleOf(index) > cycleOf(last));
        if (!next && !firstOfLaterCycle)
        {
            throw new IllegalStateException("cannot write index " + index + " (cycle " + cycleOf(index) + "): the journal ends at " +
                last + (last < 0 ? "" : " (cycle " + cycleOf(last) + ")"));
        }
        if (null == appender)
        {
            appender = queue.createAppender();
        }
        if (null == recordPointer)
        {
            recordPointer = new PointerBytesStore();
        }
        recordPointer.set(buffer.addressOffset() + offset, length);
        ((InternalAppender)appender).writeBytes(index, recordPointer);
        if (appender.lastIndexAppended() != index)
        {
            copiedLastIndex = NOT_KNOWN;
            throw new IllegalStateException("journal did not take index " + index + "; it ends at " + lastIndex());
        }
        copiedLastIndex = index;
        final Bytes<?> bytes = ((ExcerptContext)appender).wire().bytes();
        writerMapping.note(bytes);
        WRITE_POSITION.setRelease(this, bytes.writePosition());
    }

    /**
     * The CRC32C trailer of the record at an index, as stored.
     *
     * @param index of a record.
     * @return the trailer, or {@link #NO_RECORD} if the journal holds no record there.
     */
    public long storedCrc(final long index)
    {
        if (index < 0)
        {
            return NO_RECORD;
        }
        try (ExcerptTailer tailer = queue.createTailer())
        {
            return storedCrc(tailer, index);
        }
    }

    private static long storedCrc(final ExcerptTailer tailer, final long index)
    {
        if (!tailer.moveToIndex(index))
        {
            return NO_RECORD;
        }
        try (DocumentContext dc = tailer.readingDocument())
        {
            if (!isRecordAt(dc, index))
            {
                return NO_RECORD;
            }
            final Bytes<?> bytes = dc.wire().bytes();
            final long length = bytes.readRemaining();
            return length < JournalRecord.TRAILER_LENGTH ? NO_RECORD :
                bytes.readInt(bytes.readPosition() + length - JournalRecord.TRAILER_LENGTH);
        }
    }

    /**
     * Records to compare with another journal's, newest first: the last record, then the ones 1, 2, 4, 8... records
     * before it, across cycles, until the arrays are full or the journal's newest maxCycles cycles are passed. Where
     * two journals that share a beginning part ways lies between the newest checkpoint both hold and the one before.
     *
     * @param indices   gets the checkpoints' indices.
     * @param crcs      gets their CRC32C trailers.
     * @param maxCycles how many of the newest cycles to look in.
     * @return how many checkpoints were written; 0 if the journal is empty.
     */
    public int checkpoints(final long[] indices, final int[] crcs, final int maxCycles)
    {
        final long last = lastIndex();
        if (last < 0)
        {
            return 0;
        }
        final RollCycle rollCycle = queue.rollCycle();
        int count = 0;
        long distance = 0; // records before the last one
        long passed = 0; // records in the newer cycles already passed
        int cyclesSeen = 0;
        try (ExcerptTailer tailer = queue.createTailer())
        {
            for (final long cycle : queue.listCyclesBetween(queue.firstCycle(), cycleOf(last)).descendingSet())
            {
                if (count == indices.length || ++cyclesSeen > maxCycles)
                {
                    break;
                }
                final long cycleLast = cycle == cycleOf(last) ? rollCycle.toSequenceNumber(last) : lastSequence(tailer, (int)cycle);
                while (count < indices.length && cycleLast >= 0 && distance - passed <= cycleLast)
                {
                    final long index = rollCycle.toIndex((int)cycle, cycleLast - (distance - passed));
                    final long crc = storedCrc(tailer, index);
                    if (crc != NO_RECORD)
                    {
                        indices[count] = index;
                        crcs[count++] = (int)crc;
                    }
                    distance = distance == 0 ? 1 : distance * 2;
                }
                passed += cycleLast + 1;
            }
        }
        return count;
    }

    /**
     * @return the sequence number of a cycle's last record, found by index lookups alone; -1 if it has none.
     */
    private long lastSequence(final ExcerptTailer tailer, final int cycle)
    {
        final RollCycle rollCycle = queue.rollCycle();
        if (storedCrc(tailer, rollCycle.toIndex(cycle, 0)) == NO_RECORD)
        {
            return -1;
        }
        final long maxSequence = rollCycle.maxMessagesPerCycle() - 1;
        long present = 0;
        long absent = 1;
        while (absent <= maxSequence && storedCrc(tailer, rollCycle.toIndex(cycle, absent)) != NO_RECORD)
        {
            present = absent;
            absent *= 2;
        }
        while (absent - present > 1)
        {
            final long mid = (present + absent) >>> 1;
            if (storedCrc(tailer, rollCycle.toIndex(cycle, mid)) != NO_RECORD)
            {
                present = mid;
            }
            else
            {
                absent = mid;
            }
        }
        return present;
    }

    private static boolean isRecordAt(final DocumentContext dc, final long index)
    {
        return dc.isPresent() && !dc.isMetaData() && dc.index() == index;
    }

    private static final long NOT_KNOWN = Long.MIN_VALUE;

    /**
     * What {@link #storedCrc(long)} answers for an index with no record.
     */
    public static final long NO_RECORD = Long.MIN_VALUE;

    /**
     * @return where the writer's own mapping of its current file lies, as of its last record; null before the first.
     * The mapping may be gone by the time another thread reads this (the writer moved on to the next chunk or file).
     */
    public PreToucher.Mapping writerMapping()
    {
        return writerMapping.get();
    }

    /**
     * @return the file offset just past the last record appended (in the current cycle's file), published for
     * other threads such as a pre-toucher.
     */
    public long writePosition()
    {
        return (long)WRITE_POSITION.getAcquire(this);
    }

    /**
     * The file a record is in, from its index alone: safe on any thread, and known as soon as the index is
     * (Chronicle tells its file listeners about a new file later, on a background thread).
     *
     * @param index of a record.
     * @return the cycle file holding it.
     */
    public File fileOf(final long index)
    {
        return cycleFile(cycleOf(index));
    }

    /**
     * The roll cycle a record is in: cheap and allocation-free, for noticing a roll before asking
     * {@link #fileOf(long)} for the new file.
     *
     * @param index of a record.
     * @return its cycle.
     */
    public int cycleOf(final long index)
    {
        return queue.rollCycle().toCycle(index);
    }

    /**
     * The existing cycle files of the cycles from one to another, inclusive, oldest first.
     *
     * @param fromCycle first cycle (clamped to the journal's first).
     * @param toCycle   last cycle (clamped to the journal's last).
     * @return the files; empty if none.
     */
    public List<File> cycleFilesBetween(final int fromCycle, final int toCycle)
    {
        final List<File> files = new ArrayList<>();
        final int first = queue.firstCycle();
        final int last = queue.lastCycle();
        if (Math.max(fromCycle, first) > Math.min(toCycle, last))
        {
            return files;
        }
        // Chronicle lists only between cycles whose files exist: list them all, keep those in range
        for (final long cycle : queue.listCyclesBetween(first, last))
        {
            if (cycle >= fromCycle && cycle <= toCycle)
            {
                files.add(cycleFile(cycle));
            }
        }
        return files;
    }

    private File cycleFile(final long cycle)
    {
        return new File(queue.file(), fileNames.format(Instant.ofEpochMilli(cycle * queue.rollCycle().lengthInMillis())) +
            SingleChronicleQueue.SUFFIX);
    }

    /**
     * Delete the files of cycles that ended at or before the cutoff, never the current cycle's or the last
     * one written. Safe while the journal is being appended to.
     *
     * @param cutoffEpochMs cycles ending at or before this time go.
     * @return the files deleted.
     */
    public List<File> deleteCyclesEndedBefore(final long cutoffEpochMs)
    {
        final List<File> deleted = new ArrayList<>();
        final int first = queue.firstCycle();
        final int last = queue.lastCycle();
        if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE || last < first)
        {
            return deleted;
        }
        final int keepFrom = Math.min(queue.cycle(), last);
        final long length = queue.rollCycle().lengthInMillis();
        final List<Long> expired = new ArrayList<>();
        long deletedThrough = -1;
        try (ExcerptTailer tailer = queue.createTailer())
        {
            for (final long cycle : queue.listCyclesBetween(first, last))
            {
                if (cycle >= keepFrom || (cycle + 1) * length > cutoffEpochMs)
                {
                    break;
                }
                expired.add(cycle);
                final long lastSequence = lastSequence(tailer, (int)cycle);
                deletedThrough = lastSequence < 0 ? deletedThrough : queue.rollCycle().toIndex((int)cycle, lastSequence);
            }
        }
        if (deletedThrough > deletedThrough(queue.file()))
        {
            keepDeletedThrough(deletedThrough); // before the files go: a reader never finds them gone and unrecorded
        }
        for (final long cycle : expired)
        {
            final File file = cycleFile(cycle);
            if (file.delete())
            {
                deleted.add(file);
            }
        }
        if (!deleted.isEmpty())
        {
            queue.refreshDirectoryListing();
        }
        return deleted;
    }

    /**
     * Name of the file in a journal's directory that holds the index of the newest record retention deleted, so that
     * readers asking for a position before it are told their records are gone rather than silently skipped.
     */
    public static final String DELETED_THROUGH_FILE = "deleted-through";

    /**
     * @param journalDir a journal's directory.
     * @return the index of the newest record retention deleted from it, or -1 if none was (or none is known).
     */
    public static long deletedThrough(final File journalDir)
    {
        final File file = new File(journalDir, DELETED_THROUGH_FILE);
        try
        {
            return file.isFile() ? Long.parseLong(Files.readString(file.toPath(), StandardCharsets.US_ASCII).trim()) : -1;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    private void keepDeletedThrough(final long index)
    {
        final File file = new File(queue.file(), DELETED_THROUGH_FILE);
        final File tmp = new File(queue.file(), DELETED_THROUGH_FILE + ".tmp");
        try
        {
            Files.writeString(tmp.toPath(), index + "\n", StandardCharsets.US_ASCII);
            try (FileChannel channel = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE))
            {
                channel.force(true);
            }
            Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(queue.file());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot record what retention deleted in " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return the name of the journal's roll cycle, as its files were written (an existing journal keeps its own,
     * whatever it was opened with).
     */
    public String rollCycleName()
    {
        final RollCycle rollCycle = queue.rollCycle();
        for (final RollCycles known : RollCycles.values())
        {
            if (known.format().equals(rollCycle.format()) && known.lengthInMillis() == rollCycle.lengthInMillis() &&
                known.maxMessagesPerCycle() == rollCycle.maxMessagesPerCycle())
            {
                return known.name();
            }
        }
        throw new IllegalStateException("the journal at " + queue.file() + " has a roll cycle Peregrine does not know: " + rollCycle);
    }

    /**
     * Read again which cycle files the directory holds, after some were moved away with the journal closed.
     */
    void refreshDirectoryListing()
    {
        queue.refreshDirectoryListing();
    }

    /**
     * Look for an append cut short after the last complete record (see {@link TornTail}): in the file of the
     * last record and in any newer cycle file. Reads only; on a live store an append in progress looks the
     * same for a moment, so a caller that finds one should look again before calling it torn.
     *
     * @return the torn excerpt, or null if the journal ends cleanly.
     * @throws IOException if a file cannot be read.
     */
    public TornTail findTornTail() throws IOException
    {
        final long maxRegion = BitUtil.align(maxRecordLength + 8L, 4);
        final long last = lastIndex();
        String lastFileName = "";
        if (last >= 0)
        {
            final File lastFile = fileOf(last);
            lastFileName = lastFile.getName();
            long end = -1;
            try (ExcerptTailer tailer = queue.createTailer())
            {
                if (tailer.moveToIndex(last))
                {
                    try (DocumentContext dc = tailer.readingDocument())
                    {
                        if (dc.isPresent())
                        {
                            end = dc.wire().bytes().readLimit();
                        }
                    }
                }
            }
            final TornTail torn = end < 0 ? null : TornTail.scan(lastFile, end, maxRegion);
            if (null != torn)
            {
                return torn;
            }
        }
        final File[] files = queue.file().listFiles((dir, name) -> name.endsWith(SingleChronicleQueue.SUFFIX));
        if (null != files)
        {
            Arrays.sort(files);
            for (final File file : files)
            {
                if (file.getName().compareTo(lastFileName) > 0)
                {
                    final TornTail torn = TornTail.scan(file, 0, maxRegion);
                    if (null != torn)
                    {
                        return torn;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Fence an append cut short by a crash: zero what it claimed, so it is never read and the next append
     * starts on clean space. Only the store's one writer may call it, before it appends.
     *
     * @return what was fenced, or null if the journal ended cleanly.
     * @throws IOException if a file cannot be read or written.
     * @throws IllegalStateException if the journal was opened read-only.
     */
    public TornTail fenceTornTail() throws IOException
    {
        if (readOnly)
        {
            throw new IllegalStateException("journal at " + queue.file() + " is open read-only; only its writer may fence a torn tail");
        }
        final TornTail torn = findTornTail();
        if (null != torn)
        {
            torn.fence();
        }
        return torn;
    }

    /**
     * Where a starting broker keeps what it takes out of a journal after a crash (cycle files without a header,
     * the original bytes of records it voids): the journal directory's sibling {@code <name>-damaged}.
     *
     * @param journalDir directory of the queue files.
     * @return the directory (it may not exist).
     */
    public static File damagedDir(final File journalDir)
    {
        return new File(journalDir.getAbsoluteFile().getParentFile(), journalDir.getName() + "-damaged");
    }

    /**
     * Force a directory's entries to disk (a new or renamed file's name), as fsync on the directory does.
     *
     * @param directory to force; nothing happens if null.
     * @throws IOException if it cannot be opened or forced.
     */
    public static void forceDirectory(final File directory) throws IOException
    {
        if (null == directory)
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory.toPath(), StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /**
     * Read the newest records, newest first, until maxRecords records or maxBytes bytes: hand each intact one to the
     * handler and void each one that fails its check (see {@link VoidedRecord}), which is what a crash during a flush
     * leaves of appends whose bytes only partly reached the disk. Every record's CRC is checked, so the byte bound
     * keeps a start quick when records are large. Only the store's one writer may call it, before it appends.
     *
     * @param maxRecords how many of the newest records to read.
     * @param maxBytes   how many bytes of the newest records to read, at most.
     * @param intact     gets each intact record, newest first (voided ones included: see {@link RecordView#voided()}).
     * @return the records voided; empty if all were intact.
     * @throws IOException if a file cannot be read or written.
     * @throws IllegalStateException if the journal was opened read-only.
     */
    public List<VoidedRecord> readNewestVoidingDamaged(final long maxRecords, final long maxBytes, final RecordHandler intact)
        throws IOException
    {
        if (readOnly)
        {
            throw new IllegalStateException("journal at " + queue.file() + " is open read-only; only its writer may void records");
        }
        try (ExcerptTailer tailer = queue.createTailer())
        {
            return VoidedRecord.voidDamaged(this, tailer, queue.firstIndex(), maxRecords, maxBytes, intact);
        }
    }

    /**
     * @return index of the last record in the journal, or -1 if it is empty.
     */
    public long lastIndex()
    {
        final long last = queue.lastIndex();
        return last < 0 ? -1 : last;
    }

    /**
     * @return index of the first record the journal still holds, or -1 if it is empty.
     */
    public long firstIndex()
    {
        final long first = queue.firstIndex();
        return first == Long.MAX_VALUE || first < 0 ? -1 : first;
    }

    /**
     * Create a reader that starts with the record after an index. The reader must be used and closed on one thread.
     *
     * @param index a record the journal holds, or -1 to start from the first record.
     * @return a new reader, or null if the journal holds no record at that index.
     */
    public RecordReader readerAfter(final long index)
    {
        final ExcerptTailer tailer = queue.createTailer();
        if (index < 0)
        {
            return new RecordReader(tailer.toStart());
        }
        if (tailer.moveToIndex(index))
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (isRecordAt(dc, index))
                {
                    return new RecordReader(tailer); // past the record at index: it reads the one after
                }
            }
        }
        tailer.close();
        return null;
    }

    /**
     * A tailer at the record with this index, or the first one after it (in this or a later cycle); at the end if
     * there is none.
     */
    ExcerptTailer tailerAtOrAfter(final long index)
    {
        return moveAtOrAfter(queue.createTailer(), index);
    }

    /**
     * Move a tailer of this journal to the record with this index, or the first one after it; to the end if none.
     */
    ExcerptTailer moveAtOrAfter(final ExcerptTailer tailer, final long index)
    {
        final long first = firstIndex();
        if (index <= first || first < 0)
        {
            return tailer.toStart();
        }
        if (tailer.moveToIndex(index))
        {
            return tailer;
        }
        final int lastCycle = queue.lastCycle();
        if (cycleOf(index) < lastCycle)
        {
            for (final long cycle : queue.listCyclesBetween(cycleOf(index) + 1, lastCycle))
            {
                if (tailer.moveToIndex(queue.rollCycle().toIndex((int)cycle, 0)))
                {
                    return tailer;
                }
            }
        }
        return tailer.toEnd();
    }

    /**
     * A tailer at the first record of the cycle a time falls in (or of the first later cycle with records): records
     * stored at that time or after are at it or after it.
     */
    ExcerptTailer tailerAtTime(final long epochMs)
    {
        final RollCycle rollCycle = queue.rollCycle();
        final int cycle = rollCycle.current(() -> epochMs, queue.epoch());
        return tailerAtOrAfter(rollCycle.toIndex(cycle, 0));
    }

    /**
     * A tailer after the last record: it reads only what is stored from now on.
     */
    ExcerptTailer tailerAtEnd()
    {
        return queue.createTailer().toEnd();
    }

    /**
     * Create a reader from the start of the journal. The reader must be used and closed on one thread.
     *
     * @return a new reader.
     */
    public RecordReader reader()
    {
        return new RecordReader(queue.createTailer());
    }

    /**
     * Create a reader from the end of the journal towards its start, newest record first.
     *
     * @return a new reader.
     */
    public RecordReader reverseReader()
    {
        return new RecordReader(queue.createTailer().direction(TailerDirection.BACKWARD).toEnd());
    }

    /**
     * @return the directory of the journal.
     */
    public File dir()
    {
        return queue.file();
    }

    /**
     * Close the appender and the queue.
     */
    public void close()
    {
        writerMapping.clear();
        CloseHelper.quietClose(appender);
        if (null != recordPointer)
        {
            recordPointer.releaseLast();
        }
        queue.close();
    }

    /**
     * Reads records in index order.
     */
    public static final class RecordReader implements AutoCloseable
    {
        private final ExcerptTailer tailer;
        private final RecordView view = new RecordView();

        RecordReader(final ExcerptTailer tailer)
        {
            this.tailer = tailer;
        }

        /**
         * Read the next record, if any, and hand it to the handler. The view is valid only inside
         * the handler and has not been validated.
         *
         * @param handler to call with the record.
         * @return true if a record was read.
         */
        public boolean readNext(final RecordHandler handler)
        {
            while (true)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        return false;
                    }
                    if (dc.isMetaData())
                    {
                        continue;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    final long position = bytes.readPosition();
                    final int length = (int)bytes.readRemaining();
                    handler.onRecord(view.wrap(dc.index(), bytes.addressForRead(position), length));
                    return true;
                }
            }
        }

        /**
         * Close the tailer.
         */
        public void close()
        {
            tailer.close();
        }
    }

    /**
     * Receives records from a {@link RecordReader}.
     */
    @FunctionalInterface
    public interface RecordHandler
    {
        /**
         * One record; the view is valid only during the call.
         *
         * @param record the record, not yet validated.
         */
        void onRecord(RecordView record);
    }
}
