package io.peregrine.jmh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Async send throughput: each operation is one accepted {@code sendAsync} (a BUSY or back-pressured
 * attempt is retried and not counted), so at steady state the rate is the rate of acknowledged sends.
 * One application thread sends, rotating over the producers: on a 2-core host more sending threads only
 * starve the producers' and drivers' own threads (seen: publications timing out under four sending
 * threads). Run with {@code -prof gc}: the broker is in
 * this JVM, so {@code gc.alloc.rate.norm} covers producer and broker per message; add
 * {@code -prof io.peregrine.jmh.ThreadAllocationProfiler} to split it between Peregrine's threads and the
 * embedded Aeron drivers'.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AsyncThroughputBenchmark extends ForkedBenchmark
{
    /**
     * Broker and producers, shared by the benchmark threads.
     */
    @State(Scope.Benchmark)
    public static class Shared
    {
        @Param({ "ipc", "udp" })
        String transport;

        @Param({ "1", "4" })
        int producers;

        @Param({ "64", "1024" })
        int size;

        /**
         * retryTimesWhenSendAsyncFailed: 0 (the default) or, with {@code -p asyncRetries=2}, the cost of keeping
         * a copy of every request for resends.
         */
        @Param({ "0" })
        int asyncRetries;

        /**
         * The broker's pretouch setting: true (the default) or, with {@code -p pretouch=false}, what the pre-toucher
         * costs the broker's throughput (it runs on the flusher's thread, which shares the cores).
         */
        @Param({ "true" })
        boolean pretouch;

        BenchmarkBroker setup;
        final AtomicLong errors = new AtomicLong();
        volatile String firstError;

        @Setup(Level.Trial)
        public void start() throws IOException
        {
            setup = new BenchmarkBroker(transport, producers, 4096, "ASYNC_FLUSH", pretouch, asyncRetries);
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException
        {
            final long failed = errors.get(); // sends still in flight when the producers close fail with CLOSED: not counted
            final String counters = failed > 0 ? setup.nonZeroCounters() : "";
            setup.close();
            if (failed > 0)
            {
                throw new IllegalStateException(failed + " async sends failed; the first: " + firstError + "\ncounters:\n" + counters);
            }
        }
    }

    /**
     * One benchmark thread's producer, message and callback.
     */
    @State(Scope.Thread)
    public static class Sender implements SendCallback
    {
        Producer[] producers;
        int next;
        Message message;
        Shared shared;

        @Setup(Level.Trial)
        public void start(final Shared shared)
        {
            this.shared = shared;
            producers = shared.setup.producers.toArray(new Producer[0]);
            message = new Message().topic("jmh").body(new byte[shared.size]);
        }

        /**
         * Let the sends of the iteration finish, so the last iteration's window (which holds the trial teardown)
         * does not count thousands of sends failing with CLOSED: their exceptions were all of the bytes
         * {@code -prof gc} showed in that iteration.
         */
        @TearDown(Level.Iteration)
        public void drain()
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (final Producer producer : producers)
            {
                while (producer.inFlight() > 0 && System.nanoTime() - deadlineNs < 0)
                {
                    Thread.yield();
                }
            }
        }

        public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
        {
            if (status != SendStatus.SEND_OK)
            {
                if (null == shared.firstError)
                {
                    shared.firstError = "answered " + status;
                }
                shared.errors.incrementAndGet();
            }
        }

        public void onError(final long sequence, final SendException error)
        {
            if (error.kind() != ErrorKind.CLOSED)
            {
                if (null == shared.firstError)
                {
                    shared.firstError = error.kind() + ": " + error.getMessage();
                }
                shared.errors.incrementAndGet();
            }
        }
    }

    /**
     * One accepted async send.
     *
     * @param sender this thread's state.
     * @param bh     consumes the sequence.
     */
    @Benchmark
    @Threads(1)
    public void sendAsync(final Sender sender, final Blackhole bh)
    {
        final Producer producer = sender.producers[sender.next];
        sender.next = sender.next + 1 == sender.producers.length ? 0 : sender.next + 1;
        long result;
        while ((result = producer.sendAsync(sender.message, sender)) < 0)
        {
            if (result == Producer.CLOSED)
            {
                throw new IllegalStateException(producer.codeText(result));
            }
            Thread.yield(); // like a real client: spinning here would starve the producer's own thread on a small host
        }
        bh.consume(result);
    }
}
