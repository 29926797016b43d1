package io.peregrine.jmh;

import org.openjdk.jmh.annotations.Fork;

/**
 * The forked JVM every Peregrine benchmark runs in: one fork, the module opens and exports Agrona and Chronicle
 * need (the same as {@code bin/peregrine} and the build pass), Chronicle's analytics off, a fixed 2 GiB heap.
 * JMH's {@code @Fork} is inherited, so the benchmarks extend this class instead of repeating the list.
 */
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true",
    "-Xms2g", "-Xmx2g" })
public abstract class ForkedBenchmark
{
}
