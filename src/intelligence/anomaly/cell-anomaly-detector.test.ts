import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { createCellAnomalyDetector, type AnomalyCells } from './cell-anomaly-detector.js';
import { alphaForBudget, poissonTail } from './poisson-burst.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** 40 cells on 20 sites, 25 customers at home on each; every customer seen on their cell on day 30. */
function fakeCells(): AnomalyCells {
  const cellOf = (customerId: string) => Number(customerId.slice(1)) % 40;
  const site = (cell: number) => 'site-' + Math.floor(cell / 2);
  return {
    cellsOf: (id) => [{ cellId: 'cell-' + cellOf(id), siteId: site(cellOf(id)), lastSeenMs: T0 + 30 * 24 * H }],
    rankedOn: (ids) => Array.from({ length: 25 * ids.length }),
    cellsOfSite: (s) => [0, 1].map((k) => 'cell-' + (Number(s.slice(5)) * 2 + k)),
    size: () => ({ customers: 1000 }),
  };
}
const call = (customerId: string, ms: number, intent = 'technical_support'): { event: TwinEvent; time: number } => ({
  event: { id: `${customerId}-${ms}-${intent}`, customerId, time: new Date(ms).toISOString(), source: 't', v: 1, kind: 'interaction', data: { channel: 'call', intent, phase: 'start' } },
  time: ms,
});

describe('Poisson bursts', () => {
  it('gives the tail probability and the per-window chance a monthly budget allows', () => {
    expect(poissonTail(1, 0)).toBe(1);
    expect(poissonTail(1, 1)).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(poissonTail(1, 3)).toBeCloseTo(1 - Math.exp(-1) * 2.5, 12);
    expect(poissonTail(0.001, 2)).toBeCloseTo(0.001 ** 2 / 2, 9);
    expect(alphaForBudget(0.3, 2 * H)).toBeCloseTo(0.3 / 360, 12);
  });
});

describe('cell anomaly detection', () => {
  it('opens a suspected incident on the cell and site where service calls cluster, not on scattered ones', () => {
    const d = createCellAnomalyDetector(fakeCells());
    // A month of scattered calls: one a day from a different cell each time.
    const background = Array.from({ length: 30 }, (_, i) => call('C' + (i * 7 + 3), T0 + i * 24 * H + 10 * H));
    expect(d.observe(background)).toEqual([]);
    // Billing questions do not count, however many.
    const t = T0 + 31 * 24 * H;
    expect(d.observe([0, 1, 2, 3].map((k) => call('C' + (40 * k + 5), t + k * 60_000, 'billing_question')))).toEqual([]);
    // Two customers of cell-5 call within 20 minutes: at ~0.003 expected there, that is a burst on
    // the cell (not yet on its site, with twice the customers); the third call joins it and
    // counts nowhere else (explained by the open suspicion).
    const opened = d.observe([call('C5', t), call('C45', t + 20 * 60_000)]);
    expect(opened.map((s) => `${s.scope}:${s.objectId}`)).toEqual(['Cell:cell-5']);
    const cell = opened[0];
    expect(cell).toMatchObject({ openedMs: t + 20 * 60_000, contacts: 2, state: 'open', customers: ['C5', 'C45'] });
    expect(cell.expected).toBeLessThan(0.01);
    expect(cell.pValue).toBeLessThan(alphaForBudget(0.002, 2 * H));
    expect(d.observe([call('C85', t + 40 * 60_000)])).toEqual([]);
    expect(d.suspicions().find((s) => s.id === cell.id)!.customers).toEqual(['C5', 'C45', 'C85']);
    // A later caller joins it; after six quiet hours the next call finds it closed.
    d.observe([call('C125', t + 2 * H)]);
    expect(d.suspicions().find((s) => s.scope === 'Cell')!.customers).toContain('C125');
    d.observe([call('C165', t + 9 * H)]);
    expect(d.suspicions().find((s) => s.id === cell.id)!.state).toBe('closed');
    expect(d.suspicions().filter((s) => s.scope === 'Cell')).toHaveLength(1);
    // A suspicion nobody calls about again closes as time passes (any event moves the clock).
    d.observe([call('C6', t + 20 * H), call('C46', t + 20 * H + 60_000)]);
    expect(d.suspicions().at(-1)!.state).toBe('open');
    d.observe([call('C7', t + 27 * H, 'billing_question')]);
    expect(d.suspicions().at(-1)!.state).toBe('closed');
  });

  it('needs more calls where the base calls more: the threshold follows the learned rate', () => {
    const busy = createCellAnomalyDetector(fakeCells(), { priorRatePerCustomerDay: 0.5 });
    const t = T0 + 5 * 24 * H;
    expect(busy.observe([call('C5', t), call('C45', t + 60_000), call('C85', t + 120_000)])).toEqual([]);
    expect(() => createCellAnomalyDetector(fakeCells(), { windowMs: 0 })).toThrow(/windowMs/);
  });
});
