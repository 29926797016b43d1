package io.peregrine.tuning;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.peregrine.tuning.Finding.Verdict;

/**
 * Reads the kernel settings that matter to a Peregrine broker or producer on Linux and says how each fits. It only
 * reads ({@code /proc/sys}, {@code /sys}, {@code /proc/self/limits}, the Aeron directory's file system) and changes
 * nothing; the root is a parameter so tests can hand it a made-up host.
 */
public final class HostCheck
{
    /**
     * Receive buffer the broker asks for on its UDP endpoint (the windows of all producer streams share it; the
     * transport module's {@code Channels.REQUEST_SOCKET_RCVBUF}), also the largest response window a producer asks
     * for. The kernel caps a request at {@code net.core.rmem_max} without an error.
     */
    public static final long RECEIVE_BUFFER_BYTES = 4L * 1024 * 1024;

    /**
     * Send buffer the embedded drivers ask for; capped at {@code net.core.wmem_max}.
     */
    public static final long SEND_BUFFER_BYTES = 2L * 1024 * 1024;

    /**
     * Free space under which the Aeron directory's file system cannot hold a broker's log buffers: a UDP
     * publication maps three 16 MiB terms, an IPC one three 64 MiB terms.
     */
    public static final long SHM_FREE_WARN_BYTES = 256L * 1024 * 1024;

    /**
     * Free space under which a few producers and their IPC streams would fill the Aeron directory's file system.
     */
    public static final long SHM_FREE_ADVISE_BYTES = 1024L * 1024 * 1024;

    /**
     * Open files a broker may need: journal cycle files, Aeron log buffers and sockets, one response stream per producer.
     */
    public static final long MIN_OPEN_FILES = 4096;

    /**
     * Chronicle maps its journal in blocks and Aeron maps every log buffer; the kernel default of 65530 is enough.
     */
    public static final long MIN_MAP_COUNT = 65530;

    private final Path root;
    private final int processors;

    /**
     * @param root       the file system root to read from: {@code /} for this host.
     * @param processors CPUs the JVM may use.
     */
    public HostCheck(final Path root, final int processors)
    {
        this.root = root;
        this.processors = processors;
    }

    /**
     * @return the check of this host.
     */
    public static HostCheck ofThisHost()
    {
        return new HostCheck(Path.of("/"), Runtime.getRuntime().availableProcessors());
    }

    /**
     * Run every check.
     *
     * @return one finding per setting, in a fixed order.
     */
    public List<Finding> run()
    {
        final List<Finding> findings = new ArrayList<>();
        findings.add(socketBuffer("net.core.rmem_max", RECEIVE_BUFFER_BYTES, "receive buffer (the broker's UDP endpoint, response windows)"));
        findings.add(socketBuffer("net.core.wmem_max", SEND_BUFFER_BYTES, "send buffer"));
        findings.add(transparentHugePages());
        findings.add(swappiness());
        findings.add(sharedMemory());
        findings.add(cpus());
        findings.add(governor());
        findings.add(clocksource());
        findings.add(numaBalancing());
        findings.add(openFiles());
        findings.add(mapCount());
        findings.add(freePageReporting());
        return findings;
    }

    private Finding socketBuffer(final String key, final long wanted, final String what)
    {
        return numeric(key, (bytes) -> bytes >= wanted, Verdict.WARN,
            "at least the " + wanted + " bytes Peregrine asks for as " + what,
            "the kernel silently caps Peregrine's " + what + " of " + wanted +
            " bytes at this: UDP loses and retransmits under bursts and large messages; sysctl -w " + key + "=" + wanted);
    }

    private Finding transparentHugePages()
    {
        return text("transparent_hugepage/enabled", "sys/kernel/mm/transparent_hugepage/enabled", (value) -> !"always".equals(value),
            Verdict.ADVISE, "huge pages only where a program asks for them",
            "khugepaged compacts memory behind the process's back and page faults may allocate 2 MiB at once: latency outliers; " +
            "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
    }

    private Finding swappiness()
    {
        return numeric("vm.swappiness", (value) -> value <= 10, Verdict.ADVISE, "anonymous memory stays in RAM",
            "the kernel may swap out the heap or the producer's rings while page cache grows under the journal; a send " +
            "that touches a swapped page waits for the disk; sysctl -w vm.swappiness=1");
    }

    private Finding sharedMemory()
    {
        final String key = "/dev/shm free";
        final Path shm = root.resolve("dev/shm");
        if (!Files.isDirectory(shm))
        {
            return new Finding(key, "absent", Verdict.WARN, "Aeron keeps its CnC file and log buffers under /dev/shm on Linux; without it " +
                "they go to the temp directory on disk: set aeronDir to a tmpfs");
        }
        final long free;
        try
        {
            free = Files.getFileStore(shm).getUsableSpace();
        }
        catch (final IOException ex)
        {
            return new Finding(key, "unreadable", Verdict.WARN, "cannot read the free space of " + shm + ": " + ex.getMessage());
        }
        final String observed = (free >> 20) + " MiB";
        if (free < SHM_FREE_WARN_BYTES)
        {
            return new Finding(key, observed, Verdict.WARN, "too little for a broker's log buffers (a UDP stream maps 48 MiB, an IPC " +
                "stream 192 MiB): look for aeron-* directories of processes that are gone, or grow the tmpfs");
        }
        return free < SHM_FREE_ADVISE_BYTES ?
            new Finding(key, observed, Verdict.ADVISE, "enough for a broker, tight for several IPC producers (192 MiB each)") :
            new Finding(key, observed, Verdict.OK, "room for the broker's and producers' log buffers");
    }

    private Finding cpus()
    {
        final String key = "cpus";
        final String observed = Integer.toString(processors);
        return processors < 4 ?
            new Finding(key, observed, Verdict.OK, "keep idleStrategy=backoff (the default): on fewer cores than spinning threads, " +
                "busy-spin made UDP p50 2.2 ms here instead of tens of µs; isolating cores needs at least 4") :
            new Finding(key, observed, Verdict.OK, "enough to give the broker's pipeline thread a core (isolcpus, taskset) and try " +
                "idleStrategy=yielding or busy-spin there; measure with bin/peregrine bench");
    }

    private Finding governor()
    {
        return text("cpu0 scaling_governor", "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance"::equals,
            Verdict.ADVISE, "cores stay at full clock",
            "an idle core clocks down and the first microseconds after a wake-up run slow: cpupower frequency-set -g performance " +
            "on a latency host");
    }

    private Finding clocksource()
    {
        return text("clocksource", "sys/devices/system/clocksource/clocksource0/current_clocksource",
            (value) -> !"hpet".equals(value) && !"acpi_pm".equals(value), Verdict.WARN, "reading the clock stays in user space",
            "System.nanoTime becomes a slow system call (µs, not ns) and every send reads the clock: use tsc where the CPU has a " +
            "stable one (clocksource=tsc on the kernel command line)");
    }

    private Finding numaBalancing()
    {
        final String key = "kernel.numa_balancing";
        final String value = sysctl(key);
        if (null == value)
        {
            return absent(key);
        }
        final boolean severalNodes = Files.isDirectory(root.resolve("sys/devices/system/node/node1"));
        return "0".equals(value) || !severalNodes ?
            new Finding(key, value, Verdict.OK, severalNodes ? "pages stay where they were placed" : "one NUMA node: nothing to move") :
            new Finding(key, value, Verdict.ADVISE, "the kernel unmaps pages to see who uses them and moves them between nodes: " +
                "latency outliers; sysctl -w kernel.numa_balancing=0 and pin the broker to one node (numactl)");
    }

    private Finding openFiles()
    {
        final String key = "open files (soft limit)";
        final String limits = read("proc/self/limits");
        if (null == limits)
        {
            return absent(key);
        }
        for (final String line : limits.split("\n"))
        {
            if (line.startsWith("Max open files"))
            {
                final String soft = line.substring("Max open files".length()).strip().split("\\s+")[0];
                if (!"unlimited".equals(soft) && number(soft) < 0)
                {
                    return unreadable(key, soft);
                }
                final boolean enough = "unlimited".equals(soft) || number(soft) >= MIN_OPEN_FILES;
                return enough ?
                    new Finding(key, soft, Verdict.OK, "room for journal files, log buffers and one response stream per producer") :
                    new Finding(key, soft, Verdict.WARN, "a broker with many producers runs out of descriptors: ulimit -n 65536 " +
                        "(LimitNOFILE= in a systemd unit)");
            }
        }
        return absent(key);
    }

    private Finding mapCount()
    {
        return numeric("vm.max_map_count", (value) -> value >= MIN_MAP_COUNT, Verdict.WARN,
            "enough mappings for the journal's blocks and the log buffers",
            "Chronicle maps the journal in blocks and Aeron maps every log buffer: mmap fails past this; sysctl -w vm.max_map_count=" +
            MIN_MAP_COUNT);
    }

    /**
     * Free page reporting: a virtio-balloon device offering it (feature bit 5, VIRTIO_BALLOON_F_REPORTING, in the
     * device's {@code features}), and, where the kernel counts it, how much has been given back so far.
     */
    private Finding freePageReporting()
    {
        final String key = "free page reporting";
        final String reported = read("sys/module/page_reporting/parameters/reported_kib");
        final Path balloons = root.resolve("sys/bus/virtio/drivers/virtio_balloon");
        boolean offered = false;
        boolean balloon = false;
        if (Files.isDirectory(balloons))
        {
            try (Stream<Path> entries = Files.list(balloons))
            {
                for (final Path device : entries.filter((path) -> path.getFileName().toString().startsWith("virtio")).toList())
                {
                    final String features = read(root.relativize(device.resolve("features")).toString());
                    balloon |= null != features;
                    offered |= null != features && features.length() > 5 && features.charAt(5) == '1';
                }
            }
            catch (final IOException ex)
            {
                return new Finding(key, "unreadable", Verdict.ABSENT, "cannot list " + balloons + ": " + ex.getMessage());
            }
        }
        final long reportedKib = null == reported ? -1 : number(reported);
        if (!balloon && reportedKib < 0)
        {
            return absent(key);
        }
        if (!offered && reportedKib <= 0)
        {
            return new Finding(key, "off", Verdict.OK, "free memory stays with this machine");
        }
        final String observed = "on" + (reportedKib > 0 ? ", " + reportedKib + " KiB given back" : "");
        return new Finding(key, observed, Verdict.ADVISE, "this virtual machine gives free memory back to its host (virtio-balloon " +
            "free page reporting), so the first touch of a page freed a while ago faults in the host: 8-9 µs per 4 KiB page on the " +
            "project's test VM, paid for every new journal page. Keep the broker's pageCacheWindow on (the default) so the journal " +
            "reuses pages it has just released; on a host given to the broker, ask for the balloon without free page reporting");
    }

    /**
     * A setting read as text (the selected choice where the file lists several, as {@code [madvise]}): OK when the
     * test holds, else the given verdict with the advice to fix it.
     */
    private Finding text(
        final String key, final String path, final Predicate<String> fine, final Verdict otherwise, final String okAdvice, final String fixAdvice)
    {
        final String value = read(path);
        if (null == value)
        {
            return absent(key);
        }
        final String selected = selected(value);
        return fine.test(selected) ? new Finding(key, selected, Verdict.OK, okAdvice) : new Finding(key, selected, otherwise, fixAdvice);
    }

    /**
     * A numeric sysctl: OK when the test holds, else the given verdict with the advice to fix it.
     */
    private Finding numeric(
        final String key, final LongPredicate fine, final Verdict otherwise, final String okAdvice, final String fixAdvice)
    {
        final String value = sysctl(key);
        if (null == value)
        {
            return absent(key);
        }
        final long number = number(value);
        if (number < 0)
        {
            return unreadable(key, value);
        }
        return fine.test(number) ? new Finding(key, value, Verdict.OK, okAdvice) : new Finding(key, value, otherwise, fixAdvice);
    }

    private String sysctl(final String key)
    {
        return read("proc/sys/" + key.replace('.', '/'));
    }

    private String read(final String path)
    {
        final Path file = root.resolve(path);
        if (!Files.isReadable(file))
        {
            return null;
        }
        // a stream, not Files.readString: /proc reports a size of 0 and readString returned only the first byte of it
        try (InputStream in = Files.newInputStream(file))
        {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static String selected(final String choices)
    {
        final int open = choices.indexOf('[');
        final int close = choices.indexOf(']');
        return open >= 0 && close > open ? choices.substring(open + 1, close) : choices;
    }

    /**
     * @return the value as a non-negative number, or -1 if it is not one.
     */
    private static long number(final String value)
    {
        try
        {
            return Math.max(-1, Long.parseLong(value));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    private static Finding unreadable(final String key, final String value)
    {
        return new Finding(key, value, Verdict.ABSENT, "not a number this check can read");
    }

    private static Finding absent(final String key)
    {
        return new Finding(key, "absent", Verdict.ABSENT, "not exposed on this host");
    }
}
