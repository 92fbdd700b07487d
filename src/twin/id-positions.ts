import { fnv1aCarry, FNV_START } from '../domain/string-hash.js';

/**
 * The positions of the ids taken so far in one unit of the intake (a resend of one later in the
 * same unit is answered as a duplicate): an open-addressed table over FNV-1a of each id, in typed
 * arrays kept from unit to unit and cleared in O(1) by a generation stamp. It holds positions, not
 * the events (the caller reads an id at a position to confirm a match): nothing it keeps holds an
 * event past its unit, and a `Map` per unit was a seventh of the history pass's allocations
 * (its tables grown anew for every 5,000 ids; issue 16).
 */
export class IdPositions {
  private generation = 1;
  private stamps = new Uint32Array(1 << 14);
  private hashes = new Int32Array(1 << 14);
  private positions = new Int32Array(1 << 14);
  private count = 0;

  /** The position `id` was added at in this unit, or -1. `idAt` reads the id at a position. */
  find(id: string, idAt: (position: number) => string): number {
    const h = hashId(id);
    const mask = this.stamps.length - 1;
    for (let i = h & mask; this.stamps[i] === this.generation; i = (i + 1) & mask) {
      if (this.hashes[i] === h && idAt(this.positions[i]) === id) return this.positions[i];
    }
    return -1;
  }

  /** Adds `id` (not in the table: `find` said so) at `position`. */
  add(id: string, position: number): void {
    // At most half full, so that a probe ends soon.
    if (2 * (this.count + 1) > this.stamps.length) this.grow();
    this.put(hashId(id), position);
    this.count++;
  }

  /** Forgets every id (the next unit starts empty). */
  clear(): void {
    this.count = 0;
    if (++this.generation === 0xffff_ffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  private put(h: number, position: number): void {
    const mask = this.stamps.length - 1;
    let i = h & mask;
    while (this.stamps[i] === this.generation) i = (i + 1) & mask;
    this.stamps[i] = this.generation;
    this.hashes[i] = h;
    this.positions[i] = position;
  }

  private grow(): void {
    const { stamps, hashes, positions, generation } = this;
    this.stamps = new Uint32Array(stamps.length * 2);
    this.hashes = new Int32Array(stamps.length * 2);
    this.positions = new Int32Array(stamps.length * 2);
    this.generation = 1;
    for (let i = 0; i < stamps.length; i++) if (stamps[i] === generation) this.put(hashes[i], positions[i]);
  }
}

/** FNV-1a of an id's code units, as a signed 32-bit integer (kept unboxed). */
const hashId = (id: string): number => fnv1aCarry(FNV_START, id);
