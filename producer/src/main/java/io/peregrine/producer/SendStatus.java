package io.peregrine.producer;

/**
 * What a completed send means. Errors are never statuses: they are thrown as {@link SendException}.
 */
public enum SendStatus
{
    /**
     * Stored as the broker's policy asks: appended (ASYNC_FLUSH), on disk (SYNC_FLUSH), and acked by a
     * slave when the broker is a SYNC_MASTER.
     */
    SEND_OK,

    /**
     * SYNC_FLUSH and the flush covering the message did not finish in time. The message may still
     * become durable; resending may store it twice unless retries reuse its id.
     */
    FLUSH_DISK_TIMEOUT,

    /**
     * SYNC_MASTER and no slave acknowledged the message in time.
     */
    FLUSH_SLAVE_TIMEOUT,

    /**
     * SYNC_MASTER and no slave is connected. Resending does not help: alert an operator.
     */
    SLAVE_NOT_AVAILABLE
}
