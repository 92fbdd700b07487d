import { RECORD_BYTES } from './twin-layout.js';

/** Twins per slab: 1,024 records of ~3 KB is a 3 MB allocation, small enough to grow in steps. */
const CHUNK_BITS = 10;
const CHUNK = 1 << CHUNK_BITS;

/**
 * A view of one twin record: typed arrays over its slab and the record's byte offset there.
 * Reducers and feature readers index `f64[(base + OFF.x) >> 3]` and so on.
 */
export interface TwinCursor {
  f64: Float64Array;
  i32: Int32Array;
  u32: Uint32Array;
  u16: Uint16Array;
  u8: Uint8Array;
  base: number;
}

interface Slab {
  buffer: ArrayBuffer;
  view: TwinCursor;
}

function newSlab(records: number): Slab {
  const buffer = new ArrayBuffer(records * RECORD_BYTES);
  return {
    buffer,
    view: {
      f64: new Float64Array(buffer),
      i32: new Int32Array(buffer),
      u32: new Uint32Array(buffer),
      u16: new Uint16Array(buffer),
      u8: new Uint8Array(buffer),
      base: 0,
    },
  };
}

/**
 * Compact storage of every twin: customer id → slot, slots packed in fixed-size slabs.
 * Slots are handed out in first-seen order and never move.
 */
export class TwinTable {
  private readonly slabs: Slab[] = [];
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  /** The last customer `slotOf` found, and its slot (slots never move, so it never goes stale). */
  private lastId: string | undefined;
  private lastSlot = 0;

  get size(): number {
    return this.ids.length;
  }

  slotOf(customerId: string): number | undefined {
    // The customer just looked up is often asked again at once (checked, then applied; applied,
    // then re-scored): the same string object compares in one step, a map lookup hashes it.
    if (customerId === this.lastId) return this.lastSlot;
    const slot = this.index.get(customerId);
    if (slot !== undefined) {
      this.lastId = customerId;
      this.lastSlot = slot;
    }
    return slot;
  }

  idAt(slot: number): string {
    return this.ids[slot];
  }

  /** The slot of a customer, allocating a zeroed record when it is new. */
  ensure(customerId: string): number {
    const found = this.slotOf(customerId);
    if (found !== undefined) return found;
    const slot = this.ids.length;
    if (slot >> CHUNK_BITS >= this.slabs.length) this.slabs.push(newSlab(CHUNK));
    this.ids.push(customerId);
    this.index.set(customerId, slot);
    return slot;
  }

  /** Points `cursor` at the record of `slot` (no allocation; reuse one cursor in hot loops). */
  point(slot: number, cursor: TwinCursor): TwinCursor {
    const slab = this.slabs[slot >> CHUNK_BITS].view;
    cursor.f64 = slab.f64;
    cursor.i32 = slab.i32;
    cursor.u32 = slab.u32;
    cursor.u16 = slab.u16;
    cursor.u8 = slab.u8;
    cursor.base = (slot & (CHUNK - 1)) * RECORD_BYTES;
    return cursor;
  }

  /** A copy of the record's bytes (a snapshot). */
  bytes(slot: number): Uint8Array {
    const slab = this.slabs[slot >> CHUNK_BITS].view;
    const base = (slot & (CHUNK - 1)) * RECORD_BYTES;
    return slab.u8.slice(base, base + RECORD_BYTES);
  }

  /**
   * The record's bytes in place, no copy: they change with the next event applied to it, so read
   * them at once (a checkpoint packs them, `twin-record-bytes.ts`, without copying them first).
   */
  record(slot: number): Uint8Array {
    const slab = this.slabs[slot >> CHUNK_BITS].view;
    const base = (slot & (CHUNK - 1)) * RECORD_BYTES;
    return slab.u8.subarray(base, base + RECORD_BYTES);
  }

  /** Overwrites the record of `slot` with snapshot bytes. */
  load(slot: number, bytes: Uint8Array): void {
    if (bytes.length !== RECORD_BYTES) {
      throw new Error(`twin snapshot is ${bytes.length} bytes, this build's record is ${RECORD_BYTES}`);
    }
    const slab = this.slabs[slot >> CHUNK_BITS].view;
    slab.u8.set(bytes, (slot & (CHUNK - 1)) * RECORD_BYTES);
  }

  /** Zeroes the record of `slot`: the twin reads as never seen, and events applied to it start it afresh. */
  clear(slot: number): void {
    const slab = this.slabs[slot >> CHUNK_BITS].view;
    const base = (slot & (CHUNK - 1)) * RECORD_BYTES;
    slab.u8.fill(0, base, base + RECORD_BYTES);
  }

  /** Bytes held by the slabs (the record storage, without the id index). */
  get slabBytes(): number {
    return this.slabs.length * CHUNK * RECORD_BYTES;
  }
}

/** A cursor not yet pointed anywhere. */
export function emptyCursor(): TwinCursor {
  return { f64: new Float64Array(0), i32: new Int32Array(0), u32: new Uint32Array(0), u16: new Uint16Array(0), u8: new Uint8Array(0), base: 0 };
}

/** A standalone single-record cursor (for rebuilding a twin as of a past time). */
export function scratchCursor(): TwinCursor {
  return newSlab(1).view;
}
