/**
 * Host and JVM tuning: {@link io.peregrine.tuning.HostCheck} reads the kernel settings that matter to Peregrine and
 * says how each fits; {@link io.peregrine.tuning.JvmProfiles} holds JVM option profiles with the reason for each
 * option. {@code bin/peregrine tuning check} and {@code tuning profile} print them; the module's README is the guide.
 */
package io.peregrine.tuning;
