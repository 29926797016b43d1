package io.peregrine.cli;

import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * One measured run of sends, the measurement behind {@code perf} and {@code demo}: warmup, then
 * {@code count} sends of one size spread over threads and producers, in one mode.
 * <ul>
 *     <li>sync: latency is each blocking send's round trip.</li>
 *     <li>async: latency is from sendAsync to its callback; at most {@code inflight} outstanding per producer.</li>
 *     <li>oneway: no statuses; latency is the time to hand the message to Aeron.</li>
 *     <li>batch: blocking batches of {@code batch} messages; latency is each batch's round trip.</li>
 * </ul>
 */
final class PerfRun
{
    /**
     * Send modes.
     */
    enum Mode
    {
        SYNC, ASYNC, ONEWAY, BATCH
    }

    private static final VarHandle STAMP = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final SendStatus[] STATUSES = SendStatus.values();
    private static final ErrorKind[] KINDS = ErrorKind.values();

    final Mode mode;
    final AtomicLongArray statuses = new AtomicLongArray(STATUSES.length);
    final AtomicLongArray errors = new AtomicLongArray(KINDS.length);
    final Histogram histogram = new ConcurrentHistogram(3_600_000_000_000L, 3);
    final LongAdder sent = new LongAdder();
    final Histogram endToEnd = new ConcurrentHistogram(3_600_000_000_000L, 3);
    long endToEndMissing = -1;
    long retries;
    long elapsedNs;
    long onewayAccepted;
    long onewayUnconfirmed;
    long warmedUp;
    long warmedUpDelivered;
    long warmUpNs;
    private final PrintStream err;
    private final AckedLog ackedLog;
    private final int batch;
    private boolean stamp;

    PerfRun(final Mode mode, final int batch, final PrintStream err, final AckedLog ackedLog)
    {
        this.mode = mode;
        this.batch = batch;
        this.err = err;
        this.ackedLog = ackedLog;
    }

    /**
     * Warm up, then measure.
     *
     * @param producers sharing the work; threads are spread over them round-robin.
     * @param threads   application threads.
     * @param topic     to send to.
     * @param size      of each body.
     * @param warmup    sends before measuring (in total), repeated until {@code warmupMs} has passed; 0: no warm-up.
     * @param warmupMs  least time to warm up for: the JIT compiles the send path in the background for the first
     *                  seconds, and until it is done the measured sends meet millisecond stalls. Not in oneway mode,
     *                  whose sends return once handed off: repeated for seconds they would fill the store.
     * @param count     measured sends (in total).
     * @param timeoutMs per send.
     * @param err       where each kind of error is described once, in words.
     * @param ackedLog  where each SEND_OK is logged, or null.
     * @param tail      times each message from its send to a consumer's receiving it (end-to-end), or null.
     * @return the measured run.
     * @throws InterruptedException if interrupted.
     */
    static PerfRun run(
        final Mode mode,
        final int batch,
        final List<Producer> producers,
        final int threads,
        final String topic,
        final int size,
        final int warmup,
        final long warmupMs,
        final int count,
        final long timeoutMs,
        final PrintStream err,
        final AckedLog ackedLog,
        final PerfTail tail,
        final long sentBefore) throws InterruptedException
    {
        final byte[] body = new byte[size];
        for (int i = 0; i < size; i++)
        {
            body[i] = (byte)i;
        }
        long warmedUp = 0;
        long delivered = 0;
        final long warmStartNs = System.nanoTime();
        if (warmup > 0)
        {
            final long warmEndNs = warmStartNs + TimeUnit.MILLISECONDS.toNanos(mode == Mode.ONEWAY ? 0 : warmupMs);
            do
            {
                final PerfRun warm = new PerfRun(mode, batch, null, null);
                warm.stamp = null != tail;
                warm.execute(producers, threads, topic, body, warmup, timeoutMs);
                warmedUp += warmup;
                // what the tail is to receive before the measured sends: an error is one message, or one batch
                delivered += Math.max(0, warmup - warm.errorCount() * (mode == Mode.BATCH ? batch : 1));
            }
            while (System.nanoTime() - warmEndNs < 0);
        }
        final PerfRun run = new PerfRun(mode, batch, err, ackedLog);
        run.warmedUp = warmedUp;
        run.warmedUpDelivered = delivered;
        run.warmUpNs = System.nanoTime() - warmStartNs;
        run.stamp = null != tail;
        final long retriesBefore = totalRetries(producers);
        if (null != tail)
        {
            tail.awaitReceived(sentBefore + delivered, timeoutMs + 5000); // the warm-up's messages are not timed
            tail.recordInto(run.endToEnd);
        }
        final long start = System.nanoTime();
        run.execute(producers, threads, topic, body, count, timeoutMs);
        run.elapsedNs = System.nanoTime() - start;
        run.retries = totalRetries(producers) - retriesBefore;
        if (null != tail)
        {
            final long expected = sentBefore + delivered + count;
            run.endToEndMissing = expected - tail.awaitReceived(expected, timeoutMs + 5000);
            tail.recordInto(null);
        }
        return run;
    }

    private static long totalRetries(final List<Producer> producers)
    {
        long total = 0;
        for (final Producer producer : producers)
        {
            total += producer.retries();
        }
        return total;
    }

    private void execute(
        final List<Producer> producers, final int threads, final String topic, final byte[] body, final int count, final long timeoutMs)
        throws InterruptedException
    {
        final List<Thread> workers = new ArrayList<>();
        final List<AsyncTracker> trackers = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final Producer producer = producers.get(t % producers.size());
            final int share = count / threads + (t < count % threads ? 1 : 0);
            final AsyncTracker tracker = mode == Mode.ASYNC ? new AsyncTracker(producer) : null;
            if (null != tracker)
            {
                trackers.add(tracker);
            }
            final Thread worker = new Thread(() -> sendAll(producer, tracker, topic, body, share, timeoutMs), "perf-" + t);
            workers.add(worker);
            worker.start();
        }
        for (final Thread worker : workers)
        {
            worker.join();
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs + 5000);
        for (final AsyncTracker tracker : trackers)
        {
            while (tracker.outstanding.sum() > 0 && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(1);
            }
            if (tracker.outstanding.sum() > 0)
            {
                recordError(ErrorKind.TIMEOUT, "callbacks missing for " + tracker.outstanding.sum() + " sends after " + timeoutMs + " ms");
            }
        }
    }

    private void sendAll(
        final Producer producer, final AsyncTracker tracker, final String topic, final byte[] body, final int count, final long timeoutMs)
    {
        final byte[] own = stamp ? body.clone() : body; // each thread stamps its own copy
        final Message message = new Message().topic(topic).body(own);
        if (mode == Mode.BATCH)
        {
            sendBatches(producer, topic, own, count, timeoutMs);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            final long t0 = System.nanoTime();
            if (stamp)
            {
                putStamp(own, t0);
            }
            try
            {
                switch (mode)
                {
                    case SYNC:
                        final SendResult result = producer.send(message, timeoutMs);
                        histogram.recordValue(System.nanoTime() - t0);
                        onOk(producer, result.sequence(), result.status(), result.journalIndex());
                        break;
                    case ASYNC:
                        tracker.send(message, t0, timeoutMs);
                        break;
                    default:
                        sendOneway(producer, message, t0, timeoutMs);
                        break;
                }
            }
            catch (final SendException ex)
            {
                recordError(ex.kind(), ex.getMessage());
            }
            sent.increment();
        }
    }

    private void sendBatches(final Producer producer, final String topic, final byte[] body, final int count, final long timeoutMs)
    {
        final List<Message> messages = new ArrayList<>();
        for (int i = 0; i < batch; i++)
        {
            messages.add(new Message().topic(topic).body(body));
        }
        for (int remaining = count; remaining > 0; remaining -= batch)
        {
            final List<Message> slice = remaining >= batch ? messages : messages.subList(0, remaining);
            final long t0 = System.nanoTime();
            if (stamp)
            {
                putStamp(body, t0); // one send time for the batch; its messages share the body
            }
            try
            {
                final List<SendResult> results = producer.sendBatch(slice, timeoutMs);
                histogram.recordValue(System.nanoTime() - t0);
                for (final SendResult result : results)
                {
                    onOk(producer, result.sequence(), result.status(), result.journalIndex());
                }
            }
            catch (final SendException ex)
            {
                recordError(ex.kind(), ex.getMessage());
            }
            sent.add(slice.size());
        }
    }

    private static void putStamp(final byte[] body, final long nanoTime)
    {
        STAMP.set(body, 0, nanoTime); // native order, as the tail reads it with DirectBuffer.getLong
    }

    private void sendOneway(final Producer producer, final Message message, final long t0, final long timeoutMs)
    {
        final long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long result;
        while ((result = producer.sendOneway(message)) < 0)
        {
            if (result == Producer.CLOSED || System.nanoTime() - deadline >= 0)
            {
                recordError(result == Producer.CLOSED ? ErrorKind.CLOSED : ErrorKind.BROKER_BUSY, producer.codeText(result));
                return;
            }
            Thread.yield();
        }
        histogram.recordValue(System.nanoTime() - t0);
    }

    private void onOk(final Producer producer, final long sequence, final SendStatus status, final long journalIndex)
    {
        statuses.incrementAndGet(status.ordinal());
        if (null != ackedLog && status == SendStatus.SEND_OK)
        {
            ackedLog.acked(producer, sequence, journalIndex);
        }
    }

    private void recordError(final ErrorKind kind, final String message)
    {
        if (errors.getAndIncrement(kind.ordinal()) == 0 && null != err)
        {
            err.println("error " + kind + ": " + message);
        }
    }

    /**
     * Async sends of one thread: start times by sequence, outstanding count, callbacks on the producer's thread.
     */
    private final class AsyncTracker implements SendCallback
    {
        final Producer producer;
        final LongAdder outstanding = new LongAdder();
        final long[] startNs;
        final int mask;

        AsyncTracker(final Producer producer)
        {
            this.producer = producer;
            final int size = Integer.highestOneBit(Math.max(1024, producer.context().maxInFlight() * 4) - 1) << 1;
            startNs = new long[size];
            mask = size - 1;
        }

        void send(final Message message, final long t0, final long timeoutMs)
        {
            final long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            outstanding.increment();
            long result;
            while ((result = producer.sendAsync(message, timeoutMs, this)) < 0)
            {
                if (result == Producer.CLOSED || System.nanoTime() - deadline >= 0)
                {
                    outstanding.decrement();
                    recordError(result == Producer.CLOSED ? ErrorKind.CLOSED :
                        result == Producer.NOT_CONNECTED ? ErrorKind.NOT_CONNECTED : ErrorKind.BROKER_BUSY, producer.codeText(result));
                    return;
                }
                Thread.yield();
            }
            startNs[(int)result & mask] = t0;
        }

        public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
        {
            final long start = startNs[(int)sequence & mask];
            if (start != 0)
            {
                histogram.recordValue(Math.max(0, System.nanoTime() - start));
            }
            onOk(producer, sequence, status, journalIndex);
            outstanding.decrement();
        }

        public void onError(final long sequence, final SendException error)
        {
            recordError(error.kind(), error.getMessage());
            outstanding.decrement();
        }
    }

    /**
     * Oneway mode: take from the closed producers how many oneway sends they accepted (warm-up included) and how many
     * of those the broker did not confirm stored; unconfirmed ones count as errors.
     *
     * @param closed the producers of the run, closed.
     */
    void onewayOutcome(final List<Producer> closed)
    {
        if (mode != Mode.ONEWAY)
        {
            return;
        }
        for (final Producer producer : closed)
        {
            onewayAccepted += producer.onewaySent();
            onewayUnconfirmed += producer.onewayUnconfirmed();
        }
        if (onewayUnconfirmed > 0)
        {
            errors.addAndGet(ErrorKind.NOT_CONNECTED.ordinal(), onewayUnconfirmed);
            if (null != err)
            {
                err.println("error: " + onewayUnconfirmed + " of " + onewayAccepted + " accepted oneway sends were not confirmed stored " +
                    "by the broker when the producer closed");
            }
        }
    }

    long sentCount()
    {
        return sent.sum();
    }

    long status(final SendStatus status)
    {
        return statuses.get(status.ordinal());
    }

    long errorCount()
    {
        long total = 0;
        for (int i = 0; i < KINDS.length; i++)
        {
            total += errors.get(i);
        }
        return total;
    }

    double percentileUs(final double percentile)
    {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    double endToEndUs(final double percentile)
    {
        return endToEnd.getTotalCount() == 0 ? 0 : endToEnd.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxUs()
    {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1000.0;
    }

    double msgsPerSec()
    {
        return elapsedNs == 0 ? 0 : sentCount() * 1e9 / elapsedNs;
    }

    String json(final int size)
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("{\"size\":").append(size).append(",\"sent\":").append(sentCount()).append(",\"statuses\":{");
        for (int i = 0; i < STATUSES.length; i++)
        {
            sb.append(i == 0 ? "" : ",").append('"').append(STATUSES[i].name()).append("\":").append(statuses.get(i));
        }
        sb.append("},\"errors\":{");
        String sep = "";
        for (int i = 0; i < KINDS.length; i++)
        {
            if (errors.get(i) > 0)
            {
                sb.append(sep).append('"').append(KINDS[i].name()).append("\":").append(errors.get(i));
                sep = ",";
            }
        }
        sb.append('}');
        if (mode == Mode.ONEWAY)
        {
            sb.append(",\"oneway_accepted\":").append(onewayAccepted).append(",\"oneway_unconfirmed\":").append(onewayUnconfirmed);
        }
        sb.append(",\"retries\":").append(retries)
            .append(",\"p50_us\":").append(fmt(percentileUs(50)))
            .append(",\"p90_us\":").append(fmt(percentileUs(90)))
            .append(",\"p99_us\":").append(fmt(percentileUs(99)))
            .append(",\"p999_us\":").append(fmt(percentileUs(99.9)))
            .append(",\"max_us\":").append(fmt(maxUs()))
            .append(",\"msgs_per_sec\":").append(fmt(msgsPerSec()))
            .append(",\"warmup_sends\":").append(warmedUp)
            .append(",\"warmup_ms\":").append(TimeUnit.NANOSECONDS.toMillis(warmUpNs));
        if (endToEndMissing >= 0)
        {
            sb.append(",\"e2e_p50_us\":").append(fmt(endToEndUs(50)))
                .append(",\"e2e_p90_us\":").append(fmt(endToEndUs(90)))
                .append(",\"e2e_p99_us\":").append(fmt(endToEndUs(99)))
                .append(",\"e2e_p999_us\":").append(fmt(endToEndUs(99.9)))
                .append(",\"e2e_max_us\":").append(fmt(endToEnd.getTotalCount() == 0 ? 0 : endToEnd.getMaxValue() / 1000.0))
                .append(",\"e2e_missing\":").append(endToEndMissing);
        }
        sb
            .append(",\"mode\":\"").append(mode.name().toLowerCase(Locale.ROOT)).append('"')
            .append('}');
        return sb.toString();
    }

    String summary()
    {
        final StringBuilder sb = new StringBuilder(256);
        sb.append("mode ").append(mode.name().toLowerCase(Locale.ROOT)).append(", sent ").append(sentCount())
            .append(" after a warm-up of ").append(warmedUp).append(" in ").append(TimeUnit.NANOSECONDS.toMillis(warmUpNs)).append(" ms\n");
        if (mode != Mode.ONEWAY)
        {
            for (int i = 0; i < STATUSES.length; i++)
            {
                sb.append("  ").append(STATUSES[i]).append(' ').append(statuses.get(i)).append('\n');
            }
        }
        for (int i = 0; i < KINDS.length; i++)
        {
            if (errors.get(i) > 0)
            {
                sb.append("  error ").append(KINDS[i]).append(' ').append(errors.get(i)).append('\n');
            }
        }
        if (mode == Mode.ONEWAY)
        {
            sb.append("  accepted ").append(onewayAccepted).append(" (warm-up included), confirmed stored by the broker ")
                .append(onewayAccepted - onewayUnconfirmed).append(", unconfirmed ").append(onewayUnconfirmed).append('\n');
        }
        sb.append("  retries ").append(retries).append('\n');
        final String what = mode == Mode.ONEWAY ? " (hand-off)" : mode == Mode.BATCH ? " (per batch of " + batch + ")" : "";
        sb.append(String.format(Locale.ROOT, "latency us%s: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n", what,
            percentileUs(50), percentileUs(90), percentileUs(99), percentileUs(99.9), maxUs()));
        sb.append(String.format(Locale.ROOT, "throughput: %.0f msgs/s%n", msgsPerSec()));
        if (endToEndMissing >= 0)
        {
            sb.append(String.format(Locale.ROOT, "end-to-end us (send -> tail): p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%s%n",
                endToEndUs(50), endToEndUs(90), endToEndUs(99), endToEndUs(99.9),
                endToEnd.getTotalCount() == 0 ? 0 : endToEnd.getMaxValue() / 1000.0,
                endToEndMissing == 0 ? "" : "  (" + endToEndMissing + " messages did not arrive)"));
        }
        return sb.toString();
    }

    private static String fmt(final double value)
    {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
