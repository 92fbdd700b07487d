import type { AppendOutcome, NewEvent } from './event-store.js';

/**
 * A batch of new events as one string and one number array, for the embedded store's writer
 * thread: cloning a single string and transferring a buffer costs a fraction of cloning
 * thousands of small objects (measured: the structured clone of 5,000-event batches was about a
 * tenth of a backfill's CPU, on both threads).
 */
export interface PackedEvents {
  readonly count: number;
  /** id, customerId, kind, body, hash of each event in turn, each followed by `SEP`. */
  readonly text: string;
  /** time, receivedAt of each event in turn. */
  readonly numbers: Float64Array;
}

/**
 * U+0000 never appears raw in JSON text (a body), and a batch where any field holds it is sent
 * as objects (`packEvents` answers undefined), so it can separate the fields.
 */
const SEP = '\u0000';
const FIELDS = 5;

/** Strings without the separator and numbers: what packs without changing (the store refuses the rest itself). */
const packable = (e: NewEvent): boolean =>
  isPlainText(e.id) && isPlainText(e.customerId) && isPlainText(e.kind) && isPlainText(e.body) && isPlainText(e.hash) && typeof e.time === 'number' && typeof e.receivedAt === 'number';
const isPlainText = (s: unknown): boolean => typeof s === 'string' && !s.includes(SEP);

/** Packs a batch, or answers undefined when a field is not a string or number or holds the separator (then send it as objects). */
export function packEvents(events: readonly NewEvent[]): PackedEvents | undefined {
  const parts: string[] = new Array(events.length * FIELDS);
  const numbers = new Float64Array(events.length * 2);
  let k = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!packable(e)) return undefined;
    parts[k++] = e.id;
    parts[k++] = e.customerId;
    parts[k++] = e.kind;
    parts[k++] = e.body;
    parts[k++] = e.hash;
    numbers[2 * i] = e.time;
    numbers[2 * i + 1] = e.receivedAt;
  }
  const text = events.length ? parts.join(SEP) + SEP : '';
  return { count: events.length, text, numbers };
}

/** The batch `packEvents` packed; throws when the text does not hold `count` events (never for what `packEvents` made). */
export function unpackEvents(packed: PackedEvents): NewEvent[] {
  const fields = packed.text.split(SEP);
  // The trailing separator leaves one empty string at the end.
  if (fields.length !== packed.count * FIELDS + 1) throw new Error(`packed events: ${fields.length - 1} fields for ${packed.count} events`);
  const events: NewEvent[] = new Array(packed.count);
  for (let i = 0, k = 0; i < packed.count; i++, k += FIELDS) {
    events[i] = { id: fields[k], customerId: fields[k + 1], kind: fields[k + 2], body: fields[k + 3], hash: fields[k + 4], time: packed.numbers[2 * i], receivedAt: packed.numbers[2 * i + 1] };
  }
  return events;
}

/** Append outcomes as the accepted/duplicate seqs (a duplicate's negated) and the stored hashes of the duplicates, in order. */
export interface PackedOutcomes {
  readonly seqs: Float64Array;
  readonly duplicateHashes: string[];
}

export function packOutcomes(outcomes: readonly AppendOutcome[]): PackedOutcomes {
  const seqs = new Float64Array(outcomes.length);
  const duplicateHashes: string[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (o.status === 'accepted') seqs[i] = o.seq;
    else {
      // Seqs start at 1, so the sign tells the two apart.
      seqs[i] = -o.seq;
      duplicateHashes.push(o.hash);
    }
  }
  return { seqs, duplicateHashes };
}

export function unpackOutcomes(packed: PackedOutcomes): AppendOutcome[] {
  const out: AppendOutcome[] = new Array(packed.seqs.length);
  let d = 0;
  for (let i = 0; i < packed.seqs.length; i++) {
    const seq = packed.seqs[i];
    out[i] = seq > 0 ? { status: 'accepted', seq } : { status: 'duplicate', seq: -seq, hash: packed.duplicateHashes[d++] };
  }
  return out;
}
