package io.peregrine.jmh.report;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Properties;

/**
 * What the benchmarks ran on: CPU, cores, memory, kernel, OS and JDK, read from {@code /proc} and the
 * running JVM, kept beside the results as {@value #FILE_NAME}.
 */
public final class Machine
{
    /**
     * Name of the file that holds the description in a results directory.
     */
    public static final String FILE_NAME = "machine.properties";

    private final Properties properties;

    private Machine(final Properties properties)
    {
        this.properties = properties;
    }

    /**
     * @return the machine this JVM runs on.
     */
    public static Machine describe()
    {
        final Properties p = new Properties();
        p.setProperty("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name", "unknown"));
        p.setProperty("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        final String memKb = firstValue(Path.of("/proc/meminfo"), "MemTotal", "0 kB").replace("kB", "").trim();
        p.setProperty("memory", String.format("%.1f GiB", Long.parseLong(memKb) / (1024.0 * 1024.0)));
        p.setProperty("kernel", readOr(Path.of("/proc/sys/kernel/osrelease"), "unknown"));
        p.setProperty("os", osName());
        p.setProperty("jdk", Runtime.version() + " (" + ManagementFactory.getRuntimeMXBean().getVmName() + ")");
        return new Machine(p);
    }

    /**
     * Read a saved description.
     *
     * @param dir results directory.
     * @return the description, or one saying the machine is unknown if the file is missing.
     */
    public static Machine read(final Path dir)
    {
        final Properties p = new Properties();
        final Path file = dir.resolve(FILE_NAME);
        if (Files.isRegularFile(file))
        {
            try
            {
                p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return new Machine(p);
    }

    /**
     * @param suite the suite that ran, kept with the description.
     * @return the description as properties text.
     */
    public String toProperties(final String suite)
    {
        final Properties p = new Properties();
        p.putAll(properties);
        p.setProperty("suite", suite);
        p.setProperty("date", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        final StringWriter writer = new StringWriter();
        try
        {
            p.store(writer, "machine the benchmarks ran on");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return writer.toString();
    }

    /**
     * @param key such as {@code cpu}, {@code cores}, {@code memory}, {@code kernel}, {@code os}, {@code jdk},
     *            {@code suite}, {@code date}.
     * @return the value, or "unknown".
     */
    public String get(final String key)
    {
        return properties.getProperty(key, "unknown");
    }

    /**
     * @return true if the description was measured or read from a file, false if nothing was recorded.
     */
    public boolean isKnown()
    {
        return !properties.isEmpty();
    }

    /**
     * @return one line: cores, CPU, memory, kernel, OS.
     */
    public String summary()
    {
        return get("cores") + " cores (" + get("cpu") + "), " + get("memory") + ", Linux " + get("kernel") + ", " + get("os");
    }

    private static String osName()
    {
        final Path release = Path.of("/etc/os-release");
        final String pretty = firstValue(release, "PRETTY_NAME", "");
        return pretty.isEmpty() ? "unknown" : pretty.replace("\"", "");
    }

    private static String firstValue(final Path file, final String key, final String fallback)
    {
        final String text = readOr(file, "");
        for (final String line : text.split("\n"))
        {
            final int separator = line.indexOf(line.contains(":") && !line.contains("=") ? ':' : '=');
            if (separator > 0 && line.substring(0, separator).trim().equals(key))
            {
                return line.substring(separator + 1).trim();
            }
        }
        return fallback;
    }

    private static String readOr(final Path file, final String fallback)
    {
        try
        {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        catch (final IOException ex)
        {
            return fallback;
        }
    }
}
