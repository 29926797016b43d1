package io.peregrine.tuning;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * JVM option profiles for the broker (and an application embedding the producer), each a resource file with one
 * option per line and a comment saying why. They add to the options {@code bin/peregrine} always passes (module
 * exports and opens, analytics off); pass them through {@code PEREGRINE_JVM_OPTS}.
 */
public final class JvmProfiles
{
    /**
     * The profiles, in the order {@code tuning profile --list} prints them.
     */
    public static final List<String> NAMES = List.of("small", "latency");

    private JvmProfiles()
    {
    }

    /**
     * The options of a profile.
     *
     * @param name one of {@link #NAMES}.
     * @return its options, in order.
     * @throws IllegalArgumentException if there is no such profile.
     */
    public static List<String> options(final String name)
    {
        return lines(name, false);
    }

    /**
     * A profile's file as written: each option with the comment that explains it.
     *
     * @param name one of {@link #NAMES}.
     * @return its lines.
     * @throws IllegalArgumentException if there is no such profile.
     */
    public static List<String> explained(final String name)
    {
        return lines(name, true);
    }

    private static List<String> lines(final String name, final boolean withComments)
    {
        if (!NAMES.contains(name))
        {
            throw new IllegalArgumentException("no JVM profile '" + name + "'; profiles: " + String.join(", ", NAMES));
        }
        try (InputStream in = JvmProfiles.class.getResourceAsStream(name + ".options"))
        {
            if (null == in)
            {
                throw new IllegalStateException("profile " + name + " is missing from the jar");
            }
            final List<String> lines = new ArrayList<>();
            for (final String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
            {
                final String option = line.strip();
                if (withComments ? !option.isEmpty() : !option.isEmpty() && !option.startsWith("#"))
                {
                    lines.add(option);
                }
            }
            return lines;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
