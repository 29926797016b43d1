package io.peregrine.producer;

/**
 * A send did not complete. {@link #kind()} says why in a fixed name; the message says it in words.
 */
public class SendException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    /**
     * @param kind    of error.
     * @param message what happened, in words.
     */
    public SendException(final ErrorKind kind, final String message)
    {
        super(message);
        this.kind = kind;
    }

    /**
     * @param kind       of error.
     * @param message    what happened, in words.
     * @param stackTrace false for errors handed to callbacks, where a stack trace would only show the producer's
     *                   own thread and cost a walk of it per error.
     */
    SendException(final ErrorKind kind, final String message, final boolean stackTrace)
    {
        super(message, null, false, stackTrace);
        this.kind = kind;
    }

    /**
     * @return why the send failed.
     */
    public ErrorKind kind()
    {
        return kind;
    }
}
