package io.peregrine.jmh;

import java.util.concurrent.TimeUnit;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How sends and their floors are measured: every operation sampled (p50, p99 and the rest), in microseconds,
 * one thread, 3 × 1 s warmup and 5 × 2 s measurement. The report divides a send's p50 by its floors' p50, so
 * the send latency, Aeron round-trip, journal and pre-touch benchmarks inherit one set of settings rather than
 * keep copies in step.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public abstract class SampledLatencyBenchmark extends ForkedBenchmark
{
    /**
     * One blocking send that must be answered SEND_OK: anything else ends the run with an exception naming it.
     *
     * @param producer  to send with.
     * @param message   to send.
     * @param timeoutMs the send's timeout.
     * @return the status, for the benchmark to return so the call is not optimised away.
     */
    static SendStatus sendOk(final Producer producer, final Message message, final long timeoutMs)
    {
        final SendStatus status = producer.send(message, timeoutMs).status();
        if (status != SendStatus.SEND_OK)
        {
            throw new IllegalStateException("send answered " + status + ", not SEND_OK");
        }
        return status;
    }
}
