package io.peregrine.broker;

import java.io.File;

import io.peregrine.journal.JournalCut;

/**
 * Changes to a stopped broker's store that an operator asks for; each takes the store's lock, so none runs beside a
 * broker on the same store.
 */
public final class StoreTools
{
    private StoreTools()
    {
    }

    /**
     * Cut a store's journal back to a record, as a slave whose master refused it because their journals diverged is
     * told to (its log line and the counter "slave: diverged; cut the journal back to this index" give the index). What
     * follows the record is moved to {@code journal-diverged/after-<index>/journal} beside the journal, kept whole,
     * never deleted. A cut a crash stopped is finished first, so running the same command again after a crash is safe.
     *
     * @param storeDir        the broker's storePathRootDir.
     * @param afterIndex      the record to keep as the journal's last.
     * @param maxRecordLength largest record the journal may hold.
     * @return what the cut moved.
     * @throws IllegalArgumentException if the store has no journal or it holds no record at that index.
     * @throws IllegalStateException if a broker holds the store.
     */
    public static JournalCut.Result cutJournal(final File storeDir, final long afterIndex, final int maxRecordLength)
    {
        final File journalDir = new File(storeDir, BrokerContext.JOURNAL_DIR_NAME);
        if (!journalDir.isDirectory())
        {
            throw new IllegalArgumentException("no journal at " + journalDir + " (the store must be a broker's storePathRootDir)");
        }
        final StoreLock lock = StoreLock.acquireForTool(storeDir);
        try
        {
            JournalCut.resume(journalDir, maxRecordLength);
            return JournalCut.cut(journalDir, afterIndex, maxRecordLength);
        }
        finally
        {
            lock.close();
        }
    }
}
