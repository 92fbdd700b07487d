import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { CellIndex } from './cell-index.js';
import type { AcceptedEvent, AppliedListener } from './intake.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const HOUR = 3_600_000;
let seq = 0;

function impact(customerId: string, cellId: string, incidentId: string, at: number, opts: { siteId?: string; end?: number } = {}): AcceptedEvent {
  const start = new Date(at).toISOString();
  const time = opts.end ?? at;
  const event: TwinEvent = {
    id: `e${++seq}`,
    kind: 'network_impact',
    customerId,
    time: new Date(time).toISOString(),
    source: 'test',
    v: 1,
    data: { incidentId, cellId, siteId: opts.siteId, impact: 'outage', severity: 'high', start, ...(opts.end ? { end: new Date(opts.end).toISOString() } : {}) },
  };
  return { event, time, seq };
}

describe('CellIndex', () => {
  it('ranks home customers (touched by every incident) before occasional visitors, counting an incident once', () => {
    const index = new CellIndex();
    index.observe([
      impact('HOME', 'cell-1', 'INC-1', T0, { siteId: 'site-0' }),
      impact('VISITOR', 'cell-1', 'INC-1', T0, { siteId: 'site-0' }),
      impact('HOME', 'cell-1', 'INC-1', T0, { siteId: 'site-0', end: T0 + HOUR }),
      impact('VISITOR', 'cell-1', 'INC-1', T0, { siteId: 'site-0', end: T0 + HOUR }),
      impact('HOME', 'cell-1', 'INC-2', T0 + 48 * HOUR, { siteId: 'site-0' }),
      impact('HOME', 'cell-1', 'INC-2', T0 + 48 * HOUR, { siteId: 'site-0', end: T0 + 50 * HOUR }),
    ]);
    expect(index.customersOn('cell-1')).toEqual(['HOME', 'VISITOR']);
    expect(index.cellsOf('HOME')).toEqual([{ cellId: 'cell-1', siteId: 'site-0', incidents: 2, lastSeenMs: T0 + 50 * HOUR }]);
    expect(index.cellsOf('VISITOR')[0].incidents).toBe(1);
    expect(index.customersOn('cell-9')).toEqual([]);
  });

  it('finds every customer of a site across its cells, and leaves out those not seen since a time', () => {
    const index = new CellIndex();
    index.observe([
      impact('A', 'cell-0', 'INC-1', T0, { siteId: 'site-0' }),
      impact('B', 'cell-1', 'INC-2', T0 + HOUR, { siteId: 'site-0' }),
      impact('B', 'cell-1', 'INC-3', T0 + 2 * HOUR, { siteId: 'site-0' }),
      impact('C', 'cell-3', 'INC-4', T0, { siteId: 'site-1' }),
    ]);
    expect(index.cellsOfSite('site-0')).toEqual(['cell-0', 'cell-1']);
    expect(index.customersOnSite('site-0')).toEqual(['B', 'A']);
    expect(index.customersOnSite('site-0', { sinceMs: T0 + HOUR })).toEqual(['B']);
    expect(index.customersOn('cell-1', { limit: 0 })).toEqual([]);
  });

  it('stays within its bounds: a customer keeps the cells seen most, a full cell forgets the stalest', () => {
    const index = new CellIndex({ maxCellsPerCustomer: 2, maxCustomersPerCell: 10 });
    index.record('A', 'cell-home', 'I1', T0);
    index.record('A', 'cell-home', 'I2', T0 + HOUR);
    index.record('A', 'cell-x', 'I3', T0 + 2 * HOUR);
    index.record('A', 'cell-y', 'I4', T0 + 3 * HOUR);
    expect(index.cellsOf('A').map((c) => c.cellId)).toEqual(['cell-home', 'cell-y']);
    for (let i = 0; i < 11; i++) index.record(`C${i}`, 'cell-big', `J${i}`, T0 + i * HOUR);
    const kept = index.customersOn('cell-big');
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept).toContain('C10');
    expect(kept).not.toContain('C0');
    expect(index.cellsOf('C0')).toEqual([]);
  });

  it('learns from the intake while attached, and stops when detached', () => {
    let deliver: AppliedListener = () => {};
    let detached = false;
    const intake = { onApplied: (l: AppliedListener) => ((deliver = l), () => (detached = true)) };
    const index = new CellIndex();
    const detach = index.attach(intake);
    deliver([impact('A', 'cell-5', 'INC-1', T0)]);
    expect(index.customersOn('cell-5')).toEqual(['A']);
    detach();
    expect(detached).toBe(true);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new CellIndex({ maxCellsPerCustomer: 0 })).toThrow(/positive integers/);
  });
});
