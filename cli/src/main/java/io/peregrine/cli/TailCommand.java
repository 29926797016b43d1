package io.peregrine.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;

import io.peregrine.consumer.ConsumedMessage;
import io.peregrine.consumer.Consumer;
import io.peregrine.producer.Producer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine tail}: print what a broker stores, as it is stored, over the network.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = { "Print the messages a running broker stores, one line each ('<index> <msgId> <topic> <bytes>'), " +
        "streamed from its journal over Aeron: from the start, the end or an index, then live as they are stored.",
        "Runs until --count messages are printed or SIGINT/SIGTERM. With --name the broker keeps the position, and the " +
        "next tail of that name goes on after the last message printed." })
final class TailCommand implements Callable<Integer>
{
    @Option(names = "--channel", paramLabel = "CH", defaultValue = Producer.Context.BROKER_CHANNEL_DEFAULT,
        description = "the broker's listen channel, e.g. aeron:udp?endpoint=127.0.0.1:40456 or aeron:ipc (default: ${DEFAULT-VALUE})")
    String channel;

    @Option(names = "--aeron-dir", paramLabel = "DIR",
        description = "media driver to join; required for aeron:ipc (the broker's aeronDir); default: an embedded driver")
    String aeronDir;

    @Option(names = "--receive-host", paramLabel = "HOST", defaultValue = Consumer.Context.RECEIVE_HOST_DEFAULT,
        description = "this host's address the broker streams to; the broker's requests must come from it (default: ${DEFAULT-VALUE})")
    String receiveHost;

    @Option(names = "--topic", paramLabel = "T", description = "only this topic (default: all)")
    String topic;

    @Option(names = "--from", paramLabel = "start|end|INDEX", defaultValue = "end",
        description = "where to begin: the first retained message, after the last stored, or a journal index (default: ${DEFAULT-VALUE})")
    String from;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "stop after N messages (default: run until stopped)")
    long count;

    @Option(names = "--name", paramLabel = "NAME", description = "a named consumer: the broker keeps its position across runs")
    String name;

    @Option(names = "--uncommitted", description = "also messages not yet durable under the broker's policy (default: only durable ones)")
    boolean uncommitted;

    @Option(names = "--json", description = "one JSON object per message instead of the plain line")
    boolean json;

    @Option(names = "--connect-timeout", paramLabel = "MS", defaultValue = "5000",
        description = "how long to wait for the broker's answer (default: ${DEFAULT-VALUE})")
    long connectTimeoutMs;

    public Integer call()
    {
        final Consumer.Context ctx = new Consumer.Context()
            .brokerChannel(channel)
            .aeronDirectoryName(aeronDir)
            .topic(topic)
            .name(name)
            .readCommitted(!uncommitted)
            .receiveHost(receiveHost)
            .connectTimeoutMs(connectTimeoutMs);
        if ("start".equals(from))
        {
            ctx.from(Consumer.Start.START);
        }
        else if ("end".equals(from))
        {
            ctx.from(Consumer.Start.END);
        }
        else
        {
            try
            {
                ctx.fromIndex(Long.parseLong(from));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("--from must be start, end or a journal index: '" + from + "'");
            }
        }
        if (count < 0)
        {
            throw new IllegalArgumentException("--count must be >= 0: " + count);
        }
        final PrintStream out = System.out;
        final TerminationSignal signal = new TerminationSignal();
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        final long[] printed = { 0, -1 }; // messages printed, index of the last
        final StringBuilder line = new StringBuilder(256);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            final Consumer.MessageHandler handler = (message) ->
            {
                if (count == 0 || printed[0] < count)
                {
                    out.println(format(line, message));
                    printed[0]++;
                    printed[1] = message.index();
                }
            };
            while (!signal.arrived() && (count == 0 || printed[0] < count))
            {
                final int messages = consumer.poll(handler, 10);
                if (messages > 0)
                {
                    out.flush();
                    if (null != name)
                    {
                        consumer.commit(printed[1]); // not what --count left unprinted of the last frame
                    }
                }
                idle.idle(messages);
            }
        }
        return 0;
    }

    private CharSequence format(final StringBuilder line, final ConsumedMessage message)
    {
        line.setLength(0);
        if (json)
        {
            line.append("{\"index\":").append(message.index())
                .append(",\"msgId\":\"").append(message.msgId())
                .append("\",\"topic\":\"").append(message.topic())
                .append("\",\"bytes\":").append(message.bodyLength())
                .append(",\"storedEpochNs\":").append(message.storedEpochNs())
                .append('}');
        }
        else
        {
            line.append(message.index()).append(' ').append(message.msgId()).append(' ').append(message.topic()).append(' ')
                .append(message.bodyLength());
        }
        return line;
    }
}
