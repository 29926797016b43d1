package io.peregrine.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.peregrine.transport.Channels;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.IdleStrategies;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The transport floor of a send: a request of {@code size} bytes to an answering agent and a 48-byte answer
 * back, over the same channels (term length, MTU, windows, socket buffers), the same embedded drivers (one
 * shared over IPC, one per side over UDP) and the same idle strategy as a producer and broker. The answer is
 * small on purpose: a send's answer is, and echoing the whole body back would double the floor of large
 * messages and flatter the ratios.
 *
 * <p>The caller offers straight into its publication and polls the answers itself: no send queue, no producer
 * thread, no journal. What {@link SendLatencyBenchmark} adds to this is Peregrine's own cost.
 */
@State(Scope.Benchmark)
public class AeronRoundTripFloorBenchmark extends SampledLatencyBenchmark
{
    private static final int REQUEST_STREAM_ID = 7001;
    private static final int ANSWER_STREAM_ID = 7002;
    private static final int ANSWER_SESSION_ID = 0x5EED;
    private static final long START_TIMEOUT_MS = 10_000;

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    @Param({ "ipc", "udp" })
    String transport;

    Path dir;
    MediaDriver driver;
    MediaDriver answererDriver;
    Aeron aeron;
    Aeron answererAeron;
    AgentRunner answerer;
    FloorProcess.Requester requester;

    /**
     * Driver, answering agent and both streams, connected.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Trial)
    public void start() throws IOException
    {
        dir = Files.createTempDirectory("peregrine-jmh-rt-");
        final boolean ipc = transport.equals("ipc");
        // as in SendLatencyBenchmark: over IPC the producer joins the broker's driver; over UDP it runs its own,
        // as it would on another host, so two driver threads share the cores
        answererDriver = EmbeddedDriver.launch(dir.resolve("aeron-answerer").toString(), IdleStrategies.DEFAULT, true);
        answererAeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(answererDriver.aeronDirectoryName()));
        driver = ipc ? null : EmbeddedDriver.launch(dir.resolve("aeron-requester").toString(), IdleStrategies.DEFAULT, true);
        aeron = ipc ? answererAeron : Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        final Subscription requestSubscription = answererAeron.addSubscription(
            ipc ? "aeron:ipc" : Channels.requestSubscription("aeron:udp?endpoint=127.0.0.1:0"), REQUEST_STREAM_ID);
        final String endpoint = ipc ? null : Channels.awaitResolvedEndpoint(requestSubscription, START_TIMEOUT_MS);
        final Subscription answers = aeron.addSubscription(Channels.responseSubscription(ipc, "127.0.0.1", ANSWER_SESSION_ID,
            Channels.responseWindow(4096)), ANSWER_STREAM_ID);
        final String answerEndpoint = ipc ? null : Channels.awaitResolvedEndpoint(answers, START_TIMEOUT_MS);
        final ExclusivePublication answerPublication = answererAeron.addExclusivePublication(
            Channels.responsePublication(answerEndpoint, ANSWER_SESSION_ID, Channels.responseWindow(4096)), ANSWER_STREAM_ID);
        final ExclusivePublication requests = aeron.addExclusivePublication(Channels.requestPublication(
            ipc ? "aeron:ipc" : "aeron:udp?endpoint=" + endpoint, BenchmarkBroker.MAX_MESSAGE_SIZE), REQUEST_STREAM_ID);
        answerer = new AgentRunner(IdleStrategies.create(IdleStrategies.DEFAULT), Throwable::printStackTrace, null,
            new FloorProcess.Answerer(answererAeron, requestSubscription, answerPublication));
        AgentRunner.startOnThread(answerer);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!requests.isConnected() || !answerPublication.isConnected())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("round-trip streams not connected within 10 s");
            }
            Thread.yield();
        }
        requester = new FloorProcess.Requester(requests, answers, size);
    }

    /**
     * Stop everything and delete the driver's directory.
     *
     * @throws IOException if it cannot be deleted.
     */
    @TearDown(Level.Trial)
    public void stop() throws IOException
    {
        CloseHelper.closeAll(answerer, aeron == answererAeron ? null : aeron, driver, answererAeron, answererDriver);
        BenchmarkBroker.deleteTree(dir);
    }

    /**
     * One request out and its answer back.
     *
     * @return answers seen so far, so the call is not optimised away.
     */
    @Benchmark
    public long roundTrip()
    {
        return requester.roundTrip(size);
    }
}
