package io.peregrine.journal;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.journal.codec.MessageHeaderEncoder;
import io.peregrine.journal.codec.RecordHeaderEncoder;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A record a starting broker voided. A power cut (or a kernel panic) while a flush is writing pages back can leave
 * a complete Chronicle excerpt whose record bytes only partly reached the disk: its header counts it, its check
 * fails. Under SYNC_FLUSH such a record was never acknowledged: an acknowledgement waits for a flush that returned,
 * and after that flush every byte of the record is on disk. Left in place it is never served, but {@code journal
 * verify} would call the store damaged for good and nothing would say it was crash debris.
 *
 * <p>Voiding keeps the excerpt (and so every index) as it is and overwrites the record, at its length, with one
 * that has {@link JournalRecord#FLAG_VOIDED}, no producer, no topic and a zero body; readers pass over it. The
 * original bytes are saved first, into {@link Journal#damagedDir(File)}, as {@code record-<index>.bin}.
 */
public final class VoidedRecord
{
    /**
     * Journal index of the record.
     */
    public final long index;

    /**
     * Its length, trailer included.
     */
    public final int length;

    /**
     * What its check said before it was voided.
     */
    public final String reason;

    /**
     * The file its original bytes were saved to.
     */
    public final File savedTo;

    private VoidedRecord(final long index, final int length, final String reason, final File savedTo)
    {
        this.index = index;
        this.length = length;
        this.reason = reason;
        this.savedTo = savedTo;
    }

    private record Damaged(long index, long offset, int length, String reason)
    {
    }

    /**
     * Check the newest records, newest first, hand each intact one to the caller, and void each one that fails.
     * Walking back relies on Chronicle's index, which a crash can leave stale: a walk that stops before the window
     * is full without reaching the journal's first record is followed by a forward check of everything before where
     * it stopped. Records a reader finds past the end the walk started from are checked too. Only records that look
     * torn are voided ({@link RecordView#looksTorn()}): one written by another build (another schema or record
     * version) is left as it is, and so is one too short to hold a void record.
     */
    static List<VoidedRecord> voidDamaged(
        final Journal journal,
        final ExcerptTailer tailer,
        final long firstIndex,
        final long maxRecords,
        final long maxBytes,
        final Journal.RecordHandler intact)
        throws IOException
    {
        final List<Damaged> damaged = new ArrayList<>();
        final RecordView view = new RecordView();
        long newest = -1;
        long oldest = -1;
        long records = 0;
        long bytes = 0;
        boolean walkEnded = false;
        tailer.direction(TailerDirection.BACKWARD).toEnd();
        while (records < maxRecords && bytes < maxBytes)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    walkEnded = true;
                    break;
                }
                if (!dc.isMetaData())
                {
                    newest = newest < 0 ? dc.index() : newest;
                    oldest = dc.index();
                    records++;
                    bytes += check(dc, view, damaged, intact);
                }
            }
        }
        tailer.direction(TailerDirection.FORWARD);
        if (newest < 0 || walkEnded && oldest != firstIndex)
        {
            tailer.toStart();
            forward(tailer, view, damaged, oldest); // the walk broke (or found nothing): everything before it
        }
        if (newest >= 0 && tailer.moveToIndex(newest))
        {
            forward(tailer, view, damaged, -1); // the newest record again, then anything past it
        }
        final List<VoidedRecord> voided = new ArrayList<>();
        if (damaged.isEmpty())
        {
            return voided;
        }
        final File saveDir = Journal.damagedDir(journal.dir());
        Files.createDirectories(saveDir.toPath());
        for (final Damaged record : damaged)
        {
            voided.add(overwrite(journal.fileOf(record.index()), saveDir, record));
        }
        Journal.forceDirectory(saveDir);
        return voided;
    }

    /**
     * Read forward until the end or the given index (exclusive; -1 for no bound), checking each record.
     */
    private static void forward(final ExcerptTailer tailer, final RecordView view, final List<Damaged> damaged, final long before)
    {
        while (true)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent() || before >= 0 && dc.index() >= before)
                {
                    return;
                }
                if (!dc.isMetaData() && !containsIndex(damaged, dc.index()))
                {
                    check(dc, view, damaged, null);
                }
            }
        }
    }

    /**
     * Check one excerpt: a record that fails goes to the damaged list, an intact one to the handler if any.
     *
     * @return its length.
     */
    private static int check(final DocumentContext dc, final RecordView view, final List<Damaged> damaged, final Journal.RecordHandler intact)
    {
        final Bytes<?> excerpt = dc.wire().bytes();
        final long offset = excerpt.readPosition(); // a cycle file's mapped bytes are addressed by file offset
        final int length = (int)excerpt.readRemaining();
        final String invalid = view.wrap(dc.index(), excerpt.addressForRead(offset), length).validate();
        if (null == invalid)
        {
            if (null != intact)
            {
                intact.onRecord(view);
            }
        }
        else if (view.looksTorn() && length >= JournalRecord.FIXED_HEADER_LENGTH + JournalRecord.TRAILER_LENGTH)
        {
            damaged.add(new Damaged(dc.index(), offset, length, invalid));
        }
        return length;
    }

    private static boolean containsIndex(final List<Damaged> damaged, final long index)
    {
        for (final Damaged record : damaged)
        {
            if (record.index() == index)
            {
                return true;
            }
        }
        return false;
    }

    private static VoidedRecord overwrite(final File file, final File saveDir, final Damaged record) throws IOException
    {
        final ByteBuffer original = ByteBuffer.allocate(record.length());
        final ByteBuffer replacement = ByteBuffer.allocateDirect(record.length());
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            while (original.hasRemaining())
            {
                if (channel.read(original, record.offset() + original.position()) < 0)
                {
                    throw new IOException("record " + record.index() + " runs past the end of " + file);
                }
            }
            final File saved = new File(saveDir, "record-" + record.index() + ".bin");
            try (FileChannel out = FileChannel.open(saved.toPath(),
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
            {
                original.flip();
                while (original.hasRemaining())
                {
                    out.write(original);
                }
                out.force(false);
            }

            final UnsafeBuffer buffer = new UnsafeBuffer(replacement);
            final RecordHeaderEncoder header = new RecordHeaderEncoder();
            final int headerLength = JournalRecord.encodeHeader(header, new MessageHeaderEncoder(), buffer, 0, 0, 0, 0, 0,
                buffer, 0, 0, record.length() - JournalRecord.FIXED_HEADER_LENGTH - JournalRecord.TRAILER_LENGTH);
            header.flags((short)JournalRecord.FLAG_VOIDED);
            final int crcOffset = record.length() - JournalRecord.TRAILER_LENGTH;
            buffer.setMemory(headerLength, crcOffset - headerLength, (byte)0);
            buffer.putInt(crcOffset, JournalRecord.crc(buffer.addressOffset(), crcOffset), ByteOrder.LITTLE_ENDIAN);
            while (replacement.hasRemaining())
            {
                channel.write(replacement, record.offset() + replacement.position());
            }
            channel.force(false);
            return new VoidedRecord(record.index(), record.length(), record.reason(), saved);
        }
    }

    public String toString()
    {
        return "record " + index + " (" + length + " bytes, " + reason + "), saved to " + savedTo;
    }
}
