package io.peregrine.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;

import io.peregrine.broker.BrokerContext;
import io.peregrine.transport.DriverCounters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine counters}: a running broker's counters, read from its media driver's CnC file.
 */
@Command(
    name = "counters",
    aliases = "stat",
    mixinStandardHelpOptions = true,
    description = { "Print a running broker's counters (sends received, stored, refused, answers held back or dropped, " +
        "flushes and the time spent in them, statuses, replication: slaves in sync, lag, ...) as '<value> <label>', " +
        "read from its media driver without disturbing it.",
        "With --all also the media driver's own counters (bytes, NAKs, errors, back-pressure, per stream positions)." })
final class CountersCommand implements Callable<Integer>
{
    @Option(names = "--aeron-dir", paramLabel = "DIR", description = "the broker's aeronDir (default: ${DEFAULT-VALUE})")
    String aeronDir = new BrokerContext().aeronDir();

    @Option(names = "--all", description = "also the media driver's counters")
    boolean all;

    public Integer call()
    {
        final PrintStream out = System.out;
        final int[] printed = { 0 };
        DriverCounters.forEach(aeronDir, (value, id, label) ->
        {
            if (all || label.startsWith("peregrine:"))
            {
                out.println(value + " " + label);
                printed[0]++;
            }
        });
        if (printed[0] == 0)
        {
            throw new IllegalStateException("no Peregrine counters at " + aeronDir + ": the media driver there runs no broker");
        }
        return 0;
    }
}
