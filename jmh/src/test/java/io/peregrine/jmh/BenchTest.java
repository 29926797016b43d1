package io.peregrine.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.options.CommandLineOptions;

class BenchTest
{
    @Test
    void shouldPassTheUsersOptionsToEveryGroupButNotTheirIncludePatterns() throws Exception
    {
        // tried: an include pattern between options, one equal to an option's value, and one at the end
        final List<String> args = List.of("SyncFlush", "-p", "size=1024", "-prof", "gc", "-i", "3", "gc", "Async");
        final CommandLineOptions parsed = new CommandLineOptions(args.toArray(new String[0]));
        assertEquals(List.of("SyncFlush", "gc", "Async"), parsed.getIncludes());

        final List<String> kept = Bench.withoutIncludes(args, parsed.getIncludes());
        assertEquals(List.of("-p", "size=1024", "-prof", "gc", "-i", "3"), kept);
        final CommandLineOptions settings = new CommandLineOptions(kept.toArray(new String[0]));
        assertEquals(List.of(), settings.getIncludes());
        assertEquals(3, settings.getMeasurementIterations().get());
    }
}
