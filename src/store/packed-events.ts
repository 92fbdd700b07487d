import type { AppendOutcome, NewEvent } from './event-store.js';

/**
 * A batch of new events as the embedded store's writer thread receives them: every text field in
 * one string, the lengths (UTF-16 code units) and numbers in typed arrays whose buffers are
 * transferred, not copied. Copying a batch as 5,000 objects of six fields each (the structured
 * clone walks every object and writes every key again) cost both threads about 1.4 µs an event;
 * this costs about half (decision 0022). Slicing by lengths gives back every string exactly,
 * whatever it holds (a NUL, a lone surrogate), with no separator to escape.
 */
export interface PackedEvents {
  /** Each event's id, customer id, kind and body, one after the other. */
  text: string;
  /** The length of each of those four strings, in that order: 4 per event. */
  lengths: Uint32Array;
  times: Float64Array;
  receivedAt: Float64Array;
}

/** The four text fields of an event, in the order `PackedEvents.text` holds them. */
const TEXT_FIELDS = 4;

/**
 * Packs a batch for the writer thread; `transfer` lists the buffers to hand over with it.
 * Undefined when an event is not of the shape the store takes (text fields, numbers): packing
 * would turn it into one (a number as text, "5" as 5); sent as it is, the store refuses it.
 */
export function packEvents(events: readonly NewEvent[]): { packed: PackedEvents; transfer: ArrayBuffer[] } | undefined {
  const n = events.length;
  const parts: string[] = new Array<string>(n * TEXT_FIELDS);
  const lengths = new Uint32Array(n * TEXT_FIELDS);
  const times = new Float64Array(n);
  const receivedAt = new Float64Array(n);
  for (let i = 0, k = 0; i < n; i++, k += TEXT_FIELDS) {
    const e = events[i];
    if (typeof e.id !== 'string' || typeof e.customerId !== 'string' || typeof e.kind !== 'string' || typeof e.body !== 'string' || typeof e.time !== 'number' || typeof e.receivedAt !== 'number') return undefined;
    parts[k] = e.id;
    parts[k + 1] = e.customerId;
    parts[k + 2] = e.kind;
    parts[k + 3] = e.body;
    lengths[k] = e.id.length;
    lengths[k + 1] = e.customerId.length;
    lengths[k + 2] = e.kind.length;
    lengths[k + 3] = e.body.length;
    times[i] = e.time;
    receivedAt[i] = e.receivedAt;
  }
  return { packed: { text: parts.join(''), lengths, times, receivedAt }, transfer: [lengths.buffer, times.buffer, receivedAt.buffer] };
}

/** The events of a packed batch, as `packEvents` was given them. */
export function unpackEvents(packed: PackedEvents): NewEvent[] {
  const { text, lengths, times, receivedAt } = packed;
  const n = times.length;
  const events: NewEvent[] = new Array<NewEvent>(n);
  let at = 0;
  const next = (k: number): string => text.slice(at, (at += lengths[k]));
  for (let i = 0, k = 0; i < n; i++, k += TEXT_FIELDS) {
    const id = next(k);
    const customerId = next(k + 1);
    const kind = next(k + 2);
    const body = next(k + 3);
    events[i] = { id, customerId, kind, time: times[i], receivedAt: receivedAt[i], body };
  }
  return events;
}

/**
 * A batch's outcomes as the writer thread answers them: each event's seq (accepted, or the one
 * already stored under its id) in a transferred array, and only the duplicates as objects (the
 * index of each and the body stored under its id). Most events of a batch are accepted: 5,000
 * outcome objects cloned back cost the intake's thread more than building them from this.
 */
export interface PackedOutcomes {
  seqs: Float64Array;
  duplicates: { at: number; body: string }[];
}

/** Packs a batch's outcomes for the answer; `transfer` lists the buffers to hand over with it. */
export function packOutcomes(outcomes: readonly AppendOutcome[]): { packed: PackedOutcomes; transfer: ArrayBuffer[] } {
  const seqs = new Float64Array(outcomes.length);
  const duplicates: PackedOutcomes['duplicates'] = [];
  outcomes.forEach((o, at) => {
    seqs[at] = o.seq;
    if (o.status === 'duplicate') duplicates.push({ at, body: o.body });
  });
  return { packed: { seqs, duplicates }, transfer: [seqs.buffer] };
}

/** The outcomes of a packed answer, as `packOutcomes` was given them. */
export function unpackOutcomes(packed: PackedOutcomes): AppendOutcome[] {
  const { seqs, duplicates } = packed;
  const outcomes: AppendOutcome[] = new Array<AppendOutcome>(seqs.length);
  for (let i = 0; i < seqs.length; i++) outcomes[i] = { status: 'accepted', seq: seqs[i] };
  for (const d of duplicates) outcomes[d.at] = { status: 'duplicate', seq: seqs[d.at], body: d.body };
  return outcomes;
}
