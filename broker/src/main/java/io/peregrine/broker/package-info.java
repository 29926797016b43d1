/**
 * The standalone Peregrine broker.
 *
 * <p>The pipeline is four agents composed on one thread: the {@link io.peregrine.broker.ReceiverAgent} takes
 * requests off Aeron, checks each frame ({@link io.peregrine.broker.RequestFrames}) and hands each send to the
 * {@link io.peregrine.broker.JournalWriterAgent}, which appends it to the Chronicle journal straight from the request
 * (one copy) and advances the appended watermark once per duty cycle; the {@link io.peregrine.broker.Responder} answers each send
 * once the watermark its policy needs has passed it, or at its deadline; the
 * {@link io.peregrine.broker.ProducerSessions} run handshakes, liveness and response streams. Because they share a
 * thread, their tables are single-threaded by contract. The {@link io.peregrine.broker.Flusher} runs on a thread of
 * its own (fsync blocks), with the rate-limited log beside it; {@link io.peregrine.broker.JournalRecovery} prepares
 * the journal at start.
 */
package io.peregrine.broker;
