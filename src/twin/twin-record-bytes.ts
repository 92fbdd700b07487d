import { inflateRawSync } from 'node:zlib';
import { TwinloopError } from '../domain/errors.js';
import { RECORD_BYTES } from './twin-layout.js';

/**
 * A twin record as the store keeps it (checkpoints' twin snapshots and history snapshots), in
 * one of three forms, told apart by length and first byte (decision 0039):
 *
 * - **sparse** (written since decision 0039): `[0xff, 1, length u16 LE]`, then a bitmap of the
 *   record's 8-byte groups holding a non-zero byte, then each such group's byte mask, then the
 *   non-zero bytes in order. About four fifths of a record are zeros (rings of days and months
 *   the customer has not used, empty slots): a 3,152-byte record keeps in about 890 bytes, 4 %
 *   more than deflate's 857, for an eighth of its CPU. Every checkpoint packs every twin a live
 *   day touched (the default world's 24,000 every 30 s): deflating each with its own zlib handle
 *   was 34 % of the live server's main thread (BENCHMARKS.md, "The checkpoint's packing").
 * - **deflated** (raw deflate, level 1: stores written from 2026-12 until decision 0039), read
 *   as before; no raw deflate stream starts with 0xff (block type 3 is reserved), so the two
 *   never meet.
 * - **raw**: exactly `RECORD_BYTES` (stores written before records were packed, or a record
 *   that would not shrink).
 */
const MARK = 0xff;
/** The sparse form's version (the byte after the mark). */
const SPARSE = 1;
const HEADER_BYTES = 4;
/** 8-byte groups of a record: one bit each in the group bitmap, one mask byte each kept. */
const GROUPS = Math.ceil(RECORD_BYTES / 8);
const BITMAP_BYTES = Math.ceil(GROUPS / 8);

// Scratch space of the one thread that packs (the intake's); a pack never yields, so one is enough.
const masks = new Uint8Array(GROUPS);
const literals = new Uint8Array(RECORD_BYTES);

/**
 * The record in the form the store keeps it: sparse, or raw (a copy) when that would not be
 * smaller. `bytes` may be the twin table's record in place (`TwinEngine.packedSnapshot`): what is
 * returned never shares its memory.
 */
export function packTwinRecord(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== RECORD_BYTES) throw new TwinloopError('INTERNAL', `a twin record is ${RECORD_BYTES} bytes, got ${bytes.length}`);
  // A record sliced from the twin table is 8-byte aligned: a zero group is skipped in two word reads.
  const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, RECORD_BYTES / 4) : undefined;
  let kept = 0;
  let nonZeroGroups = 0;
  for (let g = 0; g < GROUPS; g++) {
    if (words && words[2 * g] === 0 && words[2 * g + 1] === 0) {
      masks[g] = 0;
      continue;
    }
    let mask = 0;
    const base = g * 8;
    for (let k = 0; k < 8; k++) {
      const x = bytes[base + k];
      if (x !== 0) {
        mask |= 1 << k;
        literals[kept++] = x;
      }
    }
    masks[g] = mask;
    if (mask !== 0) nonZeroGroups++;
  }
  const size = HEADER_BYTES + BITMAP_BYTES + nonZeroGroups + kept;
  if (size >= RECORD_BYTES) return bytes.slice();
  const out = new Uint8Array(size);
  out[0] = MARK;
  out[1] = SPARSE;
  out[2] = RECORD_BYTES & 0xff;
  out[3] = RECORD_BYTES >>> 8;
  let at = HEADER_BYTES + BITMAP_BYTES;
  for (let g = 0; g < GROUPS; g++) {
    const mask = masks[g];
    if (mask === 0) continue;
    out[HEADER_BYTES + (g >>> 3)] |= 1 << (g & 7);
    out[at++] = mask;
  }
  out.set(literals.subarray(0, kept), at);
  return out;
}

/**
 * The record kept by `packTwinRecord` (any of its forms), or undefined when it is not a record of
 * this build's layout (a store written by a build with another layout, decision 0001: the caller
 * rebuilds the twin from its events instead) or not a record at all.
 */
export function unpackTwinRecord(kept: Uint8Array): Uint8Array | undefined {
  if (kept.length === RECORD_BYTES) return kept;
  if (kept[0] === MARK) return unpackSparse(kept);
  let bytes: Uint8Array;
  try {
    bytes = inflateRawSync(kept);
  } catch {
    return undefined;
  }
  return bytes.length === RECORD_BYTES ? bytes : undefined;
}

function unpackSparse(kept: Uint8Array): Uint8Array | undefined {
  if (kept.length < HEADER_BYTES + BITMAP_BYTES || kept[1] !== SPARSE || (kept[2] | (kept[3] << 8)) !== RECORD_BYTES) return undefined;
  let maskAt = HEADER_BYTES + BITMAP_BYTES;
  let literalAt = maskAt;
  for (let i = 0; i < BITMAP_BYTES; i++) literalAt += popCount(kept[HEADER_BYTES + i]);
  if (literalAt > kept.length) return undefined;
  const out = new Uint8Array(RECORD_BYTES);
  for (let i = 0; i < BITMAP_BYTES; i++) {
    for (let bits = kept[HEADER_BYTES + i]; bits !== 0; bits &= bits - 1) {
      const g = i * 8 + (31 - Math.clz32(bits & -bits));
      if (g >= GROUPS) return undefined;
      let mask = kept[maskAt++];
      const base = g * 8;
      for (; mask !== 0; mask &= mask - 1) {
        if (literalAt >= kept.length) return undefined;
        out[base + (31 - Math.clz32(mask & -mask))] = kept[literalAt++];
      }
    }
  }
  // Every byte accounted for: a record of another layout or damaged bytes are not taken for one.
  return literalAt === kept.length ? out : undefined;
}

function popCount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}
