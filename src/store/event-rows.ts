import type { Checkpoint, DeadLetter, HistorySnapshot, StoredEvent, TwinSnapshot } from './event-store.js';

/**
 * How the event store's records travel to and from either database: the row shapes both adapters
 * read (64-bit integers already numbers, see `openSchemaPool`) and the pure mappers between rows
 * and the port's records.
 */

/** A row of `events`. */
export interface EventRow {
  seq: number;
  id: string;
  customer_id: string;
  kind: string;
  time: number;
  received_at: number;
  body: string;
}
/** A row of `dead_letters`. */
export interface DeadLetterRow {
  id: number;
  record: string;
  reason: string;
  at: number;
  source: string;
}
/** A row of `twin_snapshots`; both drivers return a BLOB/BYTEA as a Buffer. */
export interface SnapshotRow {
  customer_id: string;
  bytes: Buffer;
  /** PostgreSQL's driver reads a BIGINT as text; absent where a reader does not select it. */
  seq?: number | string | null;
}
/** A row of `twin_history`. */
export interface HistoryRow {
  customer_id: string;
  at: number;
  seq: number;
  bytes: Buffer;
}
/** A row of `checkpoints`. */
export interface CheckpointRow {
  seq: number;
  meta: string;
}
/** The stored seq and body of one event id. */
export interface SeqBodyRow {
  seq: number;
  body: string;
}

/** An `events` row as the port's StoredEvent; every seq and ms time fits a double exactly. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    id: row.id,
    customerId: row.customer_id,
    kind: row.kind,
    time: row.time,
    receivedAt: row.received_at,
    body: row.body,
  };
}

/** A `dead_letters` row as the port's DeadLetter. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return { id: row.id, record: row.record, reason: row.reason, at: row.at, source: row.source };
}

/** A `twin_snapshots` row as the port's TwinSnapshot; a copy, so callers own their bytes (pg's Buffer may be a slice of a shared pool). */
export function toSnapshot(row: SnapshotRow): TwinSnapshot {
  return { customerId: row.customer_id, bytes: new Uint8Array(row.bytes), ...(row.seq === null || row.seq === undefined ? {} : { seq: Number(row.seq) }) };
}

/** A `twin_history` row as the port's HistorySnapshot (bytes copied). */
export function toHistorySnapshot(row: HistoryRow): HistorySnapshot {
  return { customerId: row.customer_id, at: row.at, seq: row.seq, bytes: new Uint8Array(row.bytes) };
}

/** A `checkpoints` row as the port's Checkpoint. */
export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return { seq: row.seq, meta: row.meta };
}

/** Snapshot bytes as a bindable BLOB/BYTEA: a view, not a copy. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
