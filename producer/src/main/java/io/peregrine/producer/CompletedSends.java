package io.peregrine.producer;

import org.agrona.ErrorHandler;

/**
 * Async sends that are complete and whose callbacks have not been called yet, in completion order: a fixed ring of
 * parallel arrays, so queueing allocates nothing. The producer thread queues while it reads answers (holding the
 * response stream) and calls the callbacks afterwards, so a slow callback delays other callbacks, never the answers
 * that threads blocked in {@code send} read themselves. Producer thread only.
 */
final class CompletedSends
{
    private static final SendStatus[] STATUSES = SendStatus.values();

    private final ErrorHandler callbackErrorHandler;
    private final String brokerChannel;
    private final long producerId;
    private final SendCallback[] callbacks;
    private final long[] sequences;
    private final int[] statuses;
    private final ErrorKind[] errors;
    private final String[] errorTexts;
    private final long[] journalIndices;
    private int head;
    private int count;

    /**
     * @param capacity             completions held between two dispatches.
     * @param callbackErrorHandler told when a callback throws.
     * @param brokerChannel        named in the errors callbacks get.
     * @param producerId           of the producer, for the message ids in those errors.
     */
    CompletedSends(final int capacity, final ErrorHandler callbackErrorHandler, final String brokerChannel, final long producerId)
    {
        this.callbackErrorHandler = callbackErrorHandler;
        this.brokerChannel = brokerChannel;
        this.producerId = producerId;
        callbacks = new SendCallback[capacity];
        sequences = new long[capacity];
        statuses = new int[capacity];
        errors = new ErrorKind[capacity];
        errorTexts = new String[capacity];
        journalIndices = new long[capacity];
    }

    /**
     * Queue an async send's outcome; if the ring is full (it is sized so it never is), call back at once rather
     * than lose it.
     */
    void add(
        final SendCallback callback,
        final long sequence,
        final int status,
        final ErrorKind error,
        final String errorText,
        final long journalIndex)
    {
        if (count == callbacks.length)
        {
            invoke(callback, sequence, status, error, errorText, journalIndex);
            return;
        }
        final int i = (head + count++) % callbacks.length;
        callbacks[i] = callback;
        sequences[i] = sequence;
        statuses[i] = status;
        errors[i] = error;
        errorTexts[i] = errorText;
        journalIndices[i] = journalIndex;
    }

    /**
     * Call the queued callbacks, oldest first.
     *
     * @return callbacks called.
     */
    int dispatch()
    {
        int dispatched = 0;
        while (count > 0)
        {
            final int i = head;
            final SendCallback callback = callbacks[i];
            final String errorText = errorTexts[i];
            callbacks[i] = null;
            errorTexts[i] = null;
            head = (head + 1) % callbacks.length;
            count--;
            invoke(callback, sequences[i], statuses[i], errors[i], errorText, journalIndices[i]);
            dispatched++;
        }
        return dispatched;
    }

    private void invoke(
        final SendCallback callback,
        final long sequence,
        final int status,
        final ErrorKind error,
        final String errorText,
        final long journalIndex)
    {
        try
        {
            if (null == error)
            {
                callback.onComplete(sequence, STATUSES[status], journalIndex);
            }
            else
            {
                callback.onError(sequence, callbackError(sequence, error, errorText));
            }
        }
        catch (final RuntimeException ex)
        {
            callbackErrorHandler.onError(ex);
        }
    }

    /**
     * The error an async send's callback gets: without a stack trace (it would show only the producer thread), and
     * for a timeout with its words built only if the application reads them.
     */
    private SendException callbackError(final long sequence, final ErrorKind error, final String errorText)
    {
        if (error == ErrorKind.TIMEOUT && null == errorText)
        {
            return new SendTimeoutException(brokerChannel, producerId, sequence);
        }
        return new SendException(error, errorText, false);
    }
}
