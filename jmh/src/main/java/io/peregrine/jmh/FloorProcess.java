package io.peregrine.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.peregrine.producer.Producer;
import io.peregrine.transport.Channels;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.IdleStrategies;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The Aeron round-trip floor in the process layout users run: an answering JVM with its own embedded media driver
 * where the broker would be, and a requesting JVM where {@code peregrine perf} would be (over UDP with a driver of its
 * own, over IPC joining the answerer's). No Peregrine code on the path: a request goes out, a 48-byte answer comes
 * back, as in {@link AeronRoundTripFloorBenchmark}. {@link StandaloneRun} runs it just before the broker and perf, so
 * the standalone numbers are set against a floor of the same layout and the same minutes.
 *
 * <pre>
 * java -cp benchmarks.jar io.peregrine.jmh.FloorProcess answer AERON_DIR
 *     prints "READY udp=HOST:PORT aeronDir=DIR", answers until its standard input ends
 * java -cp benchmarks.jar io.peregrine.jmh.FloorProcess ping udp|ipc UDP_ENDPOINT|AERON_DIR SIZES COUNT FIRST_WARMUP_MS WARMUP_MS
 *     prints a JSON line per size: {"size":..,"sent":..,"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..}
 * </pre>
 */
public final class FloorProcess
{
    static final int REQUEST_STREAM_ID = 7101;
    static final int ANSWER_STREAM_ID = 7102;
    static final int ANSWER_LENGTH = 48;
    static final int HELLO = 1;
    static final int REQUEST = 2;
    static final int WARMUP_ROUND = 1000;
    static final int PERF_IN_FLIGHT = 1024; // perf's default --inflight
    private static final long ROUND_TIMEOUT_MS = 60_000;
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private FloorProcess()
    {
    }

    /**
     * @param args {@code answer AERON_DIR} or {@code ping ...} (see the class comment).
     * @throws IOException if standard input cannot be read.
     */
    public static void main(final String[] args) throws IOException
    {
        if (args.length == 2 && args[0].equals("answer"))
        {
            answer(args[1]);
        }
        else if (args.length == 7 && args[0].equals("ping"))
        {
            final List<Integer> sizes = new ArrayList<>();
            for (final String size : args[3].split(","))
            {
                sizes.add(Integer.parseInt(size));
            }
            ping(args[1], args[2], sizes, Integer.parseInt(args[4]), Long.parseLong(args[5]), Long.parseLong(args[6]));
        }
        else
        {
            System.err.println("usage: FloorProcess answer AERON_DIR | " +
                "ping udp|ipc UDP_ENDPOINT|AERON_DIR SIZES COUNT FIRST_WARMUP_MS WARMUP_MS (got " + Arrays.toString(args) + ")");
            System.exit(2);
        }
    }

    private static void answer(final String aeronDir) throws IOException
    {
        try (MediaDriver driver = EmbeddedDriver.launch(aeronDir, IdleStrategies.DEFAULT, true);
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName())))
        {
            final Subscription udp = aeron.addSubscription(
                Channels.requestSubscription("aeron:udp?endpoint=127.0.0.1:0"), REQUEST_STREAM_ID);
            final Subscription ipc = aeron.addSubscription("aeron:ipc", REQUEST_STREAM_ID);
            final String endpoint = Channels.awaitResolvedEndpoint(udp, CONNECT_TIMEOUT_MS);
            try (AgentRunner runner = new AgentRunner(IdleStrategies.create(IdleStrategies.DEFAULT), Throwable::printStackTrace,
                null, new CompositeAgent(new Answerer(aeron, udp, null), new Answerer(aeron, ipc, null))))
            {
                AgentRunner.startOnThread(runner);
                System.out.println("READY udp=" + endpoint + " aeronDir=" + driver.aeronDirectoryName());
                while (System.in.read() >= 0)
                {
                    continue; // the parent closes the pipe to stop it; what it writes is ignored
                }
            }
        }
    }

    private static void ping(
        final String transport,
        final String where,
        final List<Integer> sizes,
        final int count,
        final long firstWarmupMs,
        final long warmupMs)
    {
        final boolean ipc = transport.equals("ipc");
        final int sessionId = (int)ProcessHandle.current().pid();
        // over UDP a driver of its own, as perf launches one; over IPC the answerer's, as perf joins the broker's
        try (MediaDriver driver = ipc ? null : EmbeddedDriver.launchInNewDirectory(IdleStrategies.DEFAULT);
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(ipc ? where : driver.aeronDirectoryName())))
        {
            // the streams sized as perf's producer sizes its own: response window for perf's default --inflight,
            // request term for the largest size or the producer's default maxMessageSize
            final int window = Channels.responseWindow(PERF_IN_FLIGHT);
            final Subscription answers = aeron.addSubscription(
                Channels.responseSubscription(ipc, "127.0.0.1", sessionId, window), ANSWER_STREAM_ID);
            final String answerChannel = Channels.responsePublication(
                ipc ? null : Channels.awaitResolvedEndpoint(answers, CONNECT_TIMEOUT_MS), sessionId, window);
            final int maxSize = sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
            final ExclusivePublication requests = aeron.addExclusivePublication(Channels.requestPublication(
                ipc ? "aeron:ipc" : "aeron:udp?endpoint=" + where, Math.max(maxSize, Producer.Context.MAX_MESSAGE_SIZE_DEFAULT)),
                REQUEST_STREAM_ID);
            final Requester requester = new Requester(requests, answers, Math.max(maxSize, Integer.BYTES));
            requester.hello(answerChannel);
            boolean first = true;
            for (final int size : sizes)
            {
                final long warmEndNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(first ? firstWarmupMs : warmupMs);
                long warmed = 0;
                do
                {
                    onNewThread(requester, size, new long[WARMUP_ROUND]); // as perf: a new sending thread each round
                    warmed += WARMUP_ROUND;
                }
                while (System.nanoTime() - warmEndNs < 0);
                final long[] latencies = new long[count];
                onNewThread(requester, size, latencies);
                System.out.println(json(size, latencies, warmed));
                first = false;
            }
        }
    }

    /**
     * Measure on a new thread; a failed or stuck round trip (the answerer gone) ends the process with an error instead
     * of a line of zeros: the wait loop itself stays as lean as the JMH floor's.
     */
    private static void onNewThread(final Requester requester, final int size, final long[] latencies)
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(() -> requester.run(size, latencies), "floor-ping");
        thread.setDaemon(true);
        thread.setUncaughtExceptionHandler((t, ex) -> failure.set(ex));
        thread.start();
        final long timeoutMs = ROUND_TIMEOUT_MS + latencies.length; // and a millisecond a round trip
        try
        {
            thread.join(timeoutMs);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring", ex);
        }
        if (thread.isAlive())
        {
            throw new IllegalStateException(latencies.length + " round trips of " + size + " bytes not done within " + timeoutMs +
                " ms: no answer (is the answerer still running?)");
        }
        if (null != failure.get())
        {
            throw new IllegalStateException("round trips of " + size + " bytes failed: " + failure.get(), failure.get());
        }
    }

    static String json(final int size, final long[] latencies, final long warmupSends)
    {
        Arrays.sort(latencies);
        return String.format(Locale.ROOT,
            "{\"size\":%d,\"sent\":%d,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"warmup_sends\":%d}",
            size, latencies.length, percentileMicros(latencies, 50), percentileMicros(latencies, 90), percentileMicros(latencies, 99),
            percentileMicros(latencies, 99.9), percentileMicros(latencies, 100), warmupSends);
    }

    /**
     * @param sorted  latencies in nanoseconds, ascending.
     * @param percent of the samples at or below the value returned (nearest rank).
     * @return the value in microseconds.
     */
    static double percentileMicros(final long[] sorted, final double percent)
    {
        if (sorted.length == 0)
        {
            return 0;
        }
        final int rank = (int)Math.ceil(percent * sorted.length / 100.0 - 1e-9); // 99.9 of 1,000 is rank 999, not 1,000
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)] / 1000.0;
    }

    /**
     * The requesting side: one request in flight, waited for with the default idle strategy (as the JMH floor does).
     */
    static final class Requester
    {
        private final ExclusivePublication requests;
        private final Subscription answers;
        private final UnsafeBuffer request;
        private final IdleStrategy idle = IdleStrategies.create(IdleStrategies.DEFAULT);
        private long answered;
        private final FragmentHandler onAnswer = (buffer, offset, length, header) -> answered++;

        Requester(final ExclusivePublication requests, final Subscription answers, final int capacity)
        {
            this.requests = requests;
            this.answers = answers;
            this.request = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
            request.putInt(0, REQUEST);
        }

        void hello(final String answerChannel)
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_TIMEOUT_MS);
            while (!requests.isConnected())
            {
                check(deadline, "the request stream did not connect");
                Thread.yield();
            }
            final byte[] channel = answerChannel.getBytes(StandardCharsets.US_ASCII);
            final UnsafeBuffer hello = new UnsafeBuffer(new byte[Integer.BYTES + channel.length]);
            hello.putInt(0, HELLO);
            hello.putBytes(Integer.BYTES, channel);
            while (requests.offer(hello) < 0)
            {
                check(deadline, "the hello was not taken");
                Thread.yield();
            }
            while (answered == 0)
            {
                check(deadline, "no answer to the hello (answers on " + answerChannel + ")");
                if (answers.poll(onAnswer, 1) == 0)
                {
                    Thread.yield();
                }
            }
        }

        void run(final int size, final long[] latencies)
        {
            for (int i = 0; i < latencies.length; i++)
            {
                final long start = System.nanoTime();
                roundTrip(size);
                latencies[i] = System.nanoTime() - start;
            }
        }

        /**
         * @param size of the request.
         * @return answers read so far.
         */
        long roundTrip(final int size)
        {
            long result;
            idle.reset();
            while ((result = requests.offer(request, 0, Math.max(size, Integer.BYTES))) < 0)
            {
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED || result == Publication.NOT_CONNECTED)
                {
                    throw new IllegalStateException("request offer failed: " + Publication.errorString(result));
                }
                idle.idle();
            }
            final long expected = answered + 1;
            idle.reset();
            while (answered != expected)
            {
                idle.idle(answers.poll(onAnswer, 1));
            }
            return answered;
        }

        private static void check(final long deadline, final String what)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException(what + " within " + CONNECT_TIMEOUT_MS + " ms");
            }
        }
    }

    /**
     * Answers each request of one subscription with 48 bytes on the channel its requester named in its hello.
     */
    static final class Answerer implements Agent
    {
        private final Aeron aeron;
        private final Subscription requests;
        private final UnsafeBuffer answer = new UnsafeBuffer(ByteBuffer.allocateDirect(ANSWER_LENGTH));
        private final FragmentAssembler assembler = new FragmentAssembler(this::onRequest);
        private ExclusivePublication answers;

        /**
         * @param aeron    to add the answer publication a hello names.
         * @param requests to answer.
         * @param answers  where to answer before any hello, or null.
         */
        Answerer(final Aeron aeron, final Subscription requests, final ExclusivePublication answers)
        {
            this.aeron = aeron;
            this.requests = requests;
            this.answers = answers;
        }

        public int doWork()
        {
            return requests.poll(assembler, 16);
        }

        private void onRequest(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            if (buffer.getInt(offset) == HELLO)
            {
                CloseHelper.quietClose(answers); // the requester before this one has gone
                answers = aeron.addExclusivePublication(
                    buffer.getStringWithoutLengthAscii(offset + Integer.BYTES, length - Integer.BYTES), ANSWER_STREAM_ID);
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_TIMEOUT_MS);
                while (!answers.isConnected() && System.nanoTime() - deadline < 0)
                {
                    Thread.yield(); // once per requester, before its first measured request
                }
            }
            if (null == answers)
            {
                return;
            }
            answer.putInt(0, length);
            long result;
            while ((result = answers.offer(answer, 0, ANSWER_LENGTH)) < 0)
            {
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED || result == Publication.NOT_CONNECTED)
                {
                    return;
                }
                Thread.onSpinWait();
            }
        }

        public void onClose()
        {
            CloseHelper.quietClose(answers);
        }

        public String roleName()
        {
            return "floor-answerer";
        }
    }
}
