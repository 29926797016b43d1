package io.peregrine.consumer;

/**
 * A consumer could not be served: the broker refused it (the reason is the broker's), did not answer in time, or its
 * media driver is gone.
 */
public final class ConsumerException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, for the application's log.
     */
    public ConsumerException(final String message)
    {
        super(message);
    }
}
