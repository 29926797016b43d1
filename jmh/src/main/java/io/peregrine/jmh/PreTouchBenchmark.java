package io.peregrine.jmh;

import java.io.IOException;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What pre-touch buys: blocking ASYNC_FLUSH sends over IPC into a fresh store with the broker's pre-toucher on
 * and off. Without it every new 4 KiB page of the journal is allocated and zeroed by a page fault on the
 * broker's append path, which shows in the tail (p99, p99.9) more than in the median. Compare the two points of
 * one run.
 */
@State(Scope.Benchmark)
public class PreTouchBenchmark extends SampledLatencyBenchmark
{
    @Param({ "true", "false" })
    boolean pretouch;

    @Param({ "65536" })
    int size;

    BenchmarkBroker fixture;
    Producer producer;
    Message message;

    /**
     * A fresh broker and store for this iteration, so every page the sends write is new.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker("ipc", 1, 4096, "ASYNC_FLUSH", pretouch);
        producer = fixture.producers.get(0);
        message = new Message().topic("pretouch").body(new byte[size]);
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
     * One blocking send.
     *
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus send()
    {
        return producer.send(message, 10_000).status();
    }
}
