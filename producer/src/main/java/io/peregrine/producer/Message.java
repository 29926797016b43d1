package io.peregrine.producer;

import io.peregrine.transport.Protocol;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A message to send: topic, body and flags. Reusable: fill it, send it, fill it again. The body is
 * referenced, not copied, until the send call returns.
 */
public final class Message
{
    private final UnsafeBuffer heapBody = new UnsafeBuffer(new byte[0]);
    private String topic;
    private DirectBuffer body = heapBody;
    private int bodyOffset;
    private int bodyLength;
    private boolean waitStoreMsgOK = true;
    private String checkedTopic;

    /**
     * @param topic to send to: 1 to 127 characters from {@code [A-Za-z0-9._-]}.
     * @return this.
     */
    public Message topic(final String topic)
    {
        this.topic = topic;
        return this;
    }

    /**
     * @return the topic.
     */
    public String topic()
    {
        return topic;
    }

    /**
     * Whether the current topic was already found valid, so a reused message is not checked on every send.
     */
    /**
     * Check the topic once per topic set (the result is kept until the topic changes).
     *
     * @throws SendException with {@link ErrorKind#INVALID_TOPIC} naming what is wrong.
     */
    void checkTopic()
    {
        if (topicChecked())
        {
            return;
        }
        final String topicError = Protocol.validateTopic(topic);
        if (null != topicError)
        {
            throw new SendException(ErrorKind.INVALID_TOPIC, topicError);
        }
        topicChecked(topic);
    }

    boolean topicChecked()
    {
        return topic == checkedTopic;
    }

    void topicChecked(final String topic)
    {
        checkedTopic = topic;
    }

    /**
     * Use a range of a buffer as the body, without copying.
     *
     * @param buffer holding the body.
     * @param offset of the body.
     * @param length of the body.
     * @return this.
     */
    public Message body(final DirectBuffer buffer, final int offset, final int length)
    {
        this.body = buffer;
        this.bodyOffset = offset;
        this.bodyLength = length;
        return this;
    }

    /**
     * Use a whole byte array as the body, without copying.
     *
     * @param bytes of the body.
     * @return this.
     */
    public Message body(final byte[] bytes)
    {
        heapBody.wrap(bytes);
        return body(heapBody, 0, bytes.length);
    }

    /**
     * @return the buffer holding the body.
     */
    public DirectBuffer bodyBuffer()
    {
        return body;
    }

    /**
     * @return offset of the body in its buffer.
     */
    public int bodyOffset()
    {
        return bodyOffset;
    }

    /**
     * @return length of the body.
     */
    public int bodyLength()
    {
        return bodyLength;
    }

    /**
     * @param waitStoreMsgOK true (default) to be answered once stored as the broker's policy asks;
     *                       false to be answered SEND_OK as soon as the broker has accepted it.
     * @return this.
     */
    public Message waitStoreMsgOK(final boolean waitStoreMsgOK)
    {
        this.waitStoreMsgOK = waitStoreMsgOK;
        return this;
    }

    /**
     * @return whether the send waits until stored as the broker's policy asks.
     */
    public boolean waitStoreMsgOK()
    {
        return waitStoreMsgOK;
    }
}
