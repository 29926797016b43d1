/**
 * The network consumer: tails what a Peregrine broker stored, over Aeron UDP or IPC, from any position, then live.
 * It depends on Aeron and Agrona only (no Chronicle): the broker reads its journal and streams it.
 *
 * <p>Open with {@link io.peregrine.consumer.Consumer#connect(io.peregrine.consumer.Consumer.Context)}, then call
 * {@link io.peregrine.consumer.Consumer#poll} from one thread, and {@link io.peregrine.consumer.Consumer#commit()}
 * what the application has processed. The JVM needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} for
 * Agrona.
 */
package io.peregrine.consumer;
