package io.peregrine.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every profile's options start this JDK, and every option has a comment saying why.
 */
@Timeout(120)
class JvmProfilesTest
{
    @Test
    void shouldStartAJvmWithEveryProfile() throws Exception
    {
        for (final String name : JvmProfiles.NAMES)
        {
            final List<String> options = JvmProfiles.options(name);
            assertTrue(options.stream().allMatch((option) -> option.startsWith("-")), name + ": " + options);
            final List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(options);
            command.add("-version");
            final Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(java.waitFor(60, TimeUnit.SECONDS), name);
            assertEquals(0, java.exitValue(), name + " " + options + ":\n" + output);
        }
    }

    @Test
    void shouldExplainEveryOption()
    {
        for (final String name : JvmProfiles.NAMES)
        {
            boolean commented = false;
            for (final String line : JvmProfiles.explained(name))
            {
                assertTrue(commented || line.startsWith("#"), name + ": " + line + " has no comment before it");
                commented = line.startsWith("#") || commented && line.startsWith("-");
            }
        }
    }

    @Test
    void shouldNameTheProfilesWhenAskedForOneThatDoesNotExist()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> JvmProfiles.options("fast"));
        assertEquals("no JVM profile 'fast'; profiles: small, latency", ex.getMessage());
    }
}
