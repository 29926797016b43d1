/**
 * The embeddable Peregrine producer. It depends on Aeron and Agrona only.
 *
 * <p>Start with {@link io.peregrine.producer.Producer#start(io.peregrine.producer.Producer.Context)},
 * fill a reusable {@link io.peregrine.producer.Message}, and call
 * {@link io.peregrine.producer.Producer#send(io.peregrine.producer.Message)}. The JVM needs
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} for Agrona.
 */
package io.peregrine.producer;
