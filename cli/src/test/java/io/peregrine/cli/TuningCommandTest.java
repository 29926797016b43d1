package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.peregrine.transport.Channels;
import io.peregrine.tuning.HostCheck;
import io.peregrine.tuning.JvmProfiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tuning check on this host and on a made-up one, tuning profile with a name, without, and with one that does not
 * exist.
 */
class TuningCommandTest
{
    @TempDir
    Path root;

    /**
     * Runs {@code peregrine tuning ...} in this JVM; returns [exit code, stdout, error].
     */
    private static String[] tuning(final String subcommand, final String... args)
    {
        final String[] all = new String[args.length + 2];
        all[0] = "tuning";
        all[1] = subcommand;
        System.arraycopy(args, 0, all, 2, args.length);
        return InProcess.peregrine(all);
    }

    @Test
    void shouldCheckThisHostAndReadWholeValuesFromProc() throws IOException
    {
        final String[] check = tuning("check");
        final List<String> lines = List.of(check[1].strip().split("\n"));
        assertEquals(13, lines.size(), check[1]);
        assertEquals(lines.stream().anyMatch((line) -> line.startsWith("WARN ")) ? "1" : "0", check[0], "exit 1 exactly when a WARN");
        assertTrue(lines.get(12).matches("\\d+ ok, \\d+ advise, \\d+ warn, \\d+ absent"), lines.get(12));
        final Path rmemMax = Path.of("/proc/sys/net/core/rmem_max");
        if (Files.isReadable(rmemMax))
        {
            // /proc reports a size of 0: a reader that trusts it gets one byte (seen: "4" for 4194304)
            try (BufferedReader reader = Files.newBufferedReader(rmemMax))
            {
                final String value = reader.readLine().strip();
                assertTrue(lines.get(0).contains("net.core.rmem_max = " + value + ":"), lines.get(0) + " vs " + value);
            }
        }
    }

    @Test
    void shouldCheckForTheSocketBuffersTheTransportAsksFor()
    {
        // the tuning module depends on nothing; the number it checks must follow the transport's
        assertEquals(Channels.REQUEST_SOCKET_RCVBUF, HostCheck.RECEIVE_BUFFER_BYTES);
        assertEquals(Channels.MAX_RESPONSE_WINDOW, HostCheck.RECEIVE_BUFFER_BYTES);
        assertEquals(Channels.UDP_WINDOW, HostCheck.SEND_BUFFER_BYTES);
    }

    @Test
    void shouldExitOneOnAHostWithSomethingToFix() throws IOException
    {
        Files.createDirectories(root.resolve("proc/sys/vm"));
        Files.writeString(root.resolve("proc/sys/vm/max_map_count"), "1000\n");
        final String[] check = tuning("check", "--root", root.toString());
        assertEquals("1", check[0], check[1]);
        assertTrue(check[1].contains("WARN   vm.max_map_count = 1000: "), check[1]);
    }

    @Test
    void shouldPrintProfilesOnOneLineExplainedOrListed()
    {
        assertEquals(String.join(" ", JvmProfiles.options("latency")), tuning("profile", "latency")[1].strip());
        assertEquals(String.join("\n", JvmProfiles.NAMES), tuning("profile")[1].strip());
        assertTrue(tuning("profile", "small", "--explain")[1].startsWith("#"));
        final String[] unknown = tuning("profile", "fast");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("no JVM profile 'fast'; profiles: small, latency"), unknown[2]);
    }
}
