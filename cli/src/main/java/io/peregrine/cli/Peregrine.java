package io.peregrine.cli;

import java.io.UncheckedIOException;

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
    footer = { "", "Benchmarks: bin/peregrine bench [quick|full|report] (JMH suites, tables and charts; bench --help)." },
    subcommands = {
        BrokerCommand.class, PerfCommand.class, TailCommand.class, DemoCommand.class, JournalCommand.class, CountersCommand.class,
        TuningCommand.class,
        CommandLine.HelpCommand.class })
public final class Peregrine
{
    private Peregrine()
    {
    }

    /**
     * The command line with Peregrine's error handling: an expected failure (bad argument, missing store)
     * prints one line naming the command and the cause and exits 2.
     *
     * @return the configured command line.
     */
    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(Peregrine.class);
        commandLine.getSubcommands().get("broker").getCommandSpec().usageMessage().footer(BrokerCommand.settingsHelp());
        return commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            cmd.getErr().println("peregrine " + cmd.getCommandName() + ": " + ex.getMessage());
            if (!(ex instanceof IllegalArgumentException || ex instanceof IllegalStateException || ex instanceof UncheckedIOException))
            {
                ex.printStackTrace(cmd.getErr()); // not an expected failure: show where it came from
            }
            return 2;
        });
    }

    /**
     * Run a command.
     *
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        Journal.disableAnalytics();
        System.exit(commandLine().execute(args));
    }
}
