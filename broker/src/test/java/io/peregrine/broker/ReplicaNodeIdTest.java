package io.peregrine.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slave's node id: kept across restarts, written by an older version without its location and kept, and new for a
 * copy of the store elsewhere (two slaves seeded from one store must not be one node to their master).
 */
class ReplicaNodeIdTest
{
    @TempDir
    Path dir;

    @Test
    void shouldKeepTheIdOfAStoreAndGiveACopiedStoreItsOwn() throws Exception
    {
        final File store = Files.createDirectories(dir.resolve("a/store")).toFile();
        final long id = ReplicationSlave.nodeId(store);
        assertEquals(id, ReplicationSlave.nodeId(store), "a restart is the same node");

        final File copy = Files.createDirectories(dir.resolve("b/store")).toFile();
        Files.copy(new File(store, "replica-node-id").toPath(), new File(copy, "replica-node-id").toPath());
        final long copied = ReplicationSlave.nodeId(copy);
        assertNotEquals(id, copied, "a copied store is a node of its own");
        assertEquals(copied, ReplicationSlave.nodeId(copy));
        assertEquals(id, ReplicationSlave.nodeId(store), "the original keeps its id");

        // a file holding only the id, as written before the location was kept with it
        Files.writeString(new File(copy, "replica-node-id").toPath(), Long.toHexString(copied) + "\n", StandardCharsets.UTF_8);
        assertEquals(copied, ReplicationSlave.nodeId(copy));
        assertTrue(Files.readString(new File(copy, "replica-node-id").toPath()).trim().endsWith(copy.getCanonicalPath()));
    }
}
