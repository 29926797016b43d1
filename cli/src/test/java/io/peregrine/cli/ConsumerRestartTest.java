package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.peregrine.consumer.Consumer;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A network consumer across a broker crash: the broker runs as its own JVM (SYNC_FLUSH, so what was answered is what
 * survives), is killed with SIGKILL while a named consumer tails it and restarted on the same store and port; the
 * consumer subscribes again after the last message it had and gets every later one once, and a consumer of the same
 * name connecting afresh resumes after what was committed. Over UDP, and over IPC, where the driver the consumer and
 * the producer use is the broker's and dies with it.
 */
@Timeout(180)
class ConsumerRestartTest
{
    private static final long WAIT_MS = 60_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "udp", "ipc" })
    void shouldGoOnAfterTheLastMessageAcrossABrokerKilledAndRestarted(final String transport) throws Exception
    {
        final int port;
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort(); // free now; the broker binds it on both starts
        }
        final String listen = "aeron:udp?endpoint=127.0.0.1:" + port;
        final String aeronDir = dir.resolve("aeron").toString();
        final boolean ipc = transport.equals("ipc");
        final String channel = ipc ? "aeron:ipc" : listen;
        final List<String> settings = List.of(
            "storePathRootDir=" + dir.resolve("store"),
            "aeronDir=" + aeronDir,
            "flushDiskType=SYNC_FLUSH",
            "producerLivenessTimeout=2000",
            "haListenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "listenChannel=" + listen);
        final List<Long> stored = new ArrayList<>();
        final List<Long> consumed = new ArrayList<>();
        final BrokerProcess[] broker = { BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000) };
        try
        {
            try (Producer producer = Producer.start(new Producer.Context().brokerChannel(channel).aeronDirectoryName(ipc ? aeronDir : null));
                Consumer consumer = Consumer.connect(new Consumer.Context().brokerChannel(channel).aeronDirectoryName(ipc ? aeronDir : null)
                    .name("audit")))
            {
                send(producer, stored, 20);
                await("the first twenty", () -> poll(consumer, consumed) && consumed.size() >= 20);
                consumer.commit();

                broker[0].kill(); // SIGKILL while the consumer is connected
                broker[0] = BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000);
                await("producer back", producer::isConnected);
                send(producer, stored, 20);
                await("the next twenty after the restart", () -> poll(consumer, consumed) && consumed.size() >= 40);
                assertTrue(consumer.resubscribes() >= 1, "it subscribed again to the restarted broker");
                consumer.commit();
            }
            assertEquals(stored, consumed, "every message once, in order, across the crash");

            try (Producer producer = Producer.start(new Producer.Context().brokerChannel(channel).aeronDirectoryName(ipc ? aeronDir : null));
                Consumer consumer = Consumer.connect(new Consumer.Context().brokerChannel(channel).aeronDirectoryName(ipc ? aeronDir : null)
                    .name("audit")))
            {
                send(producer, stored, 1);
                final List<Long> resumed = new ArrayList<>();
                await("the one sent since", () -> poll(consumer, resumed) && !resumed.isEmpty());
                assertEquals(List.of(stored.get(40)), resumed, "a new consumer of the name resumes after what was committed");
            }
            assertEquals(0, broker[0].stop(30_000), "clean stop; log:\n" + broker[0].logTail());
        }
        finally
        {
            broker[0].close();
        }
    }

    private static void send(final Producer producer, final List<Long> stored, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final var result = producer.send(new Message().topic("audit").body(new byte[100 + stored.size()]), 20_000);
            assertEquals(SendStatus.SEND_OK, result.status());
            stored.add(result.journalIndex());
        }
    }

    private static boolean poll(final Consumer consumer, final List<Long> consumed)
    {
        consumer.poll((message) -> consumed.add(message.index()), 10);
        return true;
    }

    private static void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.yield();
        }
    }
}
