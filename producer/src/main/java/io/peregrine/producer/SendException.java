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
     * @return why the send failed.
     */
    public ErrorKind kind()
    {
        return kind;
    }
}
