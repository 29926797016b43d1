package io.peregrine.producer;

/**
 * Receives the outcome of {@link Producer#sendAsync(Message, SendCallback)}. Called exactly once per
 * accepted send, on the producer's own thread: keep it short and never block in it. Success carries
 * primitives only, so a steady stream of sends allocates nothing.
 */
public interface SendCallback
{
    /**
     * The broker answered with a status.
     *
     * @param sequence     the send's sequence, as returned by sendAsync; {@link Producer#msgId(long)} gives its id.
     * @param status       what the broker did with the message.
     * @param journalIndex where the broker stored it.
     */
    void onComplete(long sequence, SendStatus status, long journalIndex);

    /**
     * The send failed: timeout, refusal, or the producer closed.
     *
     * @param sequence the send's sequence.
     * @param error    what went wrong, with its {@link ErrorKind}.
     */
    void onError(long sequence, SendException error);
}
