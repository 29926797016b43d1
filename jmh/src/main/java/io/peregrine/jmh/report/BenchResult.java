package io.peregrine.jmh.report;

import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * One entry of a JMH JSON result file: which benchmark at which parameters, its score and, for sample-time
 * runs, its percentiles; the allocation per operation if {@code -prof gc} ran, and its split between Peregrine's
 * threads and the Aeron drivers' if {@code ThreadAllocationProfiler} ran; the broker's average flush and sends per
 * flush if {@code FlushProfiler} ran.
 */
public final class BenchResult
{
    private static final String ALLOC_NORM = "gc.alloc.rate.norm";
    private static final String ALLOC_PEREGRINE = "alloc.peregrine.norm";
    private static final String ALLOC_DRIVER = "alloc.driver.norm";

    final String benchmark;
    final String mode;
    final int threads;
    final Map<String, String> params = new TreeMap<>();
    final double score;
    final double error;
    final String unit;
    final double p50;
    final double p99;
    final double p999;
    final double allocPerOp;
    final double allocPeregrinePerOp;
    final double allocDriverPerOp;
    final double flushMicros;
    final double sendsPerFlush;

    BenchResult(final JsonObject entry)
    {
        final String fullName = entry.get("benchmark").getAsString();
        final int method = fullName.lastIndexOf('.');
        final int type = fullName.lastIndexOf('.', method - 1);
        benchmark = fullName.substring(type + 1);
        mode = entry.get("mode").getAsString();
        threads = entry.has("threads") ? entry.get("threads").getAsInt() : 1;
        if (entry.has("params"))
        {
            for (final Map.Entry<String, JsonElement> param : entry.getAsJsonObject("params").entrySet())
            {
                params.put(param.getKey(), param.getValue().getAsString());
            }
        }
        final JsonObject primary = entry.getAsJsonObject("primaryMetric");
        score = number(primary.get("score"));
        error = number(primary.get("scoreError"));
        unit = primary.get("scoreUnit").getAsString();
        // every mode carries percentiles, but only sample-time ones are of single operations; the others are of iteration scores
        final JsonObject percentiles = mode.equals("sample") && primary.has("scorePercentiles") ?
            primary.getAsJsonObject("scorePercentiles") : new JsonObject();
        p50 = percentiles.has("50.0") ? number(percentiles.get("50.0")) : Double.NaN;
        p99 = percentiles.has("99.0") ? number(percentiles.get("99.0")) : Double.NaN;
        p999 = percentiles.has("99.9") ? number(percentiles.get("99.9")) : Double.NaN;
        final JsonObject secondary = entry.has("secondaryMetrics") ? entry.getAsJsonObject("secondaryMetrics") : new JsonObject();
        allocPerOp = secondaryScore(secondary, ALLOC_NORM);
        allocPeregrinePerOp = secondaryScore(secondary, ALLOC_PEREGRINE);
        allocDriverPerOp = secondaryScore(secondary, ALLOC_DRIVER);
        flushMicros = secondaryScore(secondary, "flush.us");
        sendsPerFlush = secondaryScore(secondary, "flush.sends");
    }

    private static double secondaryScore(final JsonObject secondary, final String name)
    {
        return secondary.has(name) ? number(secondary.getAsJsonObject(name).get("score")) : Double.NaN;
    }

    /**
     * @param name of a parameter.
     * @return its value, or null if the benchmark has no such parameter.
     */
    String param(final String name)
    {
        return params.get(name);
    }

    /**
     * @return the parameters as {@code name=value} pairs.
     */
    String paramsText()
    {
        final StringBuilder text = new StringBuilder();
        params.forEach((k, v) -> text.append(text.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return text.toString();
    }

    private static double number(final JsonElement element)
    {
        if (null == element || element.isJsonNull())
        {
            return Double.NaN;
        }
        final String text = element.getAsString();
        return text.equals("NaN") ? Double.NaN : Double.parseDouble(text);
    }
}
