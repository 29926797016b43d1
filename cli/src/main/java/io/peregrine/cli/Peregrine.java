package io.peregrine.cli;

import io.peregrine.journal.Journal;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/peregrine}.
 */
@Command(
    name = "peregrine",
    mixinStandardHelpOptions = true,
    version = "peregrine 0.1.0",
    description = "Low-latency message broker and producer on Aeron and Chronicle Queue.",
    subcommands = { BrokerCommand.class, PerfCommand.class, DemoCommand.class, CommandLine.HelpCommand.class })
public final class Peregrine
{
    private Peregrine()
    {
    }

    /**
     * Run a command.
     *
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        Journal.disableAnalytics();
        System.exit(new CommandLine(Peregrine.class).execute(args));
    }
}
