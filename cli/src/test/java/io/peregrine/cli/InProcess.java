package io.peregrine.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

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
