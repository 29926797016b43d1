package io.peregrine.cli;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.peregrine.producer.Producer;

/**
 * {@code --acked-log}: one line {@code <msgId> <journalIndex>} per SEND_OK, handed to the OS as each ack
 * arrives so it survives this process being killed.
 */
final class AckedLog implements AutoCloseable
{
    private final FileOutputStream out;

    AckedLog(final Path file)
    {
        try
        {
            out = new FileOutputStream(file.toFile(), true);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open acked log " + file + ": " + ex.getMessage(), ex);
        }
    }

    synchronized void acked(final Producer producer, final long sequence, final long journalIndex)
    {
        try
        {
            out.write((producer.msgId(sequence) + ' ' + journalIndex + '\n').getBytes(StandardCharsets.US_ASCII));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write acked log: " + ex.getMessage(), ex);
        }
    }

    public synchronized void close() throws IOException
    {
        out.close();
    }
}
