/**
 * The standalone Peregrine broker.
 *
 * <p>Pipeline, as agents composed on one thread by default: the {@link io.peregrine.broker.ReceiverAgent}
 * takes requests off Aeron, checks them and copies each send as a ready journal record into the inbound
 * ring; the {@link io.peregrine.broker.JournalWriterAgent} appends records to the Chronicle journal and
 * advances the appended watermark; the {@link io.peregrine.broker.Responder} answers each send once the
 * watermark its policy needs has passed it.
 */
package io.peregrine.broker;
