/**
 * The Chronicle Queue journal every accepted message is appended to.
 *
 * <p>Each Chronicle excerpt holds one {@link io.peregrine.journal.JournalRecord record}: an SBE header
 * (magic, version, producer id, sequence, timestamps, topic), the body, and a CRC32C trailer over
 * everything before it. Readers use {@link io.peregrine.journal.RecordView#validate} and never serve a
 * record that fails it.
 */
package io.peregrine.journal;
