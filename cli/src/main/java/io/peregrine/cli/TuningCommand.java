package io.peregrine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.peregrine.tuning.Finding;
import io.peregrine.tuning.HostCheck;
import io.peregrine.tuning.JvmProfiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code peregrine tuning check|profile}: how this host's kernel settings fit Peregrine, and JVM option profiles.
 */
@Command(
    name = "tuning",
    mixinStandardHelpOptions = true,
    description = "Check this host's kernel settings for Peregrine, print JVM option profiles; the guide is tuning/README.md.",
    subcommands = { TuningCommand.Check.class, TuningCommand.Profile.class })
final class TuningCommand
{
    private TuningCommand()
    {
    }

    /**
     * The host check.
     */
    @Command(name = "check", mixinStandardHelpOptions = true, description = {
        "Read the kernel settings that matter to a broker or producer (socket buffer limits, transparent huge pages,",
        "swappiness, /dev/shm, CPUs, governor, clocksource, NUMA balancing, open files, map count) and print",
        "'<verdict> <setting> = <value>: <advice>' for each. Verdicts: OK, ADVISE (would improve latency),",
        "WARN (something is capped or fails), ABSENT (not exposed here). Changes nothing.",
        "Exit 0 if nothing is WARN, else 1." })
    static final class Check implements Callable<Integer>
    {
        @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "read another root's /proc and /sys")
        Path root = Path.of("/");

        public Integer call()
        {
            final PrintStream out = System.out;
            final List<Finding> findings = new HostCheck(root, Runtime.getRuntime().availableProcessors()).run();
            final Map<Finding.Verdict, Integer> counts = new EnumMap<>(Finding.Verdict.class);
            for (final Finding finding : findings)
            {
                out.println(finding);
                counts.merge(finding.verdict(), 1, Integer::sum);
            }
            out.println(counts.getOrDefault(Finding.Verdict.OK, 0) + " ok, " + counts.getOrDefault(Finding.Verdict.ADVISE, 0) +
                " advise, " + counts.getOrDefault(Finding.Verdict.WARN, 0) + " warn, " + counts.getOrDefault(Finding.Verdict.ABSENT, 0) +
                " absent");
            return counts.containsKey(Finding.Verdict.WARN) ? 1 : 0;
        }
    }

    /**
     * A JVM option profile.
     */
    @Command(name = "profile", mixinStandardHelpOptions = true, description = {
        "Print a JVM option profile on one line, for PEREGRINE_JVM_OPTS:",
        "  PEREGRINE_JVM_OPTS=\"$(bin/peregrine tuning profile latency)\" bin/peregrine broker",
        "--explain prints each option with the reason for it." })
    static final class Profile implements Callable<Integer>
    {
        @Parameters(paramLabel = "NAME", arity = "0..1", description = "small or latency; none lists the profiles")
        String name;

        @Option(names = "--explain", description = "one option a line, with the comment that explains it")
        boolean explain;

        public Integer call()
        {
            final PrintStream out = System.out;
            if (null == name)
            {
                JvmProfiles.NAMES.forEach(out::println);
            }
            else if (explain)
            {
                JvmProfiles.explained(name).forEach(out::println);
            }
            else
            {
                out.println(String.join(" ", JvmProfiles.options(name)));
            }
            return 0;
        }
    }
}
