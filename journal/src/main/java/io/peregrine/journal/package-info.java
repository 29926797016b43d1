/**
 * The Chronicle Queue journal every accepted message is appended to.
 *
 * <p>Each Chronicle excerpt holds one {@link io.peregrine.journal.JournalRecord record}: an SBE header
 * (magic, version, producer id, sequence, timestamps, topic), the body, and a CRC32C trailer over
 * everything before it. Readers use {@link io.peregrine.journal.RecordView#validate} and never serve a
 * record that fails it.
 *
 * <p>After a crash the store's writer repairs what the crash can leave, before it appends, and never deletes
 * data: an append cut short is fenced ({@link io.peregrine.journal.TornTail}); a cycle file whose header never
 * reached the disk is moved aside ({@link io.peregrine.journal.UnwrittenCycle}); a complete excerpt whose record
 * bytes only partly reached the disk is voided in place, its bytes saved ({@link io.peregrine.journal.VoidedRecord}).
 * What is moved or saved goes to {@link io.peregrine.journal.Journal#damagedDir(java.io.File)}.
 */
package io.peregrine.journal;
