package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.producer.ErrorKind;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Below the free-space floor the broker refuses sends with STORE_FULL, stays up, keeps what it stored,
 * and takes sends again by itself once space is back. The free-space probe is replaced by the test.
 */
@Timeout(120)
class DiskSpaceTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseSendsWhileTheDiskIsBelowTheFloorAndResumeAfterwards()
    {
        final long floor = 1L << 30;
        final AtomicLong free = new AtomicLong(10 * floor);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.DISK_SPACE_FLOOR, "1g")
            .usableSpace(free::get));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).retryTimesWhenSendFailed(0)))
        {
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("before").body(new byte[16]), 20_000).status());

            free.set(floor - 1);
            awaitTrue("the broker noticed (it checks every 100 ms)", () ->
            {
                try
                {
                    producer.send(new Message().topic("probe").body(new byte[16]), 20_000);
                    return false;
                }
                catch (final SendException ex)
                {
                    assertEquals(ErrorKind.STORE_FULL, ex.kind(), ex.getMessage());
                    return true;
                }
            });
            final SendException refused = assertThrows(SendException.class,
                () -> producer.send(new Message().topic("while.full").body(new byte[16]), 20_000));
            assertEquals(ErrorKind.STORE_FULL, refused.kind());
            assertTrue(refused.getMessage().contains("diskSpaceFloor"), refused.getMessage());

            free.set(10 * floor);
            awaitTrue("taking sends again", () ->
            {
                try
                {
                    return producer.send(new Message().topic("after").body(new byte[16]), 20_000).status() == SendStatus.SEND_OK;
                }
                catch (final SendException ex)
                {
                    assertEquals(ErrorKind.STORE_FULL, ex.kind(), ex.getMessage());
                    return false;
                }
            });
        }
        final List<String> topics = BrokerTestSupport.readJournal(dir).stream().map(BrokerTestSupport.Stored::topic).toList();
        assertEquals("before", topics.get(0));
        assertEquals("after", topics.get(topics.size() - 1));
        assertTrue(topics.stream().noneMatch("while.full"::equals), "nothing stored while full: " + topics);
    }
}
