package io.peregrine.jmh;

import java.util.Collection;
import java.util.List;

import io.peregrine.broker.Broker;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ScalarResult;

/**
 * What the benchmark's broker did with its flushes during each iteration: {@code flush.us}, the average time of
 * one flush (fsync) in microseconds, and {@code flush.sends}, the sends each flush covered. Under SYNC_FLUSH a
 * send waits for the rest of the flush in progress and then its own, so its latency is best read against
 * {@code flush.us} measured under the same load rather than against a lone append + fsync. Use with
 * {@code -prof io.peregrine.jmh.FlushProfiler}; reports nothing for an iteration without a broker or a flush,
 * which includes the first one of a trial (JMH sets the trial up inside it, after the profiler looked).
 */
public final class FlushProfiler implements InternalProfiler
{
    private Broker broker;
    private long[] before;

    @Override
    public String getDescription()
    {
        return "average flush time and sends per flush of the benchmark's broker";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        broker = BenchmarkBroker.running();
        before = null == broker ? null : BenchmarkBroker.flushCounters(broker);
    }

    @Override
    public Collection<ScalarResult> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        final long[] after = null == before ? null : BenchmarkBroker.flushCounters(broker);
        final long flushes = null == after ? 0 : after[0] - before[0];
        if (flushes <= 0)
        {
            return List.of();
        }
        return List.of(
            new ScalarResult("flush.us", (after[1] - before[1]) / 1000.0 / flushes, "us", AggregationPolicy.AVG),
            new ScalarResult("flush.sends", (double)(after[2] - before[2]) / flushes, "sends", AggregationPolicy.AVG));
    }
}
