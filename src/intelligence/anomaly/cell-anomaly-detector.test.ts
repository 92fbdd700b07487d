import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { createCellAnomalyDetector, DEFAULT_CELL_ANOMALY_OPTIONS, type AnomalyCells } from './cell-anomaly-detector.js';
import { alphaForBudget, alphaPerSignal, poissonTail } from './poisson-burst.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** 40 cells on 20 sites, 25 customers at home on each; every customer seen on their cell on day 30. */
function fakeCells(): AnomalyCells {
  const cellOf = (customerId: string) => Number(customerId.slice(1)) % 40;
  const site = (cell: number) => 'site-' + Math.floor(cell / 2);
  return {
    cellsOf: (id) => [{ cellId: 'cell-' + cellOf(id), siteId: site(cellOf(id)), lastSeenMs: T0 + 30 * 24 * H }],
    // 40 cells on 20 sites, 25 customers each: 1,000 customers, each only on their cell.
    presence: () => ({
      customers: 1000,
      cells: new Map(Array.from({ length: 40 }, (_, c) => ['cell-' + c, { customers: 25, usageShare: 25 }])),
      sites: new Map(Array.from({ length: 20 }, (_, s) => ['site-' + s, { customers: 50, usageShare: 50 }])),
    }),
  };
}
const session = (customerId: string, ms: number, cell: number, quality: { droppedCalls?: number; throughputMbps?: number }): { event: TwinEvent; time: number } => ({
  event: { id: `${customerId}-${ms}-s`, customerId, time: new Date(ms).toISOString(), source: 't', v: 1, kind: 'usage', data: { subscriptionId: 'S', dataMb: 0, voiceMin: 0, sms: 0, roaming: false, cellId: 'cell-' + cell, siteId: 'site-' + Math.floor(cell / 2), ...quality } },
  time: ms,
});
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
    expect(alphaPerSignal(0.3, 60)).toBeCloseTo(0.005, 12);
    expect(alphaPerSignal(0.3, 0)).toBe(1);
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
    // One customer calling three times is not a network incident, however rare (customers: 1 of
    // the 2 needed); a second customer's call makes 4 in the window, a burst on the cell and its
    // site: one incident, one suspicion, on the cell (its calls are all the site has).
    expect(d.observe([call('C5', t), call('C5', t + 5 * 60_000), call('C5', t + 10 * 60_000)])).toEqual([]);
    const opened = d.observe([call('C45', t + 25 * 60_000)]);
    expect(opened.map((s) => `${s.scope}:${s.objectId}`)).toEqual(['Cell:cell-5']);
    const cell = opened[0];
    expect(cell).toMatchObject({ openedMs: t + 25 * 60_000, signals: 4, state: 'open', customers: ['C5', 'C45'], signal: 'service-contact-burst' });
    expect(cell.expected).toBeLessThan(0.01);
    // Rarer than one false suspicion a month over every test the network's 40 cells and 20 sites make.
    expect(cell.pValue).toBeLessThan(alphaPerSignal(1, 30 * (2000 / 365)));
    // Later calls from the cell, and from the site's other cell (cell-4), join it.
    expect(d.observe([call('C85', t + 40 * 60_000), call('C44', t + 50 * 60_000)])).toEqual([]);
    expect(d.suspicions().find((s) => s.id === cell.id)!.customers).toEqual(['C5', 'C45', 'C85', 'C44']);
    // A later caller joins it; after six quiet hours the next call finds it closed.
    d.observe([call('C125', t + 2 * H)]);
    expect(d.suspicions().find((s) => s.scope === 'Cell')!.customers).toContain('C125');
    d.observe([call('C165', t + 9 * H)]);
    expect(d.suspicions().find((s) => s.id === cell.id)!.state).toBe('closed');
    expect(d.suspicions().filter((s) => s.scope === 'Cell')).toHaveLength(1);
    // A suspicion nobody calls about again closes as time passes (any event moves the clock).
    d.observe([call('C6', t + 20 * H), call('C46', t + 20 * H + 60_000), call('C86', t + 20 * H + 120_000)]);
    expect(d.suspicions().at(-1)!.state).toBe('open');
    d.observe([call('C7', t + 27 * H, 'billing_question')]);
    expect(d.suspicions().at(-1)!.state).toBe('closed');
  });

  it('needs more calls where the base calls more: the threshold follows the learned rate', () => {
    const busy = createCellAnomalyDetector(fakeCells(), { contacts: { ...DEFAULT_CELL_ANOMALY_OPTIONS.contacts, priorRatePerCustomerDay: 0.5 } });
    const t = T0 + 5 * 24 * H;
    expect(busy.observe([call('C5', t), call('C45', t + 60_000), call('C85', t + 120_000)])).toEqual([]);
    expect(() => createCellAnomalyDetector(fakeCells(), { sessions: { ...DEFAULT_CELL_ANOMALY_OPTIONS.sessions, windowMs: 0 } })).toThrow(/windowMs/);
  });

  it("expects more where the base calls more at that hour of the day: the busy hour's cluster is ordinary, the same at night is not", () => {
    // A tenth of a false suspicion a month: the budget of a network of this one's 60 places.
    const d = createCellAnomalyDetector(fakeCells(), { falseAlarmsPerMonth: 0.1 });
    // A month of ordinary calls, all in the evening (18:00-19:00), 12 a day across the 40 cells.
    const evenings = Array.from({ length: 30 * 12 }, (_, i) => call('C' + ((i * 7) % 1000), T0 + Math.floor(i / 12) * 24 * H + 18 * H + (i % 12) * 5 * 60_000));
    expect(d.observe(evenings)).toEqual([]);
    const t = T0 + 31 * 24 * H;
    const cluster = (at: number, cell: number) => [0, 1, 2].map((k) => call('C' + (40 * (k + 10) + cell), at + k * 10 * 60_000));
    // Three customers of cell-5 calling in the evening: what evenings bring.
    expect(d.observe(cluster(t + 18 * H, 5))).toEqual([]);
    // The same three calls at 03:00 on cell-9, when nobody calls: a burst.
    expect(d.observe(cluster(t + 27 * H, 9)).map((s) => s.objectId)).toContain('cell-9');
  });

  it('opens a suspicion from a burst of dropped calls and slow sessions on one cell, minutes in, and not from everyday ones', () => {
    const d = createCellAnomalyDetector(fakeCells());
    // A month of everyday bad sessions: one every 3 hours somewhere, a fast-enough session never counts.
    const everyday = Array.from({ length: 240 }, (_, i) => session('C' + ((i * 13) % 1000), T0 + i * 3 * H, (i * 7) % 40, i % 2 ? { droppedCalls: 1 } : { throughputMbps: 0.5 }));
    expect(d.observe(everyday)).toEqual([]);
    expect(d.ratePerCustomerDay('sessions')).toBeGreaterThan(0.005);
    const t = T0 + 31 * 24 * H;
    expect(d.observe([0, 1, 2, 3].map((k) => session('C' + (40 * k + 9), t + k * 60_000, 9, { throughputMbps: 5 })))).toEqual([]);
    // Three bad sessions on cell-5 within six minutes: rare for the cell and for its site; one
    // suspicion, on the cell, where it is rarest, with its customers.
    const opened = d.observe([session('C5', t, 5, { droppedCalls: 1 }), session('C45', t + 3 * 60_000, 5, { throughputMbps: 0.2 }), session('C85', t + 6 * 60_000, 5, { droppedCalls: 2 })]);
    expect(opened.map((s) => `${s.scope}:${s.objectId}:${s.signal}`)).toEqual(['Cell:cell-5:bad-session-burst']);
    expect(opened[0]).toMatchObject({ openedMs: t + 6 * 60_000, signals: 3, customers: ['C5', 'C45', 'C85'] });
    // A caller of that cell joins it rather than opening another.
    expect(d.observe([call('C125', t + 20 * 60_000), call('C165', t + 21 * 60_000)])).toEqual([]);
    expect(d.suspicions().find((s) => s.id === opened[0].id)!.customers).toEqual(['C5', 'C45', 'C85', 'C125', 'C165']);
  });

  it("holds a burst to what an operator would act on: several customers, well over what was expected, rare for the whole network", () => {
    const d = createCellAnomalyDetector(fakeCells());
    const t = T0 + 31 * 24 * H;
    // Three bad sessions of two customers on a quiet cell in minutes (expected a few thousandths):
    // rare for that cell alone, but one car or one bad corner, not an incident.
    expect(d.observe([session('C5', t, 5, { droppedCalls: 1 }), session('C45', t + 60_000, 5, { droppedCalls: 1 }), session('C5', t + 2 * 60_000, 5, { droppedCalls: 1 })])).toEqual([]);
    // A third customer's makes it a cell failing its customers.
    expect(d.observe([session('C85', t + 3 * 60_000, 5, { droppedCalls: 1 })]).map((s) => s.objectId)).toEqual(['cell-5']);
    // A significant excess that is not several times the expected count is no incident: with a
    // busy base (half its customers calling a day), a few more calls than usual on a cell suspect nothing.
    const strict = createCellAnomalyDetector(fakeCells(), { minRateRatio: 1e6 });
    expect(strict.observe([0, 1, 2, 3].map((k) => call('C' + (40 * k + 9), t + k * 60_000)))).toEqual([]);
    expect(() => createCellAnomalyDetector(fakeCells(), { minRateRatio: 0.5 })).toThrow(/minRateRatio/);
  });

  it('suspects nothing where an open alarm already explains the signals, and keeps its suspicions across a restart', () => {
    const alarmed = (cellId: string, _site: string | null, atMs: number) => cellId === 'cell-5' && atMs >= T0 + 31 * 24 * H;
    const d = createCellAnomalyDetector(fakeCells(), {}, alarmed);
    const t = T0 + 31 * 24 * H;
    const burst = (cell: number, at: number) => [0, 1, 2].map((k) => session('C' + (40 * k + cell), at + k * 60_000, cell, { droppedCalls: 1 }));
    expect(d.observe(burst(5, t))).toEqual([]);
    expect(d.observe(burst(6, t)).map((s) => s.objectId)).toEqual(['cell-6']);
    const again = createCellAnomalyDetector(fakeCells(), {}, alarmed);
    again.restore(d.state());
    expect(again.suspicions()).toEqual(d.suspicions());
    expect(again.ratePerCustomerDay('sessions')).toBe(d.ratePerCustomerDay('sessions'));
    // The restored open suspicion still takes its cell's later signals; new ones are numbered on.
    again.observe([session('C206', t + 10 * 60_000, 6, { droppedCalls: 1 })]);
    expect(again.suspicions().at(-1)!.customers).toContain('C206');
    expect(again.observe(burst(8, t + 11 * 60_000)).map((s) => s.id)).toEqual(['anomaly-2']);
  });

  it("takes a burst spread over a site's cells for the site's, and tells what it found in history from what it found as it happened", () => {
    let now = T0 + 400 * 24 * H;
    const d = createCellAnomalyDetector(fakeCells(), {}, undefined, () => now);
    const everyday = Array.from({ length: 240 }, (_, i) => session('C' + ((i * 13) % 1000), T0 + i * 3 * H, (i * 7) % 40, { droppedCalls: 1 }));
    expect(d.observe(everyday)).toEqual([]);
    // Bad sessions on both cells of site-3 (cell-6, cell-7) within minutes: the site is where it is rarest.
    const t = T0 + 31 * 24 * H;
    const outage = [6, 7, 6, 7, 6, 7].map((cell, k) => session('C' + (40 * k + cell), t + k * 60_000, cell, { droppedCalls: 1 }));
    const opened = d.observe(outage);
    expect(opened.map((s) => `${s.scope}:${s.objectId}`)).toEqual(['Site:site-3']);
    // Months behind the operator's clock (a loaded history): found in history.
    // Closed at once (nobody can act on it), yet its burst's later signals join it, not a new one.
    expect(opened[0]).toMatchObject({ history: true, state: 'closed' });
    expect(d.observe([session('C246', t + 10 * 60_000, 6, { droppedCalls: 1 })])).toEqual([]);
    expect(d.suspicions()[0].customers).toContain('C246');
    expect(d.suspicions()[0].state).toBe('closed');
    // The clock catches up with the events: what is found now was found as it happened.
    now = t + 2 * H;
    const later = d.observe([5, 5, 5].map((cell, k) => session('C' + (40 * k + cell), t + H + k * 60_000, cell, { droppedCalls: 1 })));
    expect(later.map((s) => [s.objectId, s.history])).toEqual([['cell-5', false]]);
  });
});
