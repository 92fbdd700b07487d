import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { DAY_MS } from '../domain/time.js';
import { CELL_STALE_DAYS } from './twin-cells.js';
import { TwinEngine } from './twin-engine.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;

function register(engine: TwinEngine, id: string): void {
  const e: TwinEvent = { id: `${id}-reg`, kind: 'customer', customerId: id, time: iso(T0 - 400 * DAY_MS), source: 't', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' } };
  engine.apply(e, Date.parse(e.time));
}

function usage(engine: TwinEngine, id: string, day: number, cellId?: string, siteId?: string): void {
  const time = T0 + day * DAY_MS + 86_000_000;
  const data = { subscriptionId: 'S1', dataMb: 100, voiceMin: 5, sms: 1, roaming: false, ...(cellId ? { cellId } : {}), ...(siteId ? { siteId } : {}) };
  engine.apply({ id: `u${++seq}`, kind: 'usage', customerId: id, time: iso(time), source: 'cdr', v: 1, data }, time);
}

describe("twins' cells from their own usage records", () => {
  it('keeps home and frequent cells, and finds who is on a cell or a site from the first record', () => {
    const engine = new TwinEngine();
    for (const id of ['A', 'B', 'C']) register(engine, id);
    for (let d = 0; d < 20; d++) {
      usage(engine, 'A', d, d % 4 === 0 ? 'cell-2' : 'cell-1', 'site-0');
      usage(engine, 'B', d, 'cell-2', 'site-0');
    }
    usage(engine, 'C', 0);
    expect(engine.view('A')!.cells.map((c) => [c.cellId, c.siteId, c.records])).toEqual([['cell-1', 'site-0', 15], ['cell-2', 'site-0', 5]]);
    expect(engine.view('A')!.cells[0].lastSeen).toBe(iso(T0 + 19 * DAY_MS));
    expect(engine.view('C')!.cells).toEqual([]);
    // Home customers first, then visitors; a site reaches all of its cells.
    expect(engine.cells.rankedOn(['cell-2']).map((x) => [x.customerId, x.records])).toEqual([['B', 20], ['A', 5]]);
    // With each one's records everywhere: the share of their usage the asked cells carry.
    expect(engine.cells.rankedOn(['cell-2']).map((x) => [x.customerId, x.records / x.totalRecords])).toEqual([['B', 1], ['A', 0.25]]);
    expect(engine.cells.customersOn('cell-1')).toEqual(['A']);
    expect(engine.cells.cellsOfSite('site-0')).toEqual(['cell-1', 'cell-2']);
    expect(engine.cells.rankedOn(engine.cells.cellsOfSite('site-0')).map((x) => x.customerId)).toEqual(['A', 'B']);
    // Not seen on the cell since the horizon: left out.
    expect(engine.cells.customersOn('cell-2', { sinceMs: T0 + 17 * DAY_MS })).toEqual(['B']);
    expect(engine.cells.customersOn('cell-9')).toEqual([]);
  });

  it("answers every cell's and site's presence at once, as rankedOn answers each place", () => {
    const engine = new TwinEngine();
    const ids = ['A', 'B', 'C', 'D', 'E', 'F'];
    for (const id of ids) register(engine, id);
    // Six customers over five cells on three sites (one cell without a site), on different days.
    const places: [string, string | undefined][] = [['cell-1', 'site-0'], ['cell-2', 'site-0'], ['cell-3', 'site-1'], ['cell-4', 'site-2'], ['cell-5', undefined]];
    ids.forEach((id, k) => {
      for (let d = 0; d < 30; d++) if ((d + k) % (k + 2) !== 0) usage(engine, id, d, ...places[(d * (k + 1) + k) % Math.min(places.length, 2 + k)]);
    });
    usage(engine, 'F', 1);
    for (const since of [undefined, T0 + 20 * DAY_MS, T0 + 28 * DAY_MS, T0 + 40 * DAY_MS]) {
      const at = engine.cells.presence(since ?? -Infinity);
      const expected = (ranked: readonly { records: number; totalRecords: number }[]) => (ranked.length === 0 ? undefined : { customers: ranked.length, usageShare: ranked.reduce((sum, x) => sum + x.records / Math.max(x.records, x.totalRecords), 0) });
      for (const [cellId] of places) {
        const want = expected(engine.cells.rankedOn([cellId], { sinceMs: since }));
        expect(at.cells.get(cellId)?.customers).toBe(want?.customers);
        expect(at.cells.get(cellId)?.usageShare ?? 0).toBeCloseTo(want?.usageShare ?? 0, 12);
      }
      for (const siteId of ['site-0', 'site-1', 'site-2']) {
        const want = expected(engine.cells.rankedOn(engine.cells.cellsOfSite(siteId), { sinceMs: since }));
        expect(at.sites.get(siteId)?.customers).toBe(want?.customers);
        expect(at.sites.get(siteId)?.usageShare ?? 0).toBeCloseTo(want?.usageShare ?? 0, 12);
      }
      expect(at.customers).toBe(engine.cells.size().customers);
    }
    // Someone somewhere: the look found places, and a site counts a customer of two of its cells once.
    const all = engine.cells.presence(-Infinity);
    expect(all.sites.get('site-0')!.customers).toBeLessThan(all.cells.get('cell-1')!.customers + all.cells.get('cell-2')!.customers);
    expect(all.customers).toBe(6);
  });

  it('counts from zero at each look, with a cell on the site its records name now', () => {
    const engine = new TwinEngine();
    for (const id of ['A', 'B']) register(engine, id);
    usage(engine, 'A', 0, 'cell-1', 'site-0');
    usage(engine, 'B', 0, 'cell-1', 'site-0');
    expect(engine.cells.presence(-Infinity).sites.get('site-0')).toEqual({ customers: 2, usageShare: 2 });
    // The cell is re-homed to another site: the next look counts its customers there, once each.
    usage(engine, 'A', 1, 'cell-1', 'site-9');
    const again = engine.cells.presence(-Infinity);
    expect(again.sites.get('site-0')).toBeUndefined();
    expect(again.sites.get('site-9')).toEqual({ customers: 2, usageShare: 2 });
    expect(again.cells.get('cell-1')).toEqual({ customers: 2, usageShare: 2 });
    expect([...again.cells.keys()]).toEqual(['cell-1']);
  });

  it('a customer who moved: the new home takes the slot of a cell not seen for a month', () => {
    const engine = new TwinEngine();
    register(engine, 'M');
    for (let d = 0; d < 40; d++) usage(engine, 'M', d, `cell-${d % 4}`);
    // Months later, a fifth cell: every old one is stale, the one with the fewest records goes.
    for (let d = 40 + CELL_STALE_DAYS + 1; d < 40 + CELL_STALE_DAYS + 11; d++) usage(engine, 'M', d, 'cell-new');
    const cells = engine.view('M')!.cells;
    expect(cells).toHaveLength(4);
    expect(cells.map((c) => c.cellId)).toContain('cell-new');
    expect(engine.cells.customersOn('cell-new')).toEqual(['M']);
  });

  it('keeps the cell names through a checkpoint of the names', () => {
    const engine = new TwinEngine();
    register(engine, 'A');
    usage(engine, 'A', 0, 'cell-7', 'site-2');
    const copy = new TwinEngine();
    copy.loadMeta(engine.metaJSON());
    copy.restore('A', engine.snapshot('A')!);
    expect(copy.view('A')!.cells.map((c) => c.cellId)).toEqual(['cell-7']);
    expect(copy.cells.cellsOfSite('site-2')).toEqual(['cell-7']);
  });
});
