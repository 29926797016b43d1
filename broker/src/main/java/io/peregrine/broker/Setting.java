package io.peregrine.broker;

import java.util.Arrays;
import java.util.function.Function;

import org.agrona.SystemUtil;

/**
 * One broker setting, described once: its key, default, what it means, and how its text becomes a value (or why it
 * cannot). {@link BrokerContext} keeps a table of them; {@code broker --help} and the README table come from it.
 *
 * @param <T> type of the parsed value.
 */
final class Setting<T>
{
    final String key;
    final String defaultValue;
    final String description;
    private final Function<String, T> parser;

    private Setting(final String key, final String defaultValue, final String description, final Function<String, T> parser)
    {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
        this.parser = parser;
    }

    /**
     * @param text the configured value.
     * @return the value.
     * @throws IllegalArgumentException naming the key, the value and what is wrong with it.
     */
    T parse(final String text)
    {
        try
        {
            return parser.apply(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(key + "=" + text + ": " + ex.getMessage(), ex);
        }
    }

    static Setting<Long> whole(final String key, final String defaultValue, final long min, final long max, final String description)
    {
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            final long value;
            try
            {
                value = Long.parseLong(text);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a whole number");
            }
            if (value < min || value > max)
            {
                throw new IllegalArgumentException("must be between " + min + " and " + max);
            }
            return value;
        });
    }

    static Setting<Long> size(final String key, final String defaultValue, final String description)
    {
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            final long value;
            try
            {
                value = SystemUtil.parseSize(key, text);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a size (for example 512m, 2g)");
            }
            if (value < 0)
            {
                throw new IllegalArgumentException("must not be negative");
            }
            return value;
        });
    }

    /**
     * A size that is either 0 (the feature off) or at least {@code min} bytes.
     */
    static Setting<Long> sizeOrOff(final String key, final String defaultValue, final long min, final String description)
    {
        final Setting<Long> size = size(key, defaultValue, description);
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            final long value = size.parser.apply(text);
            if (value != 0 && value < min)
            {
                throw new IllegalArgumentException("must be 0 (off) or at least " + min + " bytes");
            }
            return value;
        });
    }

    static Setting<Boolean> bool(final String key, final String defaultValue, final String description)
    {
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            if (!text.equals("true") && !text.equals("false"))
            {
                throw new IllegalArgumentException("must be true or false");
            }
            return Boolean.parseBoolean(text);
        });
    }

    static Setting<String> oneOf(final String key, final String defaultValue, final String description, final String... choices)
    {
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            if (!Arrays.asList(choices).contains(text))
            {
                final int last = choices.length - 1;
                throw new IllegalArgumentException("must be " + (last == 0 ? choices[0] :
                    String.join(", ", Arrays.copyOf(choices, last)) + " or " + choices[last]));
            }
            return text;
        });
    }

    /**
     * A text setting: not empty, and whatever else the check finds wrong (it returns null or the reason).
     */
    static Setting<String> text(
        final String key, final String defaultValue, final String description, final Function<String, String> check)
    {
        return new Setting<>(key, defaultValue, description, (text) ->
        {
            if (text.isEmpty())
            {
                throw new IllegalArgumentException("must not be empty");
            }
            final String problem = check.apply(text);
            if (null != problem)
            {
                throw new IllegalArgumentException(problem);
            }
            return text;
        });
    }
}
