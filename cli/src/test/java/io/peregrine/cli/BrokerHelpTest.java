package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import io.peregrine.broker.BrokerContext;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code peregrine broker --help} lists every setting the broker takes, with its default: the list comes from the
 * broker's own table, so a new setting cannot be left out of the help.
 */
class BrokerHelpTest
{
    @Test
    void shouldListEverySettingWithItsDefault()
    {
        final StringWriter out = new StringWriter();
        final CommandLine commandLine = Peregrine.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        assertEquals(0, commandLine.execute("broker", "--help"));
        final String help = out.toString();
        for (final Map.Entry<String, String> setting : BrokerContext.defaults().entrySet())
        {
            assertTrue(help.contains("  " + setting.getKey() + " = " + setting.getValue() + System.lineSeparator()), setting + " in:\n" + help);
        }
    }
}
