package io.peregrine.cli;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peregrine broker}: run a broker in this JVM until SIGTERM or SIGINT.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
        "Run the broker until SIGTERM or SIGINT. Prints one line starting with READY once it accepts sends.",
        "Settings: defaults, then --config FILE, then each --set KEY=VALUE; the keys, their defaults and what they " +
            "mean are listed below (README.md says more)." })
final class BrokerCommand implements Callable<Integer>
{
    /**
     * The help's footer: every setting the broker takes, with its default and what it means.
     */
    static String[] settingsHelp()
    {
        final List<String> lines = new ArrayList<>();
        lines.add("%nSettings (KEY = default):");
        final Map<String, String> descriptions = BrokerContext.descriptions();
        BrokerContext.defaults().forEach((key, value) ->
        {
            lines.add("  " + key + " = " + value);
            lines.add("      " + descriptions.get(key));
        });
        return lines.toArray(new String[0]);
    }

    @Option(names = "--config", paramLabel = "FILE", description = "properties file with broker settings")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "one setting; repeatable; wins over --config")
    List<String> settings = new ArrayList<>();

    public Integer call()
    {
        final PrintStream out = System.out;
        final BrokerContext ctx = new BrokerContext();
        try
        {
            if (null != config)
            {
                ctx.load(config);
            }
            for (final String setting : settings)
            {
                ctx.set(setting);
            }
            ctx.conclude();
        }
        catch (final IllegalArgumentException | UncheckedIOException ex)
        {
            System.err.println("peregrine broker: invalid configuration: " + ex.getMessage());
            return 2;
        }

        ctx.readyListener((line) ->
        {
            out.println(line);
            out.flush();
        });
        final TerminationSignal termination = new TerminationSignal();
        try (Broker broker = Broker.launch(ctx))
        {
            termination.await();
            System.err.println("peregrine broker: shutting down, " + broker.sendsStored() + " sends stored since start");
        }
        catch (final RuntimeException ex)
        {
            System.err.println("peregrine broker: " + ex.getMessage());
            return 1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return 1;
        }
        return 0;
    }
}
