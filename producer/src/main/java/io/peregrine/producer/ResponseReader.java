package io.peregrine.producer;

import java.util.concurrent.atomic.AtomicInteger;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.peregrine.transport.WireFrames;
import io.peregrine.transport.codec.CloseAckDecoder;
import io.peregrine.transport.codec.ConnectAckDecoder;
import io.peregrine.transport.codec.ErrorCode;
import io.peregrine.transport.codec.MessageHeaderDecoder;
import io.peregrine.transport.codec.SendResponseDecoder;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response side of a producer (Aeron's Image role): reads the broker's answers and completes the waiting
 * sends. Whoever holds the poll flag reads: the producer thread, or a thread blocked in {@code send} that reads
 * answers to blocking sends itself rather than wait for a hand-off between threads. Handshake and close answers go
 * to the conductor.
 */
final class ResponseReader implements FragmentHandler
{
    /**
     * What {@link #pollForBlockedSender} returns when the next answer is the producer thread's to read.
     */
    static final int LEFT_FOR_PRODUCER_THREAD = -1;

    private static final Logger LOG = LoggerFactory.getLogger(ResponseReader.class);
    private static final int FRAGMENT_LIMIT = 16;
    private static final SendStatus[] STATUSES = SendStatus.values();

    /**
     * Told of the answers that are not about a single send.
     */
    interface Listener
    {
        void onConnectAck(ConnectAckDecoder ack, int brokerSessionId);

        /**
         * Safe from any thread holding the poll flag.
         *
         * @return true if the ack only answers a keepalive of the session already connected: nothing to do.
         */
        boolean isKeepalive(ConnectAckDecoder ack, int brokerSessionId);

        void onCloseAck(long onewayStored);
    }

    private final long producerId;
    private final String brokerChannel;
    private final PendingSends pending;
    private final Listener listener;
    private final AtomicInteger pollFlag = new AtomicInteger();
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    private final ControlledFragmentHandler callerHandler = this::onCallerFragment;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final SendResponseDecoder responseDecoder = new SendResponseDecoder();
    private final ConnectAckDecoder ackDecoder = new ConnectAckDecoder();
    private final CloseAckDecoder closeAckDecoder = new CloseAckDecoder();
    private boolean callerAborted; // written and read only while holding the poll flag
    private volatile long readBySenders; // written only while holding the poll flag

    ResponseReader(final long producerId, final String brokerChannel, final PendingSends pending, final Listener listener)
    {
        this.producerId = producerId;
        this.brokerChannel = brokerChannel;
        this.pending = pending;
        this.listener = listener;
    }

    /**
     * The producer thread's poll: every kind of answer, callbacks included.
     *
     * @return fragments read; 0 if another thread holds the flag.
     */
    int poll(final Subscription subscription)
    {
        if (pollFlag.get() != 0 || !pollFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            return subscription.poll(assembler, FRAGMENT_LIMIT);
        }
        finally
        {
            pollFlag.set(0);
        }
    }

    /**
     * For a thread blocked in {@code send}: read answers to blocking sends only if no one else is reading. An answer
     * to an async send, a handshake or close answer, a fragment or anything unexpected is left for the producer
     * thread (callbacks run only there), and so is everything behind it.
     *
     * @return answers read; {@link #LEFT_FOR_PRODUCER_THREAD} if the next answer is the producer thread's, so the
     * caller should let that thread have the flag rather than take it again at once.
     */
    int pollForBlockedSender(final ProducerLink link)
    {
        // read before the CAS: a spinning sender must not keep taking the line from the producer thread's CAS
        if (pollFlag.get() != 0 || !pollFlag.compareAndSet(0, 1))
        {
            return 0;
        }
        try
        {
            // a link whose Aeron client died is the producer thread's to replace, as it checks before its own poll
            if (link.isBroken())
            {
                return 0;
            }
            callerAborted = false;
            final int read = link.subscription.controlledPoll(callerHandler, FRAGMENT_LIMIT);
            return read == 0 && callerAborted ? LEFT_FOR_PRODUCER_THREAD : read;
        }
        finally
        {
            pollFlag.set(0);
        }
    }

    /**
     * @return answers to blocking sends that the blocked threads read themselves since start.
     */
    long readBySenders()
    {
        return readBySenders;
    }

    /**
     * Take the poll flag, waiting for a blocked sender to finish its poll: nobody reads answers until {@link #unlock()}.
     */
    void lock()
    {
        while (!pollFlag.compareAndSet(0, 1))
        {
            Thread.onSpinWait(); // a blocked sender lets go within one poll
        }
    }

    /**
     * Give back the flag taken by {@link #lock()}.
     */
    void unlock()
    {
        pollFlag.set(0);
    }

    private ControlledFragmentHandler.Action onCallerFragment(
        final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int templateId = (header.flags() & FrameDescriptor.UNFRAGMENTED) != FrameDescriptor.UNFRAGMENTED ?
            WireFrames.TRUNCATED : WireFrames.check(headerDecoder, buffer, offset, length);
        if (templateId == ConnectAckDecoder.TEMPLATE_ID)
        {
            ackDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (ackDecoder.producerId() == producerId && listener.isKeepalive(ackDecoder, header.sessionId()))
            {
                return ControlledFragmentHandler.Action.CONTINUE; // the broker's answer to a keepalive changes nothing
            }
        }
        else if (templateId == SendResponseDecoder.TEMPLATE_ID)
        {
            responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (responseDecoder.producerId() == producerId && !pending.isAsync(responseDecoder.sequence()))
            {
                final int outcome = completeFromResponse(true);
                if (outcome == PendingSends.COMPLETED)
                {
                    readBySenders++;
                }
                if (outcome != PendingSends.ASYNC) // an async send's after all (its slot was being set up): not ours
                {
                    return ControlledFragmentHandler.Action.CONTINUE;
                }
            }
        }
        callerAborted = true;
        return ControlledFragmentHandler.Action.ABORT;
    }

    /**
     * Complete the send the wrapped response answers: any send on the producer thread, only a blocking one on a
     * blocked sender's thread.
     *
     * @return {@link PendingSends#COMPLETED}, {@link PendingSends#NOT_WAITING} or {@link PendingSends#ASYNC}.
     */
    private int completeFromResponse(final boolean blockedSender)
    {
        final long sequence = responseDecoder.sequence();
        final long journalIndex = responseDecoder.journalIndex();
        final ErrorCode errorCode = responseDecoder.errorCode();
        final int status = responseDecoder.statusRaw();
        final boolean ok = errorCode == ErrorCode.NONE && status < STATUSES.length;
        final ErrorKind error = ok ? null : errorKind(errorCode);
        final String text = ok ? null : responseDecoder.errorText();
        final String errorText = ok ? null : text.isEmpty() ? errorCode.name() : text;
        if (blockedSender)
        {
            return pending.completeBlocking(sequence, ok ? status : 0, error, errorText, journalIndex);
        }
        return pending.complete(sequence, ok ? status : 0, error, errorText, journalIndex) ? PendingSends.COMPLETED : PendingSends.NOT_WAITING;
    }

    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int templateId = WireFrames.check(headerDecoder, buffer, offset, length);
        if (templateId == SendResponseDecoder.TEMPLATE_ID)
        {
            responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (responseDecoder.producerId() == producerId) // else not this producer's (a stray stream): nothing waits for it
            {
                completeFromResponse(false);
            }
        }
        else if (templateId == ConnectAckDecoder.TEMPLATE_ID)
        {
            ackDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (ackDecoder.producerId() == producerId)
            {
                listener.onConnectAck(ackDecoder, header.sessionId());
            }
        }
        else if (templateId == CloseAckDecoder.TEMPLATE_ID)
        {
            closeAckDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (closeAckDecoder.producerId() == producerId)
            {
                listener.onCloseAck(closeAckDecoder.onewayStored());
            }
        }
        else
        {
            LOG.warn("dropped a response from broker {}: {}", brokerChannel,
                templateId < 0 ? WireFrames.describe(templateId, headerDecoder, length) : "unexpected template " + templateId);
        }
    }

    static ErrorKind errorKind(final ErrorCode code)
    {
        switch (code)
        {
            case MESSAGE_TOO_LARGE:
                return ErrorKind.MESSAGE_TOO_LARGE;
            case BROKER_BUSY:
                return ErrorKind.BROKER_BUSY;
            case NOT_CONNECTED:
            case UNKNOWN_PRODUCER:
                return ErrorKind.NOT_CONNECTED;
            case BROKER_IS_SLAVE:
                return ErrorKind.BROKER_IS_SLAVE;
            case JOURNAL_WRITE_FAILED:
                return ErrorKind.JOURNAL_WRITE_FAILED;
            case PROTOCOL_MISMATCH:
                return ErrorKind.PROTOCOL_MISMATCH;
            case INVALID_TOPIC:
                return ErrorKind.INVALID_TOPIC;
            case SHUTTING_DOWN:
                return ErrorKind.SHUTTING_DOWN;
            case TOO_MANY_PRODUCERS:
            case DUPLICATE_PRODUCER:
            case RESPONSE_CHANNEL_REFUSED:
                return ErrorKind.CONNECTION_REFUSED;
            case SEQUENCE_OUTSIDE_WINDOW:
                return ErrorKind.SEQUENCE_OUTSIDE_WINDOW;
            case STORE_FULL:
                return ErrorKind.STORE_FULL;
            default:
                return ErrorKind.INVALID_REQUEST;
        }
    }
}
