package io.peregrine.producer;

/**
 * Why a send failed, as a fixed name that tools can count.
 */
public enum ErrorKind
{
    /**
     * No response within the send timeout.
     */
    TIMEOUT,
    /**
     * The body is larger than the broker (or this producer's publication) accepts.
     */
    MESSAGE_TOO_LARGE,
    /**
     * The topic name is empty, too long or has characters outside {@code [A-Za-z0-9._-]}.
     */
    INVALID_TOPIC,
    /**
     * The broker is overloaded.
     */
    BROKER_BUSY,
    /**
     * The producer is not connected to the broker, or the broker does not know it.
     */
    NOT_CONNECTED,
    /**
     * The broker is a slave and takes no sends.
     */
    BROKER_IS_SLAVE,
    /**
     * The broker could not write the journal.
     */
    JOURNAL_WRITE_FAILED,
    /**
     * Producer and broker do not speak the same protocol version.
     */
    PROTOCOL_MISMATCH,
    /**
     * The broker refused the connection (too many producers, duplicate producer, response channel refused).
     */
    CONNECTION_REFUSED,
    /**
     * The broker is shutting down.
     */
    SHUTTING_DOWN,
    /**
     * The producer or its Aeron client was closed.
     */
    CLOSED,
    /**
     * The broker refused the request as malformed.
     */
    INVALID_REQUEST,
    /**
     * A resend arrived so late that its sequence is older than the broker's duplicate-detection window;
     * the broker does not store it, since it cannot tell whether it already did.
     */
    SEQUENCE_OUTSIDE_WINDOW,
    /**
     * The broker's disk has less free space than its floor; it refuses sends until space is back.
     */
    STORE_FULL
}
