package io.peregrine.transport;

import java.io.File;
import java.nio.MappedByteBuffer;

import io.aeron.CncFileDescriptor;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads the counters of a running media driver from its CnC file, as Aeron's AeronStat does: the driver's own
 * (bytes, errors, NAKs, back-pressure) and those its clients added, such as the broker's {@code peregrine: ...}
 * counters. Read-only; safe while the driver runs.
 */
public final class DriverCounters
{
    private DriverCounters()
    {
    }

    /**
     * Call the consumer for every counter in use.
     *
     * @param aeronDir the driver's directory.
     * @param consumer of value, id and label.
     * @throws IllegalArgumentException naming the directory if it holds no driver's CnC file.
     */
    public static void forEach(final String aeronDir, final CountersReader.CounterConsumer consumer)
    {
        final File cncFile = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cncFile.isFile())
        {
            throw new IllegalArgumentException("no media driver at " + aeronDir + " (no " + CncFileDescriptor.CNC_FILE +
                "; is the broker running, and is this its aeronDir?)");
        }
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(cncFile, "cnc");
        try
        {
            final DirectBuffer meta = CncFileDescriptor.createMetaDataBuffer(cnc);
            final CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, meta), CncFileDescriptor.createCountersValuesBuffer(cnc, meta));
            counters.forEach(consumer);
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
    }
}
