/**
 * The {@code bin/peregrine} command line: {@code broker}, {@code perf}, {@code demo}, {@code journal dump|verify|digest},
 * {@code counters} (also {@code stat}), {@code bench} and {@code tuning check|profile}; the logging binding and the
 * runnable jar.
 */
package io.peregrine.cli;
