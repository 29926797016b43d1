package io.peregrine.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import picocli.CommandLine;

/**
 * Runs a {@code peregrine} command in this JVM with the launcher's error handling.
 */
final class InProcess
{
    private InProcess()
    {
    }

    /**
     * A broker in this JVM on a store, listening on loopback ports the system picks.
     *
     * @param store    its storePathRootDir.
     * @param aeronDir its media driver's directory.
     * @return the running broker.
     */
    static Broker broker(final Path store, final Path aeronDir)
    {
        return Broker.launch(new BrokerContext()
            .set(BrokerContext.STORE_PATH_ROOT_DIR, store.toString())
            .set(BrokerContext.AERON_DIR, aeronDir.toString())
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")
            .set(BrokerContext.HA_LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0"));
    }

    /**
     * @param args the command line, e.g. {@code journal verify DIR}.
     * @return [exit code, what the command printed to standard output, what it printed as its error].
     */
    static String[] peregrine(final String... args)
    {
        final CommandLine commandLine = Peregrine.commandLine();
        CommandLine command = commandLine;
        for (final String arg : args)
        {
            final CommandLine subcommand = command.getSubcommands().get(arg);
            if (null == subcommand)
            {
                break;
            }
            command = subcommand;
        }
        // picocli reports a command's failure on that command's own writer, not on System.err
        final StringWriter err = new StringWriter();
        command.setErr(new PrintWriter(err, true));
        final PrintStream out = System.out;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int exit;
        try
        {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            exit = commandLine.execute(args);
        }
        finally
        {
            System.setOut(out);
        }
        return new String[]{ Integer.toString(exit), bytes.toString(StandardCharsets.UTF_8), err.toString() };
    }
}
