/**
 * The {@code bin/peregrine} command line: {@code broker}, {@code perf} and {@code demo}.
 */
package io.peregrine.cli;
