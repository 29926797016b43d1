package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A power cut, as near as this machine allows. The store lives on an ext4 filesystem in a loop-mounted image
 * file. A producer process sends async with --acked-log; the broker process is frozen (SIGSTOP) and the image
 * file is copied at that moment. The copy holds what had reached the device and nothing of the broker's dirty
 * pages still in the page cache, as after a power cut at the freeze (kernel writeback of older dirty pages may
 * still land during the copy: it can only add data, and dirty pages younger than the kernel's expiry, 30 s by
 * default, stay out). The copy is then mounted (ext4 replays its journal), a broker started on it, and every
 * acknowledged message must be in the journal.
 *
 * <p>First a control run under ASYNC_FLUSH with a flush interval longer than the run: there acknowledged
 * messages must be missing from the copy, which shows the copy really drops what was not flushed. Then the
 * real run under SYNC_FLUSH: nothing acknowledged may be missing.
 *
 * <p>Device-mapper (dm-flakey, dm-log-writes) would cut at the block layer instead; this kernel has none. Needs
 * root, losetup and mkfs.ext4; skipped with the reason otherwise.
 */
@Timeout(600)
class PowerCutTest
{
    private static final long DIRTY_EXPIRY_NEEDED_CS = 1000;

    @TempDir
    Path dir;

    private final List<Path> mounts = new ArrayList<>();

    @Test
    @Tag("crash")
    void shouldKeepEveryAcknowledgedSyncFlushMessageWhenPowerIsCut() throws Exception
    {
        final Path image = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(1L << 30); // sparse: only what is written takes space
        }
        final String mkfs = run("mkfs.ext4", "-q", "-F", image.toString());
        Assumptions.assumeTrue(null == mkfs, "skipped: cannot make an ext4 image here: " + mkfs);
        final Path disk = mount(image, "disk");
        Assumptions.assumeTrue(null != disk, "skipped: cannot loop-mount an image here (needs root and loop devices)");
        try
        {
            // control: acknowledged on append, flushed only every 10 minutes: the cut must lose acknowledged messages
            final Outcome control = cutPowerWhileSending(image, disk, "async", "flushDiskType=ASYNC_FLUSH", "flushIntervalCommitLog=600000");
            final long expiryCs = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/dirty_expire_centisecs")).get(0).strip());
            if (expiryCs >= DIRTY_EXPIRY_NEEDED_CS)
            {
                assertTrue(control.check.missing().size() > 0, "an unflushed store must lose acknowledged messages in the " +
                    "copy, or the copy is not a power cut: " + control);
            }
            else
            {
                System.out.println("power-cut control not asserted: vm.dirty_expire_centisecs=" + expiryCs +
                    " writes dirty pages back within the run");
            }

            final Outcome sync = cutPowerWhileSending(image, disk, "sync", "flushDiskType=SYNC_FLUSH");
            assertNull(sync.refused, "SYNC_FLUSH: the broker must restart on the cut copy: " + sync);
            assertEquals(List.of(), sync.check.missing(), "SYNC_FLUSH: acknowledged messages missing after the cut: " + sync);
            assertEquals("0", sync.verify[0], "journal verify after the restart on the cut copy: " + sync.verify[1] + "; " + sync +
                "; the restart's warnings:\n" + sync.warnings);
            System.out.println("power-cut test: ASYNC_FLUSH control: " + control + "; SYNC_FLUSH kept all: " + sync);
        }
        finally
        {
            for (int i = mounts.size() - 1; i >= 0; i--)
            {
                run("umount", mounts.get(i).toString());
            }
        }
    }

    /**
     * @param fenced   torn tails the broker restarted on the copy fenced.
     * @param setAside cycle files without a header it set aside.
     * @param voided   records half on disk it voided.
     * @param refused  why it refused to open the journal, or null if it started.
     * @param warnings what it logged at WARN.
     */
    private record Outcome(AckedMessages.Check check, String[] verify, long fenced, long setAside, long voided, String refused,
        String warnings)
    {
        public String toString()
        {
            return check.acked() + " acked, " + check.records() + " records in the copy, missing " + check.missing().size() +
                (check.missing().isEmpty() ? "" : " (first: " + check.missing().get(0) + ")") +
                ", restart fenced " + fenced + " torn tail(s), set aside " + setAside + " unwritten cycle file(s), voided " + voided + " record(s)" +
                (null == refused ? "" : ", restart refused: " + refused);
        }
    }

    /**
     * Run a broker with its store on the image, send until a random number of acks, freeze the broker, copy the
     * image, then mount the copy, start and stop a broker on it (which fences a torn tail) and check the acks.
     */
    private Outcome cutPowerWhileSending(final Path image, final Path disk, final String name, final String... policy)
        throws Exception
    {
        final List<String> settings = new ArrayList<>(List.of(
            "storePathRootDir=" + disk.resolve(name),
            "aeronDir=" + dir.resolve("aeron-" + name),
            "maxMessageSize=65536",
            "diskSpaceFloor=16m",
            "haListenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "listenChannel=aeron:udp?endpoint=127.0.0.1:0")); // a free port, bound by the broker and named in READY
        settings.addAll(List.of(policy));
        final Path acked = dir.resolve("acked-" + name + ".log");
        final Path perfLog = dir.resolve("perf-" + name + ".log");
        final BrokerProcess broker = BrokerProcess.start(settings, dir.resolve("broker-" + name + ".log").toFile(), 60_000);
        final String listen = broker.readyField("listen");
        final Process perf = AckedMessages.startPerf(Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1)), acked,
            perfLog.toFile());
        final Path copy = dir.resolve("cut-" + name + ".img");
        try
        {
            final long target = 2000 + System.nanoTime() % 3000;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (AckedMessages.lines(acked) < target && perf.isAlive() && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // poll the other process's log, bounded above
            }
            assertTrue(AckedMessages.lines(acked) >= target, name + ": acks arrived; perf log:\n" + BrokerProcess.tail(perfLog.toFile()));

            // the cut: nothing the broker has not made durable by now may count, and it does nothing more
            assertEquals(null, run("kill", "-STOP", Long.toString(broker.process().pid())), "freeze the broker");
            assertEquals(null, run("cp", "--sparse=always", image.toString(), copy.toString()), "copy the image");
        }
        finally
        {
            broker.kill();
            perf.destroyForcibly();
            perf.waitFor(30, TimeUnit.SECONDS);
        }

        final Path restored = mount(copy, "cut-" + name);
        assertTrue(null != restored, "mount the copy");
        final Path store = restored.resolve(name);
        final List<String> restart = new ArrayList<>(settings);
        restart.set(0, "storePathRootDir=" + store);
        restart.set(1, "aeronDir=" + dir.resolve("aeron-restart-" + name));
        final Path restartLog = dir.resolve("restart-" + name + ".log");
        long fenced = 0;
        long setAside = 0;
        long voided = 0;
        String refused = null;
        String warnings = "";
        if (Files.isDirectory(store))
        {
            try
            {
                final BrokerProcess again = BrokerProcess.start(restart, restartLog.toFile(), 60_000);
                assertEquals(0, again.stop(30_000), name + ": clean stop of the broker restarted on the copy; log:\n" + again.logTail());
            }
            catch (final IllegalStateException ex)
            {
                // a journal damaged past what a restart repairs must be refused by name, never half-opened
                assertTrue(ex.getMessage().contains("cannot be opened"), name + ": the restart on the copy failed: " + ex.getMessage());
                refused = ex.getMessage();
            }
            final List<String> log = Files.readAllLines(restartLog);
            fenced = log.stream().filter((line) -> line.contains("cut short by a crash")).count();
            setAside = log.stream().filter((line) -> line.contains("has no header")).count();
            voided = log.stream().filter((line) -> line.contains("failed its check")).count();
            warnings = String.join("\n", log.stream().filter((line) -> line.contains(" WARN ")).toList());
        }
        final String[] verify = AckedMessages.journal("verify", store.toString());
        return new Outcome(AckedMessages.check(acked, store), verify, fenced, setAside, voided, refused, warnings);
    }

    private Path mount(final Path image, final String name) throws IOException, InterruptedException
    {
        final Path point = Files.createDirectories(dir.resolve("mnt-" + name));
        // commit=300: ext4 commits its own journal only every 5 minutes, so only the broker's fsyncs make data durable
        final String failure = run("mount", "-o", "loop,commit=300", image.toString(), point.toString());
        if (null != failure)
        {
            System.out.println("mount " + image + ": " + failure);
            return null;
        }
        mounts.add(point);
        return point;
    }

    /**
     * @return null if the command exits 0, else its exit code and output.
     */
    private static String run(final String... command) throws IOException, InterruptedException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return ex.getMessage();
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return String.join(" ", command) + ": still running after 120 s";
        }
        return process.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + process.exitValue() + ": " + output.strip();
    }
}
