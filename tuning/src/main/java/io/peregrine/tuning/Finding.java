package io.peregrine.tuning;

/**
 * What one host check saw.
 *
 * @param key      the setting, e.g. {@code net.core.rmem_max}.
 * @param observed its value on this host, or {@code "absent"}.
 * @param verdict  how it fits Peregrine.
 * @param advice   what to change and why; for {@link Verdict#OK}, why it is fine.
 */
public record Finding(String key, String observed, Verdict verdict, String advice)
{
    /**
     * How a setting fits Peregrine.
     */
    public enum Verdict
    {
        /**
         * Fine as it is.
         */
        OK,

        /**
         * Works, but latency or throughput would improve with the change advised.
         */
        ADVISE,

        /**
         * Something will go wrong or be capped silently: change it.
         */
        WARN,

        /**
         * The host does not expose the setting (a container, another kernel): nothing to judge.
         */
        ABSENT
    }

    public String toString()
    {
        return String.format("%-6s %s = %s: %s", verdict, key, observed, advice);
    }
}
