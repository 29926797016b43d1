/**
 * JMH suites. Build {@code jmh/target/benchmarks.jar} with {@code mvn package}, then for example
 * {@code java -jar jmh/target/benchmarks.jar AsyncThroughput -prof gc}. The broker runs inside the
 * benchmark's JVM, so {@code -prof gc} sees the allocation of both sides.
 */
package io.peregrine.jmh;
