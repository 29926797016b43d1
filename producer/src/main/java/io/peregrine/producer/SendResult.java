package io.peregrine.producer;

import io.peregrine.transport.Protocol;

/**
 * Outcome of a completed send.
 */
public final class SendResult
{
    private final SendStatus status;
    private final long producerId;
    private final long sequence;
    private final long journalIndex;

    /**
     * @param status       of the send.
     * @param producerId   of the producer that sent it.
     * @param sequence     of the message.
     * @param journalIndex where the broker stored it.
     */
    public SendResult(final SendStatus status, final long producerId, final long sequence, final long journalIndex)
    {
        this.status = status;
        this.producerId = producerId;
        this.sequence = sequence;
        this.journalIndex = journalIndex;
    }

    /**
     * @return what the broker did with the message.
     */
    public SendStatus status()
    {
        return status;
    }

    /**
     * @return the message id, producer id and sequence in hex, as every Peregrine tool prints it.
     */
    public String msgId()
    {
        return Protocol.msgId(producerId, sequence);
    }

    /**
     * @return the producer id part of the message id.
     */
    public long producerId()
    {
        return producerId;
    }

    /**
     * @return the sequence part of the message id.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return the journal index the broker stored the message at.
     */
    public long journalIndex()
    {
        return journalIndex;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "SendResult{status=" + status + ", msgId=" + msgId() + ", journalIndex=" + journalIndex + '}';
    }
}
