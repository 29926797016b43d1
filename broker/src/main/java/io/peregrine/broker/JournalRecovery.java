package io.peregrine.broker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalCut;
import io.peregrine.journal.TornTail;
import io.peregrine.journal.UnwrittenCycle;
import io.peregrine.journal.VoidedRecord;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares a broker's journal at start, after whatever stopped the last run: sets aside cycle files whose header never
 * reached the disk, finishes a cut back to a record (a diverged slave's, see {@link JournalCut}) that a crash stopped, fences an
 * append cut short, voids records a crash left half on disk, and reads the newest records
 * into duplicate detection. Everything it takes out is kept in {@code journal-damaged/} and logged.
 */
final class JournalRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalRecovery.class);

    /**
     * How many of the newest journal records a start reads to rebuild duplicate detection, and checks for records
     * a crash left half on disk.
     */
    static final long HISTORY_REBUILD_RECORDS = 1L << 20;

    /**
     * How many bytes of the newest journal records a start reads, at most, for the same.
     */
    static final long HISTORY_REBUILD_BYTES = 256L << 20;

    private JournalRecovery()
    {
    }

    /**
     * Open the journal as its one writer, after setting aside cycle files whose header never reached the disk; fence
     * an append cut short, then read the newest records into duplicate detection, voiding those a crash left half on
     * disk. A journal Chronicle still cannot open is refused with what to do, never changed.
     */
    static Journal open(final BrokerContext ctx, final int maxRecordLength, final ProducerHistories histories)
    {
        final File dir = ctx.journalDir();
        final JournalCut.Result cut = JournalCut.resume(dir, maxRecordLength);
        if (null != cut)
        {
            LOG.warn("journal: finished the cut back to index {} that a crash had stopped; what followed it is kept in {}",
                cut.afterIndex(), cut.keptIn());
        }
        try
        {
            for (final UnwrittenCycle cycle : UnwrittenCycle.setAside(dir))
            {
                LOG.warn("journal: cycle file {} of {} bytes has no header ({}): the header never reached the disk before a " +
                    "crash, so none of it can be read; moved to {} (not deleted); appends continue from what precedes it",
                    cycle.file.getName(), cycle.length, cycle.remains(), Journal.damagedDir(dir));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not set aside the unwritten cycle files of the journal at " + dir, ex);
        }
        Journal journal = null;
        try
        {
            journal = Journal.open(dir, maxRecordLength, false, ctx.rollCycle(), ctx.epochClock()::time);
            fenceTornTail(journal);
            readNewest(journal, histories, ctx.epochClock().time());
            return journal;
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(journal);
            if (ex instanceof UncheckedIOException)
            {
                throw ex;
            }
            throw new IllegalStateException("the journal at " + dir + " cannot be opened (" + ex + "): a cycle file is damaged, " +
                "by a crash under ASYNC_FLUSH or a disk fault; the broker changes nothing in it. Move the journal directory aside " +
                "(keep it for salvage) to start with an empty journal", ex);
        }
    }

    private static void readNewest(final Journal journal, final ProducerHistories histories, final long nowMs)
    {
        try
        {
            final List<VoidedRecord> voided =
                journal.readNewestVoidingDamaged(HISTORY_REBUILD_RECORDS, HISTORY_REBUILD_BYTES, (record) -> histories.learn(record, nowMs));
            if (histories.learned() > 0)
            {
                LOG.info("duplicate detection rebuilt from the newest {} journal records ({} producers)", histories.learned(),
                    histories.size());
            }
            for (final VoidedRecord record : voided)
            {
                LOG.warn("journal: record {} failed its check ({}): its bytes only partly reached the disk before a crash " +
                    "(under SYNC_FLUSH it was never acknowledged) or the disk damaged it; voided in place, so its index stays " +
                    "and readers pass over it; its {} original bytes are saved in {}", record.index, record.reason, record.length,
                    record.savedTo);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not void the damaged records of the journal at " + journal.dir(), ex);
        }
    }

    private static void fenceTornTail(final Journal journal)
    {
        try
        {
            final TornTail torn = journal.fenceTornTail();
            if (null != torn)
            {
                LOG.warn("journal: an append cut short by a crash left an incomplete excerpt at {} offset {}; it was never " +
                    "acknowledged or served; zeroed {} bytes so appends continue after record {}", torn.file, torn.offset, torn.length,
                    journal.lastIndex());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not fence the torn tail of the journal at " + journal.dir(), ex);
        }
    }
}
