package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import io.peregrine.producer.SendTimeoutException;
import io.peregrine.transport.EmbeddedDriver;
import org.agrona.CloseHelper;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producer sessions: liveness, the producer cap, and what a producer sees with no broker.
 */
@Timeout(120)
class ProducerSessionTest
{
    @TempDir
    Path dir;

    @Test
    void shouldDropSilentProducerAfterLivenessTimeout()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000_000);
        final MediaDriver clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).epochClock(clock)
            .set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "10000"));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
            RawClient raw = new RawClient(aeron, broker.udpChannel()))
        {
            raw.connect();
            assertEquals(1, broker.producersConnected());
            clock.advance(9_000);
            raw.offer(raw.buffer, raw.encodeSend(1, "alive", new byte[1]));
            assertTrue(raw.awaitResponse("stored", (r) -> r.startsWith("RESPONSE 1 ")).contains("SEND_OK"));
            clock.advance(9_000);
            assertEquals(1, broker.producersConnected(), "a send 9 s ago keeps the producer alive");
            clock.advance(1_001);
            awaitTrue("silent producer dropped", () -> broker.producersConnected() == 0);

            raw.offer(raw.buffer, raw.encodeSend(2, "after.drop", new byte[1]));
            awaitTrue("send of a dropped producer counted as unknown", () -> broker.unknownProducerRequests() >= 1);
        }
        finally
        {
            CloseHelper.close(clientDriver);
        }
    }

    @Test
    void shouldRefuseProducersBeyondTheCapAndServeTheOthers()
    {
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.MAX_PRODUCERS, "1"));
            Producer first = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).instanceName("first")))
        {
            assertEquals(SendStatus.SEND_OK, first.send(new Message().topic("t").body(new byte[1]), 20_000).status());
            final Producer second = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).instanceName("second"));
            final SendException ex = assertThrows(SendException.class, () -> second.send(new Message().topic("t").body(new byte[1]), 20_000));
            assertEquals(ErrorKind.CONNECTION_REFUSED, ex.kind());
            assertTrue(ex.getMessage().contains("maxProducers"), ex.getMessage());
            second.close();
            assertEquals(SendStatus.SEND_OK, first.send(new Message().topic("t").body(new byte[1])).status());
        }
    }

    @Test
    void shouldKeepAnsweringOthersWhileAProducerStopsReadingResponses()
    {
        final MediaDriver clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
            RawClient dead = new RawClient(aeron, broker.udpChannel());
            Producer live = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            dead.connect();
            dead.subscription.close(); // it keeps sending but never reads an answer again
            // 30,000 answers of ~50 bytes overrun the 512 KiB window of its response stream
            final int sends = 30_000;
            for (int i = 1; i <= sends; i++)
            {
                dead.offer(dead.buffer, dead.encodeSend(i, "dead", new byte[64]));
                if (i % 1000 == 0)
                {
                    assertEquals(SendStatus.SEND_OK, live.send(new Message().topic("live").body(new byte[64]), 20_000).status());
                }
            }
            awaitTrue("all sends stored", () -> broker.sendsStored() == sends + sends / 1000);
            assertTrue(broker.responsesDropped() > 0, "once its stream stayed full past the stall limit, its answers were dropped");
        }
        finally
        {
            CloseHelper.close(clientDriver);
        }
    }

    @Test
    void shouldHoldAnswersWhileAProducersStreamIsFullAndDeliverEveryOneOnceItReads()
    {
        // the broker's clock stands still, so no stall limit or deadline ever passes: what is tried is a producer
        // that stops reading until its response stream is full, then reads again; none of its answers may be lost
        final CachedNanoClock frozen = new CachedNanoClock();
        final MediaDriver clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).nanoClock(frozen));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
            RawClient slow = new RawClient(aeron, broker.udpChannel()))
        {
            slow.connect();
            // 20,000 answers of 96 bytes are more than its 128 KiB receiver window and the 512 KiB its publication
            // may run ahead of what was sent hold together
            final int sends = 20_000;
            for (int i = 1; i <= sends; i++)
            {
                slow.offer(slow.buffer, slow.encodeSend(i, "slow", new byte[16]));
            }
            awaitTrue("all stored", () -> broker.sendsStored() == sends);
            awaitTrue("answers held back on the full stream", () -> broker.responsesDelayed() > 0);

            assertEveryAnswerArrivesOnce(slow, sends, broker);
        }
        finally
        {
            CloseHelper.close(clientDriver);
        }
    }

    @Test
    void shouldAnswerOtherProducersWhileOneProducersAnswersWaitForItsFullStream() throws Exception
    {
        // the broker's clock stands still, so the stall limit never passes: what is tried is a producer that stops
        // reading until its answers wait in the broker, and another producer sending meanwhile; the other must not
        // wait behind them, and the slow one must get every answer once it reads again
        final CachedNanoClock frozen = new CachedNanoClock();
        final MediaDriver clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir).nanoClock(frozen));
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
            RawClient slow = new RawClient(aeron, broker.udpChannel());
            Producer other = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            slow.connect();
            int sends = 0;
            while (broker.responsesDelayed() == 0 && sends < 20_000)
            {
                for (int i = 0; i < 500; i++)
                {
                    sends++;
                    slow.offer(slow.buffer, slow.encodeSend(sends, "slow", new byte[16]));
                }
                final int sent = sends;
                awaitTrue("stored", () -> broker.sendsStored() == sent);
            }
            assertTrue(broker.responsesDelayed() > 0, "the slow producer's answers wait after " + sends + " sends");
            assertTrue(broker.responsesDelayed() < DeferredAnswers.CAPACITY, "within its own deferred queue");

            final SendResult result = other.send(new Message().topic("other").body(new byte[16]), 10_000);
            assertEquals(SendStatus.SEND_OK, result.status());

            assertEveryAnswerArrivesOnce(slow, sends, broker);
        }
        finally
        {
            CloseHelper.close(clientDriver);
        }
    }

    /**
     * The client reads again: it must get a SEND_OK for each of its sends, each sequence once, none dropped.
     */
    private static void assertEveryAnswerArrivesOnce(final RawClient client, final int sends, final Broker broker)
    {
        awaitTrue("every answer arrives once the producer reads", () ->
        {
            client.poll();
            return client.responses.size() >= sends;
        });
        final Set<String> distinct = new HashSet<>();
        for (final String response : client.responses)
        {
            assertTrue(response.matches("RESPONSE [0-9]+ SEND_OK [0-9]+"), response);
            distinct.add(response.split(" ")[1]);
        }
        assertEquals(sends, client.responses.size());
        assertEquals(sends, distinct.size(), "each sequence answered once");
        assertEquals(0, broker.responsesDropped());
    }

    @Test
    void shouldThrowTimeoutNamingTheChannelWhenNoBrokerListens()
    {
        final String channel = "aeron:udp?endpoint=127.0.0.1:9";
        try (Producer producer = Producer.start(new Producer.Context().brokerChannel(channel)))
        {
            final SendTimeoutException ex = assertThrows(SendTimeoutException.class,
                () -> producer.send(new Message().topic("t").body(new byte[1]), 200));
            assertEquals(ErrorKind.TIMEOUT, ex.kind());
            assertTrue(ex.getMessage().contains(channel), ex.getMessage());
        }
    }
}
