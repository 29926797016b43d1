package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker restart under a running producer: the producer reconnects by itself (over IPC with a new
 * Aeron client, since the old one dies with the broker's driver) and new sends work.
 */
@Timeout(180)
class ReconnectTest
{
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "udp", "ipc" })
    void shouldReconnectAfterBrokerRestartWithoutRecreatingTheProducer(final String via) throws Exception
    {
        Broker broker = Broker.launch(BrokerTestSupport.context(dir)); // port 0: a free one, bound by the broker itself
        final String endpoint = broker.listenEndpoint(); // the restarted broker listens where producers already send
        final Producer producer = Producer.start(new Producer.Context()
            .brokerChannel(via.equals("udp") ? broker.udpChannel() : "aeron:ipc")
            .aeronDirectoryName(via.equals("udp") ? null : broker.aeronDirectoryName())
            .maxMessageSize(64 * 1024));
        try
        {
            final SendResult before = producer.send(new Message().topic("before").body(new byte[16]), 20_000);
            assertEquals(SendStatus.SEND_OK, before.status());
            broker.close();

            broker = Broker.launch(BrokerTestSupport.context(dir).set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=" + endpoint));
            SendResult after = null;
            for (int attempt = 0; attempt < 10 && null == after; attempt++)
            {
                try
                {
                    after = producer.send(new Message().topic("after").body(new byte[16]), 6_000);
                }
                catch (final io.peregrine.producer.SendTimeoutException ex)
                {
                    // reconnecting: the producer keeps trying within each send's own timeout
                }
            }
            assertTrue(null != after, "a send succeeded after the restart");
            assertEquals(SendStatus.SEND_OK, after.status());
            assertTrue(after.journalIndex() > before.journalIndex());
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("again").body(new byte[16]), 20_000).status());
        }
        finally
        {
            CloseHelper.closeAll(producer, broker);
        }
        final List<String> topics = BrokerTestSupport.readJournal(dir).stream().map(BrokerTestSupport.Stored::topic).toList();
        assertEquals(List.of("before", "after", "again"), topics, "each send stored once");
    }
}
