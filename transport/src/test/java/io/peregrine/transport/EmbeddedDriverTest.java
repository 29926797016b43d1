package io.peregrine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.CncFileDescriptor;
import io.aeron.driver.MediaDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directories of embedded drivers whose process was killed are removed by the next launch; nothing else is. Tried:
 * a generated directory whose CnC names a process that has exited (removed), one naming this live process (kept, its
 * heartbeat is as old), one without a CnC file (kept: a driver may be starting), one with another name (kept), and
 * the live driver's own (kept).
 */
@Timeout(60)
class EmbeddedDriverTest
{
    private static final String PREFIX = "aeron-test-";

    @TempDir
    Path parent;

    @Test
    void shouldRemoveOnlyTheDirectoriesOfDriversWhoseProcessIsGone() throws Exception
    {
        final Path liveDir = parent.resolve(PREFIX + UUID.randomUUID());
        final Path deadDir = Files.createDirectories(parent.resolve(PREFIX + UUID.randomUUID()));
        final Path livePidDir = Files.createDirectories(parent.resolve(PREFIX + UUID.randomUUID()));
        final Path startingDir = Files.createDirectories(parent.resolve(PREFIX + UUID.randomUUID()));
        final Path otherDir = Files.createDirectories(parent.resolve("aeron-test-not-a-uuid"));

        final Process exited = new ProcessBuilder("true").start();
        assertTrue(exited.waitFor(30, TimeUnit.SECONDS));
        try (MediaDriver driver = EmbeddedDriver.launch(liveDir.toString(), "backoff", true))
        {
            final Path cnc = Path.of(driver.aeronDirectoryName()).resolve(CncFileDescriptor.CNC_FILE);
            assertEquals(ProcessHandle.current().pid(), EmbeddedDriver.driverPid(cnc.toFile()), "a CnC file names its driver's process");
            Files.copy(cnc, deadDir.resolve(CncFileDescriptor.CNC_FILE));
            Files.copy(cnc, livePidDir.resolve(CncFileDescriptor.CNC_FILE));
            Files.copy(cnc, otherDir.resolve(CncFileDescriptor.CNC_FILE));
            setPid(deadDir.resolve(CncFileDescriptor.CNC_FILE).toFile(), exited.pid());
            setPid(otherDir.resolve(CncFileDescriptor.CNC_FILE).toFile(), exited.pid());

            // timeout 0: every heartbeat counts as old, so the process id alone decides
            assertEquals(1, EmbeddedDriver.removeDeadGeneratedDirectories(parent.toFile(), PREFIX, 0));
            assertFalse(Files.exists(deadDir), "the killed driver's directory");
            assertTrue(Files.isDirectory(liveDir) && Files.isDirectory(livePidDir) && Files.isDirectory(startingDir) &&
                Files.isDirectory(otherDir), "everything else stays");

            assertEquals(0, EmbeddedDriver.removeDeadGeneratedDirectories(parent.toFile(), PREFIX,
                TimeUnit.SECONDS.toMillis(10)), "nothing more");
        }
        assertFalse(Files.exists(liveDir), "a driver closed normally deletes its own directory");
    }

    private static void setPid(final File cnc, final long pid) throws Exception
    {
        try (RandomAccessFile file = new RandomAccessFile(cnc, "rw"))
        {
            final long offset = CncFileDescriptor.pidOffset(0);
            file.seek(offset);
            final byte[] bytes = new byte[8];
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = (byte)(pid >>> (8 * i)); // little-endian, as Agrona writes it
            }
            file.write(bytes);
        }
    }
}
