package io.peregrine.jmh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Round trip of one blocking {@code send} against message size, transport and flush policy: the time from
 * the call until SEND_OK is back in the caller, broker and its media driver in this JVM (as an application
 * embedding the producer next to a broker on the same host would see it). Compare each point with the floors
 * of the same run: {@link AeronRoundTripFloorBenchmark} plus {@link JournalFloorBenchmark#append} for
 * ASYNC_FLUSH, plus {@link JournalFloorBenchmark#appendAndFlush} for SYNC_FLUSH.
 *
 * <p>Each iteration starts a fresh broker on a fresh store and deletes it afterwards, so the disk does not
 * fill at 512 KiB (about a gigabyte per second of sends).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true",
    "-Xms2g", "-Xmx2g" })
public class SendLatencyBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    @Param({ "ipc", "udp" })
    String transport;

    @Param({ "ASYNC_FLUSH", "SYNC_FLUSH" })
    String flush;

    BenchmarkBroker fixture;
    Producer producer;
    Message message;

    /**
     * A fresh broker, store and producer for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker(transport, 1, 4096, flush);
        producer = fixture.producers.get(0);
        if (null == message)
        {
            message = new Message().topic("latency").body(new byte[size]);
        }
    }

    /**
     * Stop the broker and delete its store.
     *
     * @throws IOException if the store cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void stop() throws IOException
    {
        fixture.close();
    }

    /**
     * One blocking send, back when the broker answered SEND_OK (a failure ends the run with its exception).
     *
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus send()
    {
        final SendStatus status = producer.send(message, SEND_TIMEOUT_MS).status();
        if (status != SendStatus.SEND_OK)
        {
            throw new IllegalStateException("send answered " + status + ", not SEND_OK");
        }
        return status;
    }
}
