package io.peregrine.producer;

/**
 * No response arrived within the send timeout. The message may or may not have been stored.
 */
public final class SendTimeoutException extends SendException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what timed out, naming the broker channel.
     */
    public SendTimeoutException(final String message)
    {
        super(ErrorKind.TIMEOUT, message);
    }
}
