import { hash53 } from './id-hash.js';
import { CELL_SLOTS, OFF, U16_MAX } from './twin-layout.js';
import { emptyCursor, type TwinCursor, type TwinTable } from './twin-table.js';
import { dayOf } from './twin-time.js';
import { DAY_MS } from '../domain/time.js';

/** Customers seen on one cell or site lately (`TwinCells.presence`). */
export interface PlacePresence {
  /** Customers seen there. */
  customers: number;
  /** The sum of those customers' shares of their usage records that were there (each share at most 1). */
  usageShare: number;
}

/** Who is where lately, every cell and site at once. */
export interface CellsPresence {
  /** Customers with at least one cell, seen lately or not. */
  customers: number;
  /** By cell id, and by site id (a customer on two cells of a site counts once there); absent: nobody. */
  cells: ReadonlyMap<string, PlacePresence>;
  sites: ReadonlyMap<string, PlacePresence>;
}

/**
 * Where each customer is on the network, from their own usage records: every usage event that
 * names its cell (as a CDR does) counts one record on that cell in the twin. A twin keeps
 * CELL_SLOTS cells: its home cell (most records) and the most frequent others. Records add up
 * and the last day seen is a maximum, so any arrival order gives the same state until a twin
 * meets more cells than it has slots; then a cell not seen for CELL_STALE_DAYS gives way first
 * (a customer who moved), else the one with the fewest records.
 */

/** A cell not seen for this long gives way first when a new one needs its slot. */
export const CELL_STALE_DAYS = 30;

/** One of a customer's cells, as the twin holds it. */
export interface CellPresence {
  cellId: string;
  siteId: string | null;
  /** Usage records served by this cell. */
  records: number;
  /** Event time (ms) of the day of the latest record here. */
  lastSeenMs: number;
}

/** A customer found on the asked cells, with their records there. */
export interface CellCustomer {
  customerId: string;
  records: number;
  /** The customer's usage records on all the cells the twin keeps (the share's denominator). */
  totalRecords: number;
  /** The most records on any one of the customer's other cells (0 when the asked cells are all they use). */
  topOtherRecords: number;
  lastSeenMs: number;
}

const f = (c: TwinCursor, off: number) => (c.base + off) >> 3;
const h = (c: TwinCursor, off: number) => (c.base + off) >> 1;

/** The cell names a twin's hashed cells stand for (`NameBook` holds them). */
export interface CellNames {
  readonly cells: ReadonlyMap<number, string>;
  readonly cellSites: ReadonlyMap<number, string>;
  cell(hash: number, name: string, siteId: string | undefined): void;
}

/** Counts one usage record on cell `cellId` (of site `siteId`) at event time `time`. */
export function applyUsageCell(c: TwinCursor, cellId: string, siteId: string | undefined, time: number, names: Pick<CellNames, 'cell'>): void {
  const cellHash = hash53(cellId);
  names.cell(cellHash, cellId, siteId);
  const day = Math.min(U16_MAX, Math.max(0, dayOf(time)));
  let slot = -1;
  let free = -1;
  for (let s = 0; s < CELL_SLOTS; s++) {
    const k = c.f64[f(c, OFF.cellHash) + s];
    if (k === cellHash) {
      slot = s;
      break;
    }
    if (k === 0 && free < 0) free = s;
  }
  if (slot < 0) {
    slot = free >= 0 ? free : evictable(c, day);
    c.f64[f(c, OFF.cellHash) + slot] = cellHash;
    c.u16[h(c, OFF.cellRecords) + slot] = 0;
    c.u16[h(c, OFF.cellLastDay) + slot] = 0;
  }
  const r = h(c, OFF.cellRecords) + slot;
  if (c.u16[r] < U16_MAX) c.u16[r]++;
  const l = h(c, OFF.cellLastDay) + slot;
  if (day > c.u16[l]) c.u16[l] = day;
}

/** The slot a new cell takes when all are used: stale ones first, then the fewest records. */
function evictable(c: TwinCursor, day: number): number {
  let best = 0;
  let bestKey = Infinity;
  for (let s = 0; s < CELL_SLOTS; s++) {
    const last = c.u16[h(c, OFF.cellLastDay) + s];
    const records = c.u16[h(c, OFF.cellRecords) + s];
    const key = (day - last > CELL_STALE_DAYS ? 0 : U16_MAX + 1) + records;
    if (key < bestKey || (key === bestKey && last < c.u16[h(c, OFF.cellLastDay) + best])) [best, bestKey] = [s, key];
  }
  return best;
}

/** The cells of the record under `c`, most records first. */
export function readCells(c: TwinCursor, names: CellNames): CellPresence[] {
  const out: CellPresence[] = [];
  for (let s = 0; s < CELL_SLOTS; s++) {
    const k = c.f64[f(c, OFF.cellHash) + s];
    if (k === 0) continue;
    out.push({
      cellId: names.cells.get(k) ?? `#${k}`,
      siteId: names.cellSites.get(k) ?? null,
      records: c.u16[h(c, OFF.cellRecords) + s],
      lastSeenMs: c.u16[h(c, OFF.cellLastDay) + s] * DAY_MS,
    });
  }
  return out.sort((a, b) => b.records - a.records || b.lastSeenMs - a.lastSeenMs || (a.cellId < b.cellId ? -1 : 1));
}

/**
 * Reads the twins' cells across the population: who is on a cell or a site, by their records
 * there. A scan of the twin table (4 slots a twin: 20,000 twins in well under a millisecond),
 * so there is no second index to keep in step with the twins, checkpoints or replays.
 */
export class TwinCells {
  private readonly cursor = emptyCursor();
  private readonly tally = new PlaceTally();
  /** `presence`'s site number of each of a twin's cell slots (-1: none counted). */
  private readonly slotSites = new Int32Array(CELL_SLOTS);

  constructor(
    private readonly table: TwinTable,
    private readonly names: CellNames,
  ) {}

  /**
   * Customers with records on any of `cellIds`, most records first (home customers before
   * visitors), then the most recently seen; `sinceMs` leaves out those not seen there since.
   */
  rankedOn(cellIds: readonly string[], options: { sinceMs?: number } = {}): CellCustomer[] {
    const wanted = new Set(cellIds.map(hash53));
    const sinceDay = options.sinceMs === undefined ? -Infinity : Math.floor(options.sinceMs / DAY_MS);
    const out: CellCustomer[] = [];
    if (wanted.size === 0) return out;
    for (let slot = 0; slot < this.table.size; slot++) {
      const c = this.table.point(slot, this.cursor);
      let records = 0;
      let total = 0;
      let topOther = 0;
      let last = -1;
      for (let s = 0; s < CELL_SLOTS; s++) {
        const n = c.u16[h(c, OFF.cellRecords) + s];
        total += n;
        if (!wanted.has(c.f64[f(c, OFF.cellHash) + s])) {
          topOther = Math.max(topOther, n);
          continue;
        }
        const day = c.u16[h(c, OFF.cellLastDay) + s];
        if (day < sinceDay) continue;
        records += c.u16[h(c, OFF.cellRecords) + s];
        last = Math.max(last, day);
      }
      if (records > 0) out.push({ customerId: this.table.idAt(slot), records, totalRecords: total, topOtherRecords: topOther, lastSeenMs: last * DAY_MS });
    }
    return out.sort((a, b) => b.records - a.records || b.lastSeenMs - a.lastSeenMs || (a.customerId < b.customerId ? -1 : 1));
  }

  /**
   * Every cell's and site's customers seen there since `sinceMs`, in one scan of the twin table:
   * per place, what `rankedOn` of that place gives (its customers, and the sum of each one's
   * records there over all their records), and the customers with at least one cell.
   */
  presence(sinceMs: number): CellsPresence {
    const sinceDay = Math.floor(sinceMs / DAY_MS);
    // Tallied by place number in typed arrays, not a map entry a place and twin: the detector asks
    // once a day of event time and the scan was a tenth of the first start's history pass (issue 16).
    const tally = this.tally;
    tally.begin();
    const site = this.slotSites;
    let customers = 0;
    for (let slot = 0; slot < this.table.size; slot++) {
      const c = this.table.point(slot, this.cursor);
      const hashes = f(c, OFF.cellHash);
      const records = h(c, OFF.cellRecords);
      const days = h(c, OFF.cellLastDay);
      if (c.f64[hashes] !== 0 || c.f64[hashes + CELL_SLOTS - 1] !== 0) customers++;
      let total = 0;
      for (let s = 0; s < CELL_SLOTS; s++) total += c.u16[records + s];
      for (let s = 0; s < CELL_SLOTS; s++) {
        const k = c.f64[hashes + s];
        const n = c.u16[records + s];
        site[s] = -1;
        if (k === 0 || n === 0 || c.u16[days + s] < sinceDay) continue;
        const cell = tally.cellOf(k, this.names);
        tally.addCell(cell, n / Math.max(n, total));
        site[s] = tally.siteOfCell(cell);
      }
      // A site once per customer, with the records of all its cells the customer was seen on.
      for (let s = 0; s < CELL_SLOTS; s++) {
        const id = site[s];
        if (id < 0 || firstAt(site, id) < s) continue;
        let n = 0;
        for (let t = s; t < CELL_SLOTS; t++) if (site[t] === id) n += c.u16[records + t];
        tally.addSite(id, n / Math.max(n, total));
      }
    }
    return { customers, ...tally.end(this.names) };
  }

  /** Customers on `cellId`, ranked as `rankedOn` ranks them. */
  customersOn(cellId: string, options: { sinceMs?: number } = {}): string[] {
    return this.rankedOn([cellId], options).map((x) => x.customerId);
  }

  /** The cells known on a site (from the usage records that name both). */
  cellsOfSite(siteId: string): string[] {
    const out: string[] = [];
    for (const [k, site] of this.names.cellSites) if (site === siteId) out.push(this.names.cells.get(k) ?? `#${k}`);
    return out.sort();
  }

  /** Cells named so far, and customers with at least one cell (for monitoring). */
  size(): { cells: number; customers: number } {
    let customers = 0;
    for (let slot = 0; slot < this.table.size; slot++) {
      const c = this.table.point(slot, this.cursor);
      if (c.f64[f(c, OFF.cellHash)] !== 0 || c.f64[f(c, OFF.cellHash) + CELL_SLOTS - 1] !== 0) customers++;
    }
    return { cells: this.names.cells.size, customers };
  }

  /** Where a customer's usage comes from, most records first; empty for an unknown customer. */
  cellsOf(customerId: string): CellPresence[] {
    const slot = this.table.slotOf(customerId);
    return slot === undefined ? [] : readCells(this.table.point(slot, this.cursor), this.names);
  }
}

/**
 * `TwinCells.presence`'s counts: places numbered once (cells by hash, sites by id) and kept from
 * call to call, so a scan adds into typed arrays; each call starts from zero and hands back maps
 * of the places it counted, in the order it first met them (as a map per scan did).
 */
class PlaceTally {
  /**
   * Cell numbers by hash: open addressing on the hash's low bits (a `Map` keyed by 53-bit numbers
   * cost more than the rest of the scan). `slotHashes[i]` 0: free (no cell hashes to 0).
   */
  private slotHashes = new Float64Array(1024);
  private slotNumbers = new Int32Array(1024);
  private readonly cellHashes: number[] = [];
  private readonly siteNumbers = new Map<string, number>();
  private readonly siteIds: string[] = [];
  private cellCustomers = new Int32Array(256);
  private cellShares = new Float64Array(256);
  /** Each cell's site number in this call: -2 not looked up yet, -1 none. */
  private cellSites = new Int32Array(256);
  private siteCustomers = new Int32Array(64);
  private siteShares = new Float64Array(64);
  private readonly cellsMet: number[] = [];
  private readonly sitesMet: number[] = [];

  begin(): void {
    this.cellCustomers.fill(0);
    this.cellShares.fill(0);
    this.cellSites.fill(-2);
    this.siteCustomers.fill(0);
    this.siteShares.fill(0);
    this.cellsMet.length = 0;
    this.sitesMet.length = 0;
  }

  cellOf(hash: number, names: CellNames): number {
    const mask = this.slotHashes.length - 1;
    let i = (hash >>> 0) & mask;
    while (this.slotHashes[i] !== hash && this.slotHashes[i] !== 0) i = (i + 1) & mask;
    let n: number;
    if (this.slotHashes[i] === hash) n = this.slotNumbers[i];
    else {
      n = this.cellHashes.length;
      this.cellHashes.push(hash);
      this.slotHashes[i] = hash;
      this.slotNumbers[i] = n;
      // At most half full, so a probe ends soon.
      if (2 * this.cellHashes.length > this.slotHashes.length) this.rehash();
      if (n >= this.cellCustomers.length) {
        this.cellCustomers = grown(this.cellCustomers, 0);
        this.cellShares = grown(this.cellShares, 0);
        this.cellSites = grown(this.cellSites, -2);
      }
    }
    // A cell's site is read once a call (a cell may move to another site between calls).
    if (this.cellSites[n] === -2) {
      const siteId = names.cellSites.get(hash);
      this.cellSites[n] = siteId === undefined ? -1 : this.siteOf(siteId);
    }
    return n;
  }

  siteOfCell(cell: number): number {
    return this.cellSites[cell];
  }

  addCell(cell: number, share: number): void {
    if (this.cellCustomers[cell]++ === 0) this.cellsMet.push(cell);
    this.cellShares[cell] += share;
  }

  addSite(site: number, share: number): void {
    if (this.siteCustomers[site]++ === 0) this.sitesMet.push(site);
    this.siteShares[site] += share;
  }

  end(names: CellNames): { cells: Map<string, PlacePresence>; sites: Map<string, PlacePresence> } {
    const cells = new Map<string, PlacePresence>();
    for (const n of this.cellsMet) {
      const k = this.cellHashes[n];
      cells.set(names.cells.get(k) ?? `#${k}`, { customers: this.cellCustomers[n], usageShare: this.cellShares[n] });
    }
    const sites = new Map<string, PlacePresence>();
    for (const n of this.sitesMet) sites.set(this.siteIds[n], { customers: this.siteCustomers[n], usageShare: this.siteShares[n] });
    return { cells, sites };
  }

  private rehash(): void {
    this.slotHashes = new Float64Array(this.slotHashes.length * 2);
    this.slotNumbers = new Int32Array(this.slotHashes.length);
    const mask = this.slotHashes.length - 1;
    this.cellHashes.forEach((hash, n) => {
      let i = (hash >>> 0) & mask;
      while (this.slotHashes[i] !== 0) i = (i + 1) & mask;
      this.slotHashes[i] = hash;
      this.slotNumbers[i] = n;
    });
  }

  private siteOf(siteId: string): number {
    let n = this.siteNumbers.get(siteId);
    if (n === undefined) {
      n = this.siteIds.length;
      this.siteNumbers.set(siteId, n);
      this.siteIds.push(siteId);
      if (n >= this.siteCustomers.length) {
        this.siteCustomers = grown(this.siteCustomers, 0);
        this.siteShares = grown(this.siteShares, 0);
      }
    }
    return n;
  }
}

/** The first index of `x` in `a` (-1: none); a loop, cheaper than the builtin for four slots. */
function firstAt(a: Int32Array, x: number): number {
  for (let i = 0; i < a.length; i++) if (a[i] === x) return i;
  return -1;
}

/** A typed array twice as long, its new part filled with `fill`. */
function grown<T extends Int32Array | Float64Array>(a: T, fill: number): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  b.fill(fill, a.length);
  return b;
}
