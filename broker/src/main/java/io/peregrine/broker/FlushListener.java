package io.peregrine.broker;

import java.io.File;

/**
 * Told around each journal flush, on the flusher's thread: for instrumentation and tests (a test can hold
 * a flush and see that no SEND_OK leaves before the flush covering it returned).
 */
public interface FlushListener
{
    /**
     * Does nothing.
     */
    FlushListener NONE = new FlushListener()
    {
        public void beforeFlush(final long upToIndex)
        {
        }

        public void afterFlush(final long upToIndex)
        {
        }
    };

    /**
     * A flush covering everything up to this index starts.
     *
     * @param upToIndex highest appended index it covers.
     */
    void beforeFlush(long upToIndex);

    /**
     * That flush returned: everything up to this index is on disk.
     *
     * @param upToIndex highest index now on disk.
     */
    void afterFlush(long upToIndex);

    /**
     * A journal file was forced (fsync) as part of a flush, of the last flush at close, or at start (every stored file).
     *
     * @param file the cycle file.
     */
    default void fileForced(final File file)
    {
    }
}
