package io.peregrine.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.peregrine.tuning.Finding.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host check on made-up hosts: one set the way that hurts Peregrine, one set right, one that exposes nothing
 * and one with values that are not numbers.
 */
class HostCheckTest
{
    @TempDir
    Path root;

    @Test
    void shouldWarnAndAdviseOnAHostSetTheWayThatHurts() throws IOException
    {
        write("proc/sys/net/core/rmem_max", "212992");
        write("proc/sys/net/core/wmem_max", "212992");
        write("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never");
        write("proc/sys/vm/swappiness", "60");
        write("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave");
        write("sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet");
        write("proc/sys/kernel/numa_balancing", "1");
        Files.createDirectories(root.resolve("sys/devices/system/node/node0"));
        Files.createDirectories(root.resolve("sys/devices/system/node/node1"));
        write("proc/self/limits", "Limit                     Soft Limit           Hard Limit           Units\n" +
            "Max open files            1024                 4096                 files\n");
        write("proc/sys/vm/max_map_count", "1000");
        write("sys/bus/virtio/drivers/virtio_balloon/virtio0/features", "0110010100000000000000000000000010");

        final Map<String, Finding> findings = byKey(new HostCheck(root, 2).run());
        assertEquals(Verdict.WARN, findings.get("net.core.rmem_max").verdict());
        assertTrue(findings.get("net.core.rmem_max").advice().contains("sysctl -w net.core.rmem_max=4194304"));
        assertTrue(findings.get("net.core.wmem_max").advice().contains("sysctl -w net.core.wmem_max=2097152"));
        assertEquals(Verdict.WARN, findings.get("net.core.wmem_max").verdict());
        assertEquals(Verdict.ADVISE, findings.get("transparent_hugepage/enabled").verdict());
        assertEquals("always", findings.get("transparent_hugepage/enabled").observed());
        assertEquals(Verdict.ADVISE, findings.get("vm.swappiness").verdict());
        assertEquals(Verdict.WARN, findings.get("/dev/shm free").verdict(), "no /dev/shm");
        assertEquals(Verdict.OK, findings.get("cpus").verdict());
        assertTrue(findings.get("cpus").advice().contains("backoff"), "two cores: keep the backing-off idle strategy");
        assertEquals(Verdict.ADVISE, findings.get("cpu0 scaling_governor").verdict());
        assertEquals(Verdict.WARN, findings.get("clocksource").verdict());
        assertEquals(Verdict.ADVISE, findings.get("kernel.numa_balancing").verdict(), "two nodes, balancing on");
        assertEquals(Verdict.WARN, findings.get("open files (soft limit)").verdict());
        assertEquals("1024", findings.get("open files (soft limit)").observed());
        assertEquals(Verdict.WARN, findings.get("vm.max_map_count").verdict());
        assertEquals(Verdict.ADVISE, findings.get("free page reporting").verdict(), "the balloon offers it (feature bit 5)");
        assertEquals("on", findings.get("free page reporting").observed());
        assertTrue(findings.get("free page reporting").advice().contains("pageCacheWindow"));
    }

    @Test
    void shouldPassAHostSetRight() throws IOException
    {
        write("proc/sys/net/core/rmem_max", "4194304");
        write("proc/sys/net/core/wmem_max", "2097152");
        write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never");
        write("proc/sys/vm/swappiness", "1");
        Files.createDirectories(root.resolve("dev/shm"));
        write("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance");
        write("sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc");
        write("proc/sys/kernel/numa_balancing", "1"); // one node: nothing to balance
        Files.createDirectories(root.resolve("sys/devices/system/node/node0"));
        write("proc/self/limits", "Max open files            unlimited            unlimited            files\n");
        write("proc/sys/vm/max_map_count", "262144");
        write("sys/module/page_reporting/parameters/reported_kib", "0");
        write("sys/bus/virtio/drivers/virtio_balloon/virtio0/features", "0110000000000000000000000000000010"); // no bit 5

        final List<Finding> findings = new HostCheck(root, 8).run();
        for (final Finding finding : findings)
        {
            if (!finding.key().equals("/dev/shm free")) // the free space of the test's own file system
            {
                assertEquals(Verdict.OK, finding.verdict(), finding.toString());
            }
        }
        final Finding shm = byKey(findings).get("/dev/shm free");
        assertNotEquals(Verdict.ABSENT, shm.verdict());
        assertTrue(shm.observed().endsWith(" MiB"), shm.toString());
        assertTrue(byKey(findings).get("cpus").advice().contains("isolcpus"), "eight cores: a core of its own is possible");
    }

    @Test
    void shouldSayWhatTheHostDoesNotExposeOrCannotBeRead() throws IOException
    {
        final Map<String, Finding> empty = byKey(new HostCheck(root, 2).run());
        assertEquals(12, empty.size(), "every check answers");
        for (final Finding finding : empty.values())
        {
            if (!finding.key().equals("/dev/shm free") && !finding.key().equals("cpus"))
            {
                assertEquals(Verdict.ABSENT, finding.verdict(), finding.toString());
            }
        }
        write("proc/sys/net/core/rmem_max", "lots");
        write("proc/self/limits", "Max open files            many                 many                 files\n");
        final Map<String, Finding> garbled = byKey(new HostCheck(root, 2).run());
        assertEquals(Verdict.ABSENT, garbled.get("net.core.rmem_max").verdict());
        assertEquals("lots", garbled.get("net.core.rmem_max").observed());
        assertEquals(Verdict.ABSENT, garbled.get("open files (soft limit)").verdict());
    }

    @Test
    void shouldSayFreePageReportingIsOnFromWhatTheKernelGaveBack() throws IOException
    {
        // what is tried: no balloon device listed, but the kernel's count of memory given back (this project's VM)
        write("sys/module/page_reporting/parameters/reported_kib", "563920752");
        final Finding reporting = byKey(new HostCheck(root, 2).run()).get("free page reporting");
        assertEquals(Verdict.ADVISE, reporting.verdict());
        assertEquals("on, 563920752 KiB given back", reporting.observed());
    }

    private void write(final String path, final String content) throws IOException
    {
        final Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content + "\n");
    }

    private static Map<String, Finding> byKey(final List<Finding> findings)
    {
        final Map<String, Finding> byKey = new LinkedHashMap<>();
        for (final Finding finding : findings)
        {
            byKey.put(finding.key(), finding);
        }
        return byKey;
    }
}
