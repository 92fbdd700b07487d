import { TwinloopError } from '../domain/errors.js';
import type { AcceptedEvent, AppliedListener } from './intake.js';

/**
 * Which customers are on which radio cell, learned from the `network_impact` events the intake
 * applies: every incident that touched a customer on a cell is one sighting there. A customer's
 * home cell is touched by every incident on it, a visited cell only now and then, so ranking by
 * sightings puts home customers first. Memory is bounded per cell and per customer.
 */

/** A customer's presence on one cell. */
export interface CellPresence {
  readonly cellId: string;
  readonly siteId?: string;
  /** Distinct incidents seen touching the customer on this cell. */
  readonly incidents: number;
  /** Event time (ms) of the latest sighting. */
  readonly lastSeenMs: number;
}

/** A customer found on a cell (or a site), with how often and how recently. */
export interface CellCustomer {
  readonly customerId: string;
  readonly incidents: number;
  readonly lastSeenMs: number;
}

/** Bounds of a cell index. */
export interface CellIndexOptions {
  /** Customers kept per cell; beyond it the least recently seen are forgotten. */
  readonly maxCustomersPerCell?: number;
  /** Cells kept per customer; beyond it the least seen cell is forgotten. */
  readonly maxCellsPerCustomer?: number;
}

/** 20k customers on one cell is far above a real macro cell's subscribers (a few thousand). */
export const DEFAULT_MAX_CUSTOMERS_PER_CELL = 20_000;
/** A home cell and a handful of regularly visited ones; more says nothing about where they are. */
export const DEFAULT_MAX_CELLS_PER_CUSTOMER = 8;

interface Entry {
  incidents: number;
  lastSeenMs: number;
  /** The incident last counted, so that its start and end events count once. */
  lastIncident: string;
}

/** Which customers are on which cell; see the module comment. */
export class CellIndex {
  private readonly cells = new Map<string, Map<string, Entry>>();
  private readonly customerCells = new Map<string, string[]>();
  private readonly sites = new Map<string, Set<string>>();
  private readonly siteOfCell = new Map<string, string>();
  private readonly maxPerCell: number;
  private readonly maxCells: number;

  constructor(options: CellIndexOptions = {}) {
    this.maxPerCell = options.maxCustomersPerCell ?? DEFAULT_MAX_CUSTOMERS_PER_CELL;
    this.maxCells = options.maxCellsPerCustomer ?? DEFAULT_MAX_CELLS_PER_CUSTOMER;
    if (!Number.isInteger(this.maxPerCell) || this.maxPerCell < 1 || !Number.isInteger(this.maxCells) || this.maxCells < 1) {
      throw new TwinloopError('BAD_INPUT', 'cell index: maxCustomersPerCell and maxCellsPerCustomer must be positive integers');
    }
  }

  /** Listens to the intake's applied events; returns the function that stops listening. */
  attach(intake: { onApplied(listener: AppliedListener): () => void }): () => void {
    return intake.onApplied((events) => this.observe(events));
  }

  /** Learns from accepted events (anything but `network_impact` is skipped). */
  observe(events: readonly AcceptedEvent[]): void {
    for (const { event, time } of events) {
      if (event.kind !== 'network_impact') continue;
      const d = event.data;
      this.record(event.customerId, d.cellId, d.incidentId, time, d.siteId);
    }
  }

  /** Records one sighting of a customer on a cell during an incident (repeats of an incident count once). */
  record(customerId: string, cellId: string, incidentId: string, timeMs: number, siteId?: string): void {
    if (siteId !== undefined && !this.siteOfCell.has(cellId)) {
      this.siteOfCell.set(cellId, siteId);
      let cells = this.sites.get(siteId);
      if (!cells) this.sites.set(siteId, (cells = new Set()));
      cells.add(cellId);
    }
    let onCell = this.cells.get(cellId);
    if (!onCell) this.cells.set(cellId, (onCell = new Map()));
    const entry = onCell.get(customerId);
    if (entry) {
      if (entry.lastIncident !== incidentId) entry.incidents++;
      entry.lastIncident = incidentId;
      entry.lastSeenMs = Math.max(entry.lastSeenMs, timeMs);
      return;
    }
    onCell.set(customerId, { incidents: 1, lastSeenMs: timeMs, lastIncident: incidentId });
    const mine = this.customerCells.get(customerId);
    if (mine) mine.push(cellId);
    else this.customerCells.set(customerId, [cellId]);
    if (mine && mine.length > this.maxCells) this.forgetLeastSeenCell(customerId, mine, cellId);
    if (onCell.size > this.maxPerCell) this.forgetStalest(cellId, onCell, customerId);
  }

  /**
   * Customers seen on `cellId`, most sightings first (home customers before visitors), then the
   * most recently seen. `sinceMs` leaves out customers not seen there since; `limit` cuts the list.
   */
  customersOn(cellId: string, options: { sinceMs?: number; limit?: number } = {}): string[] {
    return this.rankedOn([cellId], options).map((c) => c.customerId);
  }

  /** Like `customersOn`, with the counts; over several cells a customer's sightings add up. */
  rankedOn(cellIds: readonly string[], options: { sinceMs?: number; limit?: number } = {}): CellCustomer[] {
    const since = options.sinceMs ?? -Infinity;
    const merged = new Map<string, { incidents: number; lastSeenMs: number }>();
    for (const cellId of cellIds) {
      for (const [customerId, e] of this.cells.get(cellId) ?? []) {
        if (e.lastSeenMs < since) continue;
        const m = merged.get(customerId);
        if (m) {
          m.incidents += e.incidents;
          m.lastSeenMs = Math.max(m.lastSeenMs, e.lastSeenMs);
        } else merged.set(customerId, { incidents: e.incidents, lastSeenMs: e.lastSeenMs });
      }
    }
    const out = [...merged].map(([customerId, m]) => ({ customerId, ...m }));
    out.sort((a, b) => b.incidents - a.incidents || b.lastSeenMs - a.lastSeenMs || (a.customerId < b.customerId ? -1 : 1));
    return options.limit === undefined ? out : out.slice(0, options.limit);
  }

  /** The cells seen on a site (cells learn their site from the events that name it). */
  cellsOfSite(siteId: string): string[] {
    return [...(this.sites.get(siteId) ?? [])].sort();
  }

  /** Customers on any cell of the site, ranked as `rankedOn` ranks them. */
  customersOnSite(siteId: string, options: { sinceMs?: number; limit?: number } = {}): string[] {
    return this.rankedOn(this.cellsOfSite(siteId), options).map((c) => c.customerId);
  }

  /** Where a customer has been seen, most sightings first. */
  cellsOf(customerId: string): CellPresence[] {
    const out: CellPresence[] = [];
    for (const cellId of this.customerCells.get(customerId) ?? []) {
      const e = this.cells.get(cellId)?.get(customerId);
      if (e) out.push({ cellId, siteId: this.siteOfCell.get(cellId), incidents: e.incidents, lastSeenMs: e.lastSeenMs });
    }
    return out.sort((a, b) => b.incidents - a.incidents || b.lastSeenMs - a.lastSeenMs);
  }

  /** Cells and customer-cell pairs held (for memory monitoring). */
  get size(): { cells: number; customers: number; presences: number } {
    let presences = 0;
    for (const m of this.cells.values()) presences += m.size;
    return { cells: this.cells.size, customers: this.customerCells.size, presences };
  }

  private forgetLeastSeenCell(customerId: string, mine: string[], keep: string): void {
    let worst = -1;
    let worstEntry: Entry | undefined;
    for (let i = 0; i < mine.length; i++) {
      if (mine[i] === keep) continue;
      const e = this.cells.get(mine[i])?.get(customerId);
      if (!e) continue;
      if (!worstEntry || e.incidents < worstEntry.incidents || (e.incidents === worstEntry.incidents && e.lastSeenMs < worstEntry.lastSeenMs)) {
        worst = i;
        worstEntry = e;
      }
    }
    if (worst < 0) return;
    this.cells.get(mine[worst])?.delete(customerId);
    mine.splice(worst, 1);
  }

  /** Drops the least recently seen tenth of a full cell at once, so eviction is rare and amortised. */
  private forgetStalest(cellId: string, onCell: Map<string, Entry>, keep: string): void {
    const drop = Math.max(1, Math.floor(this.maxPerCell / 10));
    const stalest = [...onCell].filter(([id]) => id !== keep).sort((a, b) => a[1].lastSeenMs - b[1].lastSeenMs || a[1].incidents - b[1].incidents);
    for (const [customerId] of stalest.slice(0, drop)) {
      onCell.delete(customerId);
      const mine = this.customerCells.get(customerId);
      if (!mine) continue;
      const at = mine.indexOf(cellId);
      if (at >= 0) mine.splice(at, 1);
      if (mine.length === 0) this.customerCells.delete(customerId);
    }
  }
}
