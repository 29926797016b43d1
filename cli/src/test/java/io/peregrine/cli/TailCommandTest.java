package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.peregrine.broker.Broker;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.transport.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peregrine tail} against a broker in this JVM: one line per message from the start, a named tail going on
 * after what its last run printed (also when --count stopped it within a batch), JSON lines, and a clear error for a
 * --from that is not a position.
 */
@Timeout(120)
class TailCommandTest
{
    @TempDir
    Path dir;

    @Test
    void shouldPrintMessagesFromTheStartAndGoOnAfterWhatANamedTailPrinted()
    {
        try (Broker broker = InProcess.broker(dir.resolve("store"), dir.resolve("aeron"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                final long index = producer.send(new Message().topic(i % 2 == 0 ? "orders" : "audit").body(new byte[10 + i]), 20_000)
                    .journalIndex();
                expected.add(index + " " + Protocol.msgId(producer.producerId(), i + 1) + " " + (i % 2 == 0 ? "orders" : "audit") + " " +
                    (10 + i));
            }
            final String[] first = InProcess.peregrine("tail", "--channel", broker.udpChannel(), "--from", "start", "--count", "4",
                "--name", "ops");
            assertEquals("0", first[0], first[2]);
            assertEquals(String.join("\n", expected.subList(0, 4)), first[1].trim());
            // the six came in one frame; the first run printed four and kept that position, not the frame's end
            final String[] second = InProcess.peregrine("tail", "--channel", broker.udpChannel(), "--count", "2", "--name", "ops");
            assertEquals("0", second[0], second[2]);
            assertEquals(String.join("\n", expected.subList(4, 6)), second[1].trim());

            final String[] json = InProcess.peregrine("tail", "--channel", broker.udpChannel(), "--from", "start", "--count", "1",
                "--topic", "audit", "--json");
            assertEquals("0", json[0], json[2]);
            final String[] fields = expected.get(1).split(" ");
            assertTrue(json[1].startsWith("{\"index\":" + fields[0] + ",\"msgId\":\"" + fields[1] + "\",\"topic\":\"audit\",\"bytes\":11,"),
                json[1]);

            // what was tried: a position that is none
            final String[] bad = InProcess.peregrine("tail", "--channel", broker.udpChannel(), "--from", "yesterday");
            assertEquals("2", bad[0]);
            assertTrue(bad[2].contains("--from must be start, end or a journal index: 'yesterday'"), bad[2]);
        }
    }

    @Test
    void shouldTimeEachMessageFromItsSendToTheTailInPerfEndToEnd()
    {
        try (Broker broker = InProcess.broker(dir.resolve("store"), dir.resolve("aeron")))
        {
            final String[] run = InProcess.peregrine("perf", "--channel", broker.udpChannel(), "--e2e", "--sizes", "256,8192", "--count", "300",
                "--warmup", "50", "--warmup-ms", "200", "--first-warmup-ms", "200", "--mode", "async",
                "--json"); // warm-up rounds repeat: not timed, not missing
            assertEquals("0", run[0], run[1] + run[2]);
            final String[] lines = run[1].lines().filter((l) -> l.startsWith("{")).toArray(String[]::new);
            assertEquals(2, lines.length, run[1]);
            for (final String line : lines)
            {
                assertTrue(line.contains("\"e2e_missing\":0"), "every measured message arrived at the tail: " + line);
                assertTrue(line.matches(".*\"e2e_p50_us\":[1-9][0-9]*\\.[0-9].*"), "an end-to-end time: " + line);
            }
            assertTrue(run[1].contains("end-to-end us (send -> tail): p50"), run[1]);

            // what was tried: bodies too small to carry the send time
            final String[] small = InProcess.peregrine("perf", "--channel", broker.udpChannel(), "--e2e", "--size", "4");
            assertEquals("2", small[0]);
        }
    }
}
