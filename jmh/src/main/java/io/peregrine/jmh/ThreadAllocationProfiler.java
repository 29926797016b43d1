package io.peregrine.jmh;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.collections.Long2LongHashMap;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Bytes allocated per operation, split by who allocated them: {@code alloc.peregrine.norm} for the live threads
 * of the benchmark's JVM except the Aeron media drivers' (so the producer, the broker, the sending thread),
 * {@code alloc.driver.norm} for the embedded drivers' threads, and {@code alloc.ended.norm} for threads that
 * ended inside the iteration (JMH runs the trial teardown inside the last iteration's window). JMH's
 * {@code -prof gc} reports the sum; this tells whether bytes per message come from Peregrine's path or from
 * Aeron's driver, which a production deployment may run as its own process. Use with
 * {@code -prof io.peregrine.jmh.ThreadAllocationProfiler}.
 *
 * <p>Counts come from the JVM's per-thread allocation counters, read before and after each iteration.
 */
public final class ThreadAllocationProfiler implements InternalProfiler
{
    private static final String DRIVER_THREAD = "driver";

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private final Long2LongHashMap before = new Long2LongHashMap(-1);
    private long totalBefore;

    @Override
    public String getDescription()
    {
        return "bytes allocated per operation by Peregrine's threads and by the Aeron drivers' threads";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        before.clear();
        totalBefore = threads.getTotalThreadAllocatedBytes();
        final long[] ids = threads.getAllThreadIds();
        final long[] bytes = threads.getThreadAllocatedBytes(ids);
        for (int i = 0; i < ids.length; i++)
        {
            before.put(ids[i], bytes[i]);
        }
    }

    @Override
    public Collection<ScalarResult> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        final long[] ids = threads.getAllThreadIds();
        final long[] bytes = threads.getThreadAllocatedBytes(ids);
        final Map<String, Long> byGroup = new TreeMap<>();
        byGroup.put("peregrine", 0L);
        byGroup.put(DRIVER_THREAD, 0L);
        for (int i = 0; i < ids.length; i++)
        {
            if (bytes[i] < 0)
            {
                continue; // ended
            }
            final long start = Math.max(0, before.get(ids[i])); // -1: started inside the iteration
            final java.lang.management.ThreadInfo info = threads.getThreadInfo(ids[i]);
            if (null != info)
            {
                byGroup.merge(group(info.getThreadName()), bytes[i] - start, Long::sum);
            }
        }
        final long total = threads.getTotalThreadAllocatedBytes() - totalBefore;
        byGroup.put("ended", total - byGroup.get("peregrine") - byGroup.get(DRIVER_THREAD));
        final long ops = Math.max(1, result.getMetadata().getAllOps());
        final List<ScalarResult> results = new ArrayList<>();
        byGroup.forEach((group, allocated) -> results.add(
            new ScalarResult("alloc." + group + ".norm", (double)allocated / ops, "B/op", AggregationPolicy.AVG)));
        return results;
    }

    /**
     * Aeron names a driver's agent threads after their roles, with the driver's directory in front when the
     * agents share a thread ({@code <dir>[sender,receiver,driver-conductor]}); {@code aeron-executor} runs the
     * driver's name resolution.
     */
    static String group(final String threadName)
    {
        return threadName.contains("driver-conductor") || threadName.startsWith("aeron-executor") ? DRIVER_THREAD : "peregrine";
    }
}
