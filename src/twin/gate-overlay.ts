import type { CustomerGate, TwinEngine } from './twin-engine.js';

/**
 * What the intake's checks know of each customer as the units checked but not yet applied leave
 * them (`Intake`: a unit is checked on top of the units before it, as if they were applied):
 * the customer's gate (registered, since when, latest event time) where a unit in flight changed
 * it, else the engine's. Kept by the twin's slot in typed arrays (a customer without a slot yet,
 * a new one, in a small map): the checks of every event read and write it, and a map entry and a
 * gate object per event were a fifth of the history pass's allocations (issue 16). Cleared in
 * O(1) (a generation stamp) when the last unit in flight is out.
 */
export class GateOverlay {
  private generation = 1;
  private stamps = new Uint32Array(1024);
  private exists = new Uint8Array(1024);
  private since = new Float64Array(1024);
  private watermark = new Float64Array(1024);
  /** Customers the engine has no slot for (not applied yet): their gates, by id. */
  private readonly unslotted = new Map<string, CustomerGate>();
  private readonly scratch: CustomerGate = { exists: false, since: 0, watermark: 0 };

  constructor(private readonly engine: TwinEngine) {}

  /**
   * The customer's gate as the units in flight leave it, or undefined when unknown. The object
   * is reused by the next call (as `TwinEngine.gate`'s is): read it before calling again.
   */
  gate(customerId: string): CustomerGate | undefined {
    if (this.unslotted.size > 0) {
      const g = this.unslotted.get(customerId);
      if (g !== undefined) return g;
    }
    const slot = this.engine.table.slotOf(customerId);
    if (slot === undefined) return undefined;
    if (slot < this.stamps.length && this.stamps[slot] === this.generation) {
      const g = this.scratch;
      g.exists = this.exists[slot] === 1;
      g.since = this.since[slot];
      g.watermark = this.watermark[slot];
      return g;
    }
    return this.engine.gateAt(slot);
  }

  /** Records the customer's gate once a checked event passes (the units after it see this). */
  set(customerId: string, exists: boolean, since: number, watermark: number): void {
    if (this.unslotted.size > 0) {
      const g = this.unslotted.get(customerId);
      if (g !== undefined) {
        g.exists = exists;
        g.since = since;
        g.watermark = watermark;
        return;
      }
    }
    // The table remembers the slot `gate` just found for this customer (`TwinTable.slotOf`).
    const slot = this.engine.table.slotOf(customerId);
    if (slot === undefined) {
      this.unslotted.set(customerId, { exists, since, watermark });
      return;
    }
    if (slot >= this.stamps.length) this.grow(slot);
    this.stamps[slot] = this.generation;
    this.exists[slot] = exists ? 1 : 0;
    this.since[slot] = since;
    this.watermark[slot] = watermark;
  }

  /** Forgets every gate recorded: the engine stands for them all again. */
  clear(): void {
    this.unslotted.clear();
    if (++this.generation === 0xffff_ffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  private grow(slot: number): void {
    const n = Math.max(slot + 1, this.stamps.length * 2);
    const stamps = new Uint32Array(n);
    stamps.set(this.stamps);
    const exists = new Uint8Array(n);
    exists.set(this.exists);
    const since = new Float64Array(n);
    since.set(this.since);
    const watermark = new Float64Array(n);
    watermark.set(this.watermark);
    [this.stamps, this.exists, this.since, this.watermark] = [stamps, exists, since, watermark];
  }
}
