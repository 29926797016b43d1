package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.CloseHelper;

/**
 * Reads the messages a broker stored, on the broker's host, from its store directory: beside the running broker (the
 * journal is opened read-only; the broker is not disturbed), a slave, or a stopped one.
 *
 * <pre>{@code
 * try (JournalReader reader = JournalReader.open(new JournalReader.Context()
 *     .storeDir(new File("/var/lib/peregrine/a")).name("billing").topic("orders.eu").readCommitted(true)))
 * {
 *     while (running)
 *     {
 *         if (reader.poll((message) -> handle(message.index(), message.body(), message.bodyLength()), 100) == 0)
 *         {
 *             idle.idle();
 *         }
 *         reader.commit(); // a named reader resumes after the last record read when it is opened again
 *     }
 * }
 * }</pre>
 *
 * <p>Each message is handed over in index order, once, as a view of the mapped journal: nothing is copied and, in
 * steady state, nothing allocated. Records a broker voided after a crash and records that fail their check (CRC32C,
 * header, lengths) are skipped and counted, never handed over. With {@link Context#readCommitted(boolean)} only
 * records that are durable under the broker's policy are: flushed under SYNC_FLUSH, acknowledged by an in-sync
 * slave under SYNC_MASTER (see {@link Watermarks}); a reader waits at the first one that is not yet.
 *
 * <p>One thread uses a reader. A named reader keeps its position in {@code <store>/readers/<name>.position} on
 * {@link #commit()} (one write, no sync; forced to disk on {@link #close()}), and holds a lock on the name while
 * open.
 */
public final class JournalReader implements AutoCloseable
{
    /**
     * Where a reader without a kept position starts.
     */
    public enum Start
    {
        /** The journal's first record. */
        START,
        /** After its last record: only what is stored from now on. */
        END
    }

    /**
     * What to read and from where.
     */
    public static final class Context
    {
        private File storeDir;
        private String name;
        private String topic;
        private boolean readCommitted;
        private Start start = Start.START;
        private long fromIndex = -1;
        private long fromTimeMs = -1;

        /**
         * @param storeDir the broker's storePathRootDir.
         * @return this.
         */
        public Context storeDir(final File storeDir)
        {
            this.storeDir = storeDir;
            return this;
        }

        /**
         * @param name a named reader's name (letters, digits, '.', '_', '-'): it resumes after the position it
         *             last committed, whatever the start; null for a reader that keeps no position.
         * @return this.
         */
        public Context name(final String name)
        {
            this.name = name;
            return this;
        }

        /**
         * @param topic only messages of this topic; null for all.
         * @return this.
         */
        public Context topic(final String topic)
        {
            this.topic = topic;
            return this;
        }

        /**
         * @param readCommitted only records durable under the broker's policy.
         * @return this.
         */
        public Context readCommitted(final boolean readCommitted)
        {
            this.readCommitted = readCommitted;
            return this;
        }

        /**
         * @param start from the first record or from the end.
         * @return this.
         */
        public Context from(final Start start)
        {
            this.start = start;
            this.fromIndex = -1;
            this.fromTimeMs = -1;
            return this;
        }

        /**
         * @param index start with the record at this journal index, or the first one after it.
         * @return this.
         */
        public Context fromIndex(final long index)
        {
            this.fromIndex = index;
            this.fromTimeMs = -1;
            return this;
        }

        /**
         * @param epochMs start with the first record the broker stored at or after this time.
         * @return this.
         */
        public Context fromTime(final long epochMs)
        {
            this.fromTimeMs = epochMs;
            this.fromIndex = -1;
            return this;
        }
    }

    /**
     * Receives messages from {@link #poll}.
     */
    @FunctionalInterface
    public interface MessageHandler
    {
        /**
         * One message; the view is valid only during the call.
         *
         * @param message the stored message.
         */
        void onMessage(StoredMessage message);
    }

    private static final int MAX_RECORD_LENGTH = 17 * 1024 * 1024; // a body of 16 MiB, the most Aeron carries, and its header

    private final Journal journal;
    private final ExcerptTailer tailer;
    private final Watermarks watermarks;
    private final byte[] topic;
    private final PositionFile positionFile;
    private final FileChannel lockChannel;
    private final RecordView view = new RecordView();
    private final StoredMessage message = new StoredMessage();
    private long notBeforeNs;
    private long lastRead = -1;
    private long committedPosition = -1;
    private long voided;
    private long damaged;

    private JournalReader(
        final Journal journal,
        final ExcerptTailer tailer,
        final Watermarks watermarks,
        final byte[] topic,
        final PositionFile positionFile,
        final FileChannel lockChannel,
        final long notBeforeNs)
    {
        this.journal = journal;
        this.tailer = tailer;
        this.watermarks = watermarks;
        this.topic = topic;
        this.positionFile = positionFile;
        this.lockChannel = lockChannel;
        this.notBeforeNs = notBeforeNs;
    }

    /**
     * Open a reader on a store.
     *
     * @param ctx what to read and from where.
     * @return the reader, positioned.
     * @throws IllegalArgumentException if the store has no journal or the name is not a valid one.
     * @throws IllegalStateException if the named reader is open elsewhere, its kept position or the index it starts from
     *                               is before records retention deleted, or readCommitted is asked of a store whose
     *                               broker has not published its watermarks.
     */
    public static JournalReader open(final Context ctx)
    {
        if (null == ctx.storeDir)
        {
            throw new IllegalArgumentException("storeDir is not set");
        }
        final File journalDir = new File(ctx.storeDir, "journal");
        if (!new File(journalDir, "metadata.cq4t").isFile())
        {
            throw new IllegalArgumentException("no journal at " + journalDir + " (storeDir must be a broker's storePathRootDir)");
        }
        PositionFile positionFile = null;
        FileChannel lockChannel = null;
        Watermarks watermarks = null;
        Journal journal = null;
        try
        {
            long resumeAfter = Long.MIN_VALUE;
            if (null != ctx.name)
            {
                checkName(ctx.name);
                final File readers = new File(ctx.storeDir, "readers");
                Files.createDirectories(readers.toPath());
                lockChannel = lock(new File(readers, ctx.name + ".lock"), ctx.name);
                positionFile = PositionFile.open(new File(readers, ctx.name + ".position"));
                resumeAfter = positionFile.read();
            }
            final long deletedThrough = Journal.deletedThrough(journalDir);
            if (resumeAfter != Long.MIN_VALUE && resumeAfter < deletedThrough)
            {
                throw new IllegalStateException("reader '" + ctx.name + "' kept position " + resumeAfter + ", but the broker has deleted " +
                    "the records after it up to " + deletedThrough + " (fileReservedTime); remove " + positionFile.file() +
                    " to start it afresh");
            }
            if (resumeAfter == Long.MIN_VALUE && ctx.fromIndex > 0 && ctx.fromIndex <= deletedThrough)
            {
                throw new IllegalStateException("index " + ctx.fromIndex + " is no longer retained: the broker has deleted the records " +
                    "up to " + deletedThrough + " (fileReservedTime); start from the first retained record instead");
            }
            watermarks = ctx.readCommitted ? Watermarks.openReadOnly(ctx.storeDir) : null;
            journal = Journal.open(journalDir, MAX_RECORD_LENGTH, true);
            final ExcerptTailer tailer;
            long notBeforeNs = 0;
            long endAt = -1;
            if (resumeAfter != Long.MIN_VALUE)
            {
                tailer = journal.tailerAtOrAfter(resumeAfter + 1);
            }
            else if (ctx.fromIndex >= 0)
            {
                tailer = journal.tailerAtOrAfter(ctx.fromIndex);
            }
            else if (ctx.fromTimeMs >= 0)
            {
                tailer = journal.tailerAtTime(ctx.fromTimeMs);
                notBeforeNs = TimeUnit.MILLISECONDS.toNanos(ctx.fromTimeMs);
            }
            else if (ctx.start == Start.END)
            {
                endAt = journal.lastIndex(); // before the tailer goes to the end: a record appended between is not skipped
                tailer = journal.tailerAtEnd();
            }
            else
            {
                tailer = journal.tailerAtOrAfter(-1);
            }
            final JournalReader reader = new JournalReader(journal, tailer, watermarks,
                null == ctx.topic ? null : ctx.topic.getBytes(StandardCharsets.UTF_8), positionFile, lockChannel, notBeforeNs);
            if (resumeAfter != Long.MIN_VALUE)
            {
                reader.lastRead = resumeAfter;
                reader.committedPosition = resumeAfter;
            }
            else if (endAt >= 0)
            {
                reader.lastRead = endAt; // from the end: as if the journal so far had been read
            }
            return reader;
        }
        catch (final IOException ex)
        {
            CloseHelper.quietCloseAll(journal, watermarks, positionFile, lockChannel);
            throw new UncheckedIOException("cannot open a reader on " + ctx.storeDir + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(journal, watermarks, positionFile, lockChannel);
            throw ex;
        }
    }

    /**
     * Hand over up to limit messages, in index order, skipping what the filters and checks leave out.
     *
     * @param handler gets each message.
     * @param limit   most messages to hand over.
     * @return messages handed over; 0 when there is nothing more yet (or the next record is not yet committed).
     */
    public int poll(final MessageHandler handler, final int limit)
    {
        return poll(handler, limit, Integer.MAX_VALUE);
    }

    /**
     * Hand over up to limit messages, looking at no more than scanLimit records (handed over or skipped), so that a
     * reader whose topic is rare among many records returns now and then instead of reading through them all in one
     * call (a thread serving several readers stays fair).
     *
     * @param handler   gets each message.
     * @param limit     most messages to hand over.
     * @param scanLimit most records to look at.
     * @return messages handed over; 0 when there is nothing more yet, or the scan limit was reached first.
     */
    public int poll(final MessageHandler handler, final int limit, final int scanLimit)
    {
        final long committed = null == watermarks ? Long.MAX_VALUE : watermarks.committed();
        int delivered = 0;
        int scanned = 0;
        while (delivered < limit && scanned < scanLimit)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    break;
                }
                if (dc.isMetaData())
                {
                    continue;
                }
                final long index = dc.index();
                if (index > committed)
                {
                    dc.rollbackOnClose();
                    break;
                }
                final Bytes<?> bytes = dc.wire().bytes();
                view.wrap(index, bytes.addressForRead(bytes.readPosition()), (int)bytes.readRemaining());
                lastRead = index;
                scanned++;
                if (null != view.validate())
                {
                    damaged++;
                    continue;
                }
                if (view.voided())
                {
                    voided++;
                    continue;
                }
                if (notBeforeNs != 0)
                {
                    if (view.appendedEpochNs() < notBeforeNs)
                    {
                        continue;
                    }
                    notBeforeNs = 0;
                }
                if (null != topic && !view.topicIs(topic))
                {
                    continue;
                }
                handler.onMessage(message.wrap(view));
                delivered++;
            }
        }
        return delivered;
    }

    /**
     * Move the reader: the next poll starts with the record at this index, or the first one after it (the end if there
     * is none). A named reader's kept position moves only on {@link #commit()}.
     *
     * @param index a journal index; -1 or anything before the first record means the start.
     */
    public void seek(final long index)
    {
        journal.moveAtOrAfter(tailer, index);
        notBeforeNs = 0;
    }

    /**
     * Go on after a record, as if everything up to it had been read: the next poll starts with the record after it. For
     * a consumer that knows what it has (one resuming on a new stream); a named reader's kept position does not move
     * until it commits, and may then commit up to this index.
     *
     * @param index the last record the consumer has.
     */
    public void resumeAfter(final long index)
    {
        seek(index + 1);
        lastRead = index;
    }

    /**
     * @return the index of the last record read (handed over or skipped), or -1 if none yet; opened from the end, the
     * journal's last record then (the reader goes on after it).
     */
    public long lastIndex()
    {
        return lastRead;
    }

    /**
     * Keep the position of a named reader: opened again, it resumes after the last record read. One write of 20 bytes
     * into the position file, no sync and no allocation, so committing after every record is cheap: a crash of the
     * reader's process leaves the old position or the new, never a torn one; the operating system writes it to disk
     * within its writeback delay (about 30 s on Linux), and {@link #close()} forces it, as it does the first write,
     * which gives the file its length (a power loss can take the position back to an earlier commit: records are read
     * again, never skipped). Nothing happens if nothing was read since the last commit.
     *
     * @throws IllegalStateException if the reader has no name.
     */
    public void commit()
    {
        keep(lastRead);
    }

    private void keep(final long position)
    {
        if (null == positionFile)
        {
            throw new IllegalStateException("only a named reader keeps a position; give it a name");
        }
        if (position == committedPosition || position < 0)
        {
            return;
        }
        positionFile.write(position);
        committedPosition = position;
    }

    /**
     * Keep a position of a named reader short of the last record read: opened again, it resumes after this index. For
     * readers that hand records on and learn later how far they were processed (the broker's network tail keeps its
     * consumers' acknowledged positions so). Written as {@link #commit()} writes.
     *
     * @param index the last record processed: at most {@link #lastIndex()}, and not before the last kept position.
     * @throws IllegalStateException if the reader has no name.
     * @throws IllegalArgumentException if the index is after the last record read or before the kept position.
     */
    public void commit(final long index)
    {
        if (index > lastRead || index < committedPosition)
        {
            throw new IllegalArgumentException("position " + index + " is not between the kept position " + committedPosition +
                " and the last record read " + lastRead);
        }
        keep(index);
    }

    /**
     * @return the position kept for a named reader (the last record it committed), -1 if none.
     */
    public long committedIndex()
    {
        return committedPosition;
    }

    /**
     * @return records skipped because a broker voided them after a crash.
     */
    public long voidedSkipped()
    {
        return voided;
    }

    /**
     * @return records skipped because they failed their check (CRC32C, header, lengths).
     */
    public long damagedSkipped()
    {
        return damaged;
    }

    /**
     * Close the journal, force a named reader's committed position to disk and let go of the name; the position is
     * kept only by {@link #commit()}.
     *
     * @throws UncheckedIOException if the committed position cannot be forced to disk (all is closed anyway).
     */
    public void close()
    {
        CloseHelper.closeAll(tailer, journal, watermarks, positionFile, lockChannel);
    }

    private static void checkName(final String name)
    {
        if (name.isEmpty() || name.length() > 128 || !name.chars().allMatch((c) ->
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') ||
            name.startsWith("."))
        {
            throw new IllegalArgumentException("reader name '" + name + "' must be 1 to 128 of A-Z a-z 0-9 . _ - and not start with '.'");
        }
    }

    private static FileChannel lock(final File file, final String name) throws IOException
    {
        final FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try
        {
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            lock = null;
        }
        if (null == lock)
        {
            channel.close();
            throw new IllegalStateException("reader '" + name + "' is open already, in this or another process");
        }
        return channel;
    }
}
