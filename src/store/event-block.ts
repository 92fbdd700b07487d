import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { TwinloopError } from '../domain/errors.js';
import type { StoredEvent } from './event-store.js';

/**
 * The compact encoding of many stored events in one value (a segment of the log, or one
 * customer's chunk of it, the segment log of decision 0011): column by column (all ids, then all kinds, all bodies…),
 * numbers as differences from the one before, the whole deflated. Columns put alike text side by
 * side, which is what deflate compresses best: a sandbox usage event of ~245 bytes takes 21–29
 * bytes here against ~360 as a row with its indexes. Any text round-trips exactly (JSON string
 * escaping), so bodies come back byte for byte.
 */

/**
 * Version of the column layout below, first in every block's columns: a reader refuses one it
 * does not know. 2: no content hash column (the log keeps none since 2026-12-04: the intake
 * hashes a body only when its id comes again); version 1 blocks carry one, which reads ignore.
 */
const BLOCK_VERSION = 2;
/** The oldest column layout still read. */
const OLDEST_BLOCK_VERSION = 1;

/**
 * First byte of a block that starts with a header (`[0xff, version, dictionary id as 4 bytes
 * little-endian]`, then the deflated columns): as raw deflate it would be a block of type 3,
 * which does not exist, so a headerless block (the first layout, no dictionary) never starts
 * with it.
 */
const HEADER_MARK = 0xff;
/** Header version: the columns deflated with the preset dictionary the header names. */
const DICTIONARY_HEADER = 2;
const HEADER_BYTES = 6;

/**
 * A preset dictionary for deflating small blocks: text like theirs (the columns of a few
 * customers' chunks), so that a customer's 20-event chunk compresses about as well as a block
 * many times its size (69 → 56 bytes per event measured on the sandbox's history). Kept by the
 * store under `id`; a block names the one it was deflated with.
 */
export interface BlockDictionary {
  id: number;
  bytes: Buffer;
}

/** Deflate's window: a preset dictionary longer than this is never reached back into. */
const DICTIONARY_MAX_BYTES = 32 * 1024;

/** The columns as stored (before deflating); seqs, times and receive stamps as differences. */
interface BlockColumns {
  v: number;
  seq: number[];
  id: string[];
  customer: string[];
  kind: string[];
  time: number[];
  received: number[];
  /** Version 1 only: the content hashes, not read. */
  hash?: string[];
  body: string[];
}

/** Deflate levels: 1 on the intake's path (a segment per batch, ~30 % less CPU), 6 where a block is written once off it (sealing). */
export type BlockLevel = 1 | 6;

/** The columns of events as the text a block deflates. */
function columnsText(events: readonly StoredEvent[]): Buffer {
  const n = events.length;
  const cols: BlockColumns = { v: BLOCK_VERSION, seq: new Array(n), id: new Array(n), customer: new Array(n), kind: new Array(n), time: new Array(n), received: new Array(n), body: new Array(n) };
  let seq = 0;
  let time = 0;
  let received = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i];
    cols.seq[i] = e.seq - seq;
    cols.time[i] = e.time - time;
    cols.received[i] = e.receivedAt - received;
    seq = e.seq;
    time = e.time;
    received = e.receivedAt;
    cols.id[i] = e.id;
    cols.customer[i] = e.customerId;
    cols.kind[i] = e.kind;
    cols.body[i] = e.body;
  }
  return Buffer.from(JSON.stringify(cols), 'utf8');
}

/**
 * Encodes events (any order the caller keeps; readers get them back in it) as one deflated
 * block, with a preset dictionary when given (the block's header names it).
 */
export function encodeEventBlock(events: readonly StoredEvent[], level: BlockLevel, dictionary?: BlockDictionary): Buffer {
  const text = columnsText(events);
  if (!dictionary) return deflateRawSync(text, { level });
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = HEADER_MARK;
  header[1] = DICTIONARY_HEADER;
  header.writeUInt32LE(dictionary.id, 2);
  return Buffer.concat([header, deflateRawSync(text, { level, dictionary: dictionary.bytes })]);
}

/**
 * A preset dictionary for blocks like `samples` (groups of events, each as one block would hold
 * them): their columns' text, the last 32 KiB of it.
 */
export function blockDictionary(id: number, samples: Iterable<readonly StoredEvent[]>): BlockDictionary {
  const parts: Buffer[] = [];
  let size = 0;
  for (const group of samples) {
    if (size >= DICTIONARY_MAX_BYTES) break;
    const text = columnsText(group);
    parts.push(text);
    size += text.length;
  }
  const all = Buffer.concat(parts);
  return { id, bytes: all.subarray(Math.max(0, all.length - DICTIONARY_MAX_BYTES)) };
}

/**
 * The events of a block, in the order they were encoded; `dictionary` gives the preset
 * dictionary a block's header names. Throws INTERNAL on a damaged or unknown block.
 */
export function decodeEventBlock(block: Uint8Array, dictionary?: (id: number) => Buffer | undefined): StoredEvent[] {
  let cols: BlockColumns;
  try {
    let text: Buffer;
    if (block[0] === HEADER_MARK) {
      const header = Buffer.from(block.buffer, block.byteOffset, Math.min(block.length, HEADER_BYTES));
      if (header[1] !== DICTIONARY_HEADER) return unknownVersion(`header version ${String(header[1])}`);
      const id = header.readUInt32LE(2);
      const bytes = dictionary?.(id);
      if (!bytes) throw new Error(`its dictionary ${id} is missing`);
      text = inflateRawSync(block.subarray(HEADER_BYTES), { dictionary: bytes });
    } else text = inflateRawSync(block);
    cols = JSON.parse(text.toString('utf8')) as BlockColumns;
  } catch (err) {
    if (err instanceof TwinloopError) throw err;
    throw new TwinloopError('INTERNAL', `an event block of the log cannot be read (${(err as Error).message}); the store file is damaged`, { cause: err });
  }
  if (!(cols.v >= OLDEST_BLOCK_VERSION && cols.v <= BLOCK_VERSION)) return unknownVersion(`layout version ${String(cols.v)}`);
  const n = cols.seq.length;
  const out: StoredEvent[] = new Array(n);
  let seq = 0;
  let time = 0;
  let received = 0;
  for (let i = 0; i < n; i++) {
    seq += cols.seq[i];
    time += cols.time[i];
    received += cols.received[i];
    out[i] = { seq, id: cols.id[i], customerId: cols.customer[i], kind: cols.kind[i], time, receivedAt: received, body: cols.body[i] };
  }
  return out;
}

function unknownVersion(what: string): never {
  throw new TwinloopError('INTERNAL', `an event block of the log has ${what}, this Twinloop reads layouts ${OLDEST_BLOCK_VERSION}–${BLOCK_VERSION} and header ${DICTIONARY_HEADER}; upgrade Twinloop`);
}
