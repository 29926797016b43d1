package io.peregrine.producer;

import io.peregrine.transport.Protocol;

/**
 * No response arrived within the send timeout. The message may or may not have been stored.
 */
public final class SendTimeoutException extends SendException
{
    private static final long serialVersionUID = 1L;

    private final String brokerChannel;
    private final long producerId;
    private final long sequence;

    /**
     * @param message what timed out, naming the broker channel.
     */
    public SendTimeoutException(final String message)
    {
        super(ErrorKind.TIMEOUT, message);
        brokerChannel = null;
        producerId = 0;
        sequence = 0;
    }

    /**
     * An async send's timeout, handed to its callback: no stack trace, and words built only when asked for.
     */
    SendTimeoutException(final String brokerChannel, final long producerId, final long sequence)
    {
        super(ErrorKind.TIMEOUT, null, false);
        this.brokerChannel = brokerChannel;
        this.producerId = producerId;
        this.sequence = sequence;
    }

    /**
     * {@inheritDoc}
     */
    public String getMessage()
    {
        if (null == brokerChannel)
        {
            return super.getMessage();
        }
        return "no response from broker " + brokerChannel + " by the send's deadline for msgId " + Protocol.msgId(producerId, sequence);
    }
}
