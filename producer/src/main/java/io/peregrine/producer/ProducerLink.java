package io.peregrine.producer;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.peregrine.transport.Channels;
import io.peregrine.transport.Protocol;
import io.peregrine.transport.SharedAeron;
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
    final ExclusivePublication publication;
    final Subscription subscription;

    ProducerLink(
        final SharedAeron sharedAeron, final Aeron aeron, final ExclusivePublication publication, final Subscription subscription)
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
        ExclusivePublication publication = null;
        try
        {
            subscription = aeron.addSubscription(
                Channels.responseSubscription(ctx.isIpc(), ctx.responseHost(), responseSessionId,
                Channels.responseWindow(ctx.maxInFlight())), Protocol.RESPONSE_STREAM_ID);
            // exclusive: only the thread holding the send queue's drain flag offers, and each producer gets its
            // own stream (own term length, no contention with other producers of the JVM)
            publication = aeron.addExclusivePublication(
                Channels.requestPublication(ctx.brokerChannel(), ctx.maxMessageSize()), Protocol.REQUEST_STREAM_ID);
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

    /**
     * @return true if no response stream is open any more: none was ever seen or each has ended (a broker that
     * stops closes its response streams), so no answer can come.
     */
    boolean responsesEnded()
    {
        for (final Image image : subscription.images()) // a snapshot: images come and go on the client's thread
        {
            if (!image.isClosed() && !image.isEndOfStream())
            {
                return false;
            }
        }
        return true;
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
