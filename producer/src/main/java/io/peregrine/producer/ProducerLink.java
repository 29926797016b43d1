package io.peregrine.producer;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.RegistrationException;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;

/**
 * A producer's connection to its media driver: the Aeron client, the request publication and the
 * response subscription. When the driver goes away (over IPC the broker's driver dies with the broker)
 * the client closes; the producer's thread then opens a new link.
 */
final class ProducerLink implements AutoCloseable
{
    final SharedAeron sharedAeron;
    final Aeron aeron;
    final Publication publication;
    final Subscription subscription;

    private ProducerLink(final SharedAeron sharedAeron, final Aeron aeron, final Publication publication, final Subscription subscription)
    {
        this.sharedAeron = sharedAeron;
        this.aeron = aeron;
        this.publication = publication;
        this.subscription = subscription;
    }

    static ProducerLink open(final Producer.Context ctx, final int responseSessionId, final ErrorHandler errorHandler)
    {
        final SharedAeron shared = null == ctx.aeron() ?
            SharedAeron.acquire(ctx.aeronDirectoryName(), ctx.idleStrategy(), errorHandler) : null;
        final Aeron aeron = null == shared ? ctx.aeron() : shared.aeron();
        Subscription subscription = null;
        Publication publication = null;
        try
        {
            subscription = aeron.addSubscription(
                Channels.responseSubscription(ctx.isIpc(), ctx.responseHost(), responseSessionId,
                Channels.responseWindow(ctx.maxInFlight())), Protocol.RESPONSE_STREAM_ID);
            final String channel = Channels.requestPublication(ctx.brokerChannel(), ctx.maxMessageSize());
            try
            {
                publication = aeron.addPublication(channel, Protocol.REQUEST_STREAM_ID);
            }
            catch (final RegistrationException ex)
            {
                throw new IllegalArgumentException("cannot publish to " + ctx.brokerChannel() + ": " + ex.getMessage() +
                    " (producers sharing one media driver and broker channel share one publication and must use the same " +
                    "maxMessageSize)", ex);
            }
            return new ProducerLink(shared, aeron, publication, subscription);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(publication, subscription);
            if (null != shared)
            {
                shared.release();
            }
            throw ex;
        }
    }

    /**
     * @return true once the client or either stream has closed, e.g. because the driver is gone.
     */
    boolean isBroken()
    {
        return aeron.isClosed() || publication.isClosed() || subscription.isClosed();
    }

    public void close()
    {
        CloseHelper.quietCloseAll(publication, subscription);
        if (null != sharedAeron)
        {
            sharedAeron.release();
        }
    }
}
