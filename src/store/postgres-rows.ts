import type { Checkpoint, DeadLetter, HistorySnapshot, StoredEvent, TwinSnapshot } from './event-store.js';

/**
 * How records travel to and from PostgreSQL: the row shapes the adapter reads, the pure mappers
 * that turn them into domain records, and the array literals its batch statements send.
 */

/** A row of `events` as pg returns it (BIGINT as text). */
export interface EventRow {
  seq: string;
  id: string;
  customer_id: string;
  kind: string;
  time: string;
  received_at: string;
  body: string;
  hash: string;
}
/** A row of `dead_letters`. */
export interface DeadLetterRow {
  id: string;
  record: string;
  reason: string;
  at: string;
  source: string;
}
/** A row of `twin_snapshots`; pg returns BYTEA as a Buffer. */
export interface SnapshotRow {
  customer_id: string;
  bytes: Buffer;
}
/** A row of `twin_history`; BIGINTs come back as strings. */
export interface HistoryRow {
  customer_id: string;
  at: string;
  seq: string;
  bytes: Buffer;
}
/** A row of `checkpoints`. */
export interface CheckpointRow {
  seq: string;
  meta: string;
}

/** An `events` row as the port's StoredEvent; every seq and ms time fits a double exactly. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    customerId: row.customer_id,
    kind: row.kind,
    time: Number(row.time),
    receivedAt: Number(row.received_at),
    body: row.body,
    hash: row.hash,
  };
}

/** A `dead_letters` row as the port's DeadLetter. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return { id: Number(row.id), record: row.record, reason: row.reason, at: Number(row.at), source: row.source };
}

/** A `twin_snapshots` row as the port's TwinSnapshot; a copy, as pg's Buffer may be a slice of a shared pool. */
export function toSnapshot(row: SnapshotRow): TwinSnapshot {
  return { customerId: row.customer_id, bytes: new Uint8Array(row.bytes) };
}

/** A `twin_history` row as the port's HistorySnapshot (bytes copied). */
export function toHistorySnapshot(row: HistoryRow): HistorySnapshot {
  return { customerId: row.customer_id, at: Number(row.at), seq: Number(row.seq), bytes: new Uint8Array(row.bytes) };
}

/** A `checkpoints` row as the port's Checkpoint. */
export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return { seq: Number(row.seq), meta: row.meta };
}

// An odd run of backslashes followed by anything but a quote or a backslash: a JSON escape such as
// \n or \u0001 that a PostgreSQL array literal would read differently.
const JSON_ONLY_ESCAPE = /(?<!\\)(?:\\\\)*\\[^"\\]/;

/**
 * A `text[]` literal. pg's own array encoder escapes element by element and costs ~50 ms per
 * 5,000 bodies; JSON.stringify quotes strings exactly as an array literal does (`\"`, `\\`) as long
 * as it used no other escape, which is the common case, and takes ~2 ms.
 */
export function textArray(values: readonly string[]): string {
  const json = JSON.stringify(values);
  if (!JSON_ONLY_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** A `bigint[]` literal; a value that is not an integer makes PostgreSQL reject the statement. */
export function bigintArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
