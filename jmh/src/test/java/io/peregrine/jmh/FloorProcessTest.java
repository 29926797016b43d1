package io.peregrine.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The floor's percentiles are nearest-rank over every latency, as HdrHistogram gives perf's (to its precision).
 */
class FloorProcessTest
{
    @Test
    void shouldTakeNearestRankPercentilesWithoutAFloatingPointRankTooHigh()
    {
        final long[] latencies = new long[1000];
        for (int i = 0; i < latencies.length; i++)
        {
            latencies[i] = (latencies.length - i) * 1000L; // 1 .. 1,000 us, unsorted
        }
        // 99.9 / 100 * 1000 is 999.0000000000001 in doubles: a plain ceil would take rank 1,000
        assertEquals("{\"size\":64,\"sent\":1000,\"p50_us\":500.0,\"p90_us\":900.0,\"p99_us\":990.0,\"p999_us\":999.0,\"max_us\":1000.0," +
            "\"warmup_sends\":7}", FloorProcess.json(64, latencies, 7));
        assertEquals(0.0, FloorProcess.percentileMicros(new long[0], 50));
        assertEquals(0.005, FloorProcess.percentileMicros(new long[] { 5 }, 0.1));
    }
}
