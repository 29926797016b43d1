package io.peregrine.transport;

import io.peregrine.transport.codec.MessageHeaderDecoder;
import org.agrona.DirectBuffer;

/**
 * Checks the SBE header of an incoming frame before any decoder touches its body.
 */
public final class WireFrames
{
    /**
     * The frame is shorter than an SBE header, or its block is longer than the frame.
     */
    public static final int TRUNCATED = -1;

    /**
     * The frame's schema id is not Peregrine's wire schema.
     */
    public static final int WRONG_SCHEMA = -2;

    /**
     * The frame's schema version is not the one this build speaks.
     */
    public static final int WRONG_VERSION = -3;

    private WireFrames()
    {
    }

    /**
     * Wrap the header decoder over a frame and check it.
     *
     * @param header decoder to wrap.
     * @param buffer holding the frame.
     * @param offset of the frame.
     * @param length of the frame.
     * @return the template id if the frame may be decoded, otherwise one of the negative codes.
     */
    public static int check(final MessageHeaderDecoder header, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return TRUNCATED;
        }
        header.wrap(buffer, offset);
        if (header.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            return WRONG_SCHEMA;
        }
        if (header.version() != MessageHeaderDecoder.SCHEMA_VERSION)
        {
            return WRONG_VERSION;
        }
        if (MessageHeaderDecoder.ENCODED_LENGTH + header.blockLength() > length)
        {
            return TRUNCATED;
        }
        return header.templateId();
    }

    /**
     * Describe a negative code from {@link #check}.
     *
     * @param code   returned by check.
     * @param header decoder check wrapped.
     * @param length of the frame.
     * @return a sentence for the log.
     */
    public static String describe(final int code, final MessageHeaderDecoder header, final int length)
    {
        switch (code)
        {
            case TRUNCATED:
                return "truncated frame of " + length + " bytes";
            case WRONG_SCHEMA:
                return "schema id " + header.schemaId() + " is not the Peregrine wire schema " + MessageHeaderDecoder.SCHEMA_ID;
            case WRONG_VERSION:
                return "schema version " + header.version() + " is not the supported version " + MessageHeaderDecoder.SCHEMA_VERSION;
            default:
                return "frame code " + code;
        }
    }
}
