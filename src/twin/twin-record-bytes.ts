import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { RECORD_BYTES } from './twin-layout.js';

/**
 * A twin record as the store keeps it (checkpoints' twin snapshots and history snapshots):
 * deflated at level 1. About four fifths of a record are zeros (rings of days and months the
 * customer has not used, empty slots), so a 3,152-byte record keeps in about 840 bytes; the
 * default world's 24,000 twin snapshots took about 100 MB raw (a row of them nearly fills a
 * 4 KiB page). A record that would not shrink is kept raw, so a kept record of exactly
 * `RECORD_BYTES` is always raw: stores written before this (raw twin snapshots) read as they are.
 */
export function packTwinRecord(bytes: Uint8Array): Uint8Array {
  const packed = deflateRawSync(bytes, { level: 1 });
  return packed.length < RECORD_BYTES ? packed : bytes;
}

/**
 * The record kept by `packTwinRecord`, or undefined when it is not a record of this build's
 * layout (a store written by a build with another layout, decision 0001: the caller rebuilds the
 * twin from its events instead) or not a record at all.
 */
export function unpackTwinRecord(kept: Uint8Array): Uint8Array | undefined {
  if (kept.length === RECORD_BYTES) return kept;
  let bytes: Uint8Array;
  try {
    bytes = inflateRawSync(kept);
  } catch {
    return undefined;
  }
  return bytes.length === RECORD_BYTES ? bytes : undefined;
}
