package io.peregrine.cli;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.HdrHistogram.Histogram;

/**
 * Synchronous sends of one size, timed one by one: the measurement behind {@code perf} and {@code demo}.
 */
final class PerfRun
{
    final Map<SendStatus, Long> statuses = new EnumMap<>(SendStatus.class);
    final Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
    final Histogram histogram = new Histogram(3_600_000_000_000L, 3);
    long sent;
    long elapsedNs;

    PerfRun()
    {
        for (final SendStatus status : SendStatus.values())
        {
            statuses.put(status, 0L);
        }
    }

    /**
     * Send warmup then count messages and record each one's latency.
     *
     * @param producer  to send with.
     * @param topic     to send to.
     * @param size      of each body.
     * @param warmup    sends not measured.
     * @param count     sends measured.
     * @param timeoutMs per send.
     * @param err       where each error is described in words (first of each kind, then a count).
     * @return the run.
     */
    static PerfRun run(
        final Producer producer,
        final String topic,
        final int size,
        final int warmup,
        final int count,
        final long timeoutMs,
        final PrintStream err)
    {
        final byte[] body = new byte[size];
        for (int i = 0; i < size; i++)
        {
            body[i] = (byte)i;
        }
        final Message message = new Message().topic(topic).body(body);
        final PerfRun warm = new PerfRun();
        for (int i = 0; i < warmup; i++)
        {
            warm.sendOne(producer, message, timeoutMs, null);
        }
        final PerfRun run = new PerfRun();
        final long start = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            run.sendOne(producer, message, timeoutMs, err);
        }
        run.elapsedNs = System.nanoTime() - start;
        return run;
    }

    private void sendOne(final Producer producer, final Message message, final long timeoutMs, final PrintStream err)
    {
        final long t0 = System.nanoTime();
        try
        {
            final SendResult result = producer.send(message, timeoutMs);
            histogram.recordValue(System.nanoTime() - t0);
            statuses.merge(result.status(), 1L, Long::sum);
        }
        catch (final SendException ex)
        {
            final long seen = errors.merge(ex.kind(), 1L, Long::sum);
            if (null != err && seen == 1)
            {
                err.println("error " + ex.kind() + ": " + ex.getMessage());
            }
        }
        sent++;
    }

    long errorCount()
    {
        long total = 0;
        for (final long n : errors.values())
        {
            total += n;
        }
        return total;
    }

    double percentileUs(final double percentile)
    {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxUs()
    {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1000.0;
    }

    double msgsPerSec()
    {
        return elapsedNs == 0 ? 0 : sent * 1e9 / elapsedNs;
    }

    String json()
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("{\"sent\":").append(sent).append(",\"statuses\":{");
        String sep = "";
        for (final Map.Entry<SendStatus, Long> e : statuses.entrySet())
        {
            sb.append(sep).append('"').append(e.getKey().name()).append("\":").append(e.getValue());
            sep = ",";
        }
        sb.append("},\"errors\":{");
        sep = "";
        for (final Map.Entry<ErrorKind, Long> e : errors.entrySet())
        {
            sb.append(sep).append('"').append(e.getKey().name()).append("\":").append(e.getValue());
            sep = ",";
        }
        sb.append('}');
        sb.append(",\"p50_us\":").append(fmt(percentileUs(50)))
            .append(",\"p90_us\":").append(fmt(percentileUs(90)))
            .append(",\"p99_us\":").append(fmt(percentileUs(99)))
            .append(",\"p999_us\":").append(fmt(percentileUs(99.9)))
            .append(",\"max_us\":").append(fmt(maxUs()))
            .append(",\"msgs_per_sec\":").append(fmt(msgsPerSec()))
            .append('}');
        return sb.toString();
    }

    String summary()
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("sent ").append(sent).append('\n');
        for (final Map.Entry<SendStatus, Long> e : statuses.entrySet())
        {
            sb.append("  ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
        }
        for (final Map.Entry<ErrorKind, Long> e : errors.entrySet())
        {
            sb.append("  error ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
        }
        sb.append(String.format("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
            percentileUs(50), percentileUs(90), percentileUs(99), percentileUs(99.9), maxUs()));
        sb.append(String.format("throughput: %.0f msgs/s%n", msgsPerSec()));
        return sb.toString();
    }

    private static String fmt(final double value)
    {
        return String.format(java.util.Locale.ROOT, "%.1f", value);
    }
}
