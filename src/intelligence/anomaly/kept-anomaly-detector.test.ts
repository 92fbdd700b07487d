import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { memoryDocuments, type DocumentStore } from '../../store/document-store.js';
import type { AnomalyCells, SuspectedIncident } from './cell-anomaly-detector.js';
import { openKeptAnomalyDetector, type AnomalyBaseline } from './kept-anomaly-detector.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const cells: AnomalyCells = {
  cellsOf: () => [],
  // 40 cells on 20 sites, 25 customers each: 1,000 customers, each only on their cell.
  presence: () => ({
    customers: 1000,
    cells: new Map(Array.from({ length: 40 }, (_, c) => ['cell-' + c, { customers: 25, usageShare: 25 }])),
    sites: new Map(Array.from({ length: 20 }, (_, s) => ['site-' + s, { customers: 50, usageShare: 50 }])),
  }),
};
const dropped = (customerId: string, ms: number, cell: number): { event: TwinEvent; time: number } => ({
  event: { id: `${customerId}-${ms}`, customerId, time: new Date(ms).toISOString(), source: 't', v: 1, kind: 'usage', data: { subscriptionId: 'S', dataMb: 0, voiceMin: 0, sms: 0, roaming: false, cellId: 'cell-' + cell, siteId: 'site-' + Math.floor(cell / 2), droppedCalls: 1 } },
  time: ms,
});

describe('anomaly detection kept in the store', () => {
  it('finds its suspicions and learned rates again after a restart, and goes on from them', async () => {
    const suspicions = memoryDocuments<SuspectedIncident>();
    const baseline = memoryDocuments<AnomalyBaseline>();
    const open = () => openKeptAnomalyDetector({ cells, suspicions, baseline, onError: (err) => { throw err; } });
    const first = await open();
    first.observe(Array.from({ length: 50 }, (_, i) => dropped('C' + i, T0 + i * 12 * 3_600_000, i % 40)));
    const t = T0 + 30 * 86_400_000;
    first.observe([0, 1, 2].map((k) => dropped('C' + (40 * k + 5), t + k * 60_000, 5)));
    await first.close();
    const before = first.detector.suspicions();
    expect(before.map((s) => s.objectId)).toEqual(['cell-5']);

    const second = await open();
    expect(second.detector.suspicions()).toEqual(before);
    expect(second.detector.ratePerCustomerDay('sessions')).toBe(first.detector.ratePerCustomerDay('sessions'));
    // A later signal on the cell joins the kept open suspicion, and that change is kept too.
    second.observe([dropped('C245', t + 30 * 60_000, 5)]);
    await second.flushed();
    expect((await suspicions.get(before[0].id))!.customers).toContain('C245');
  });

  it('a suspicion whose write failed is written with the next events, so a restart still has it', async () => {
    const suspicions = memoryDocuments<SuspectedIncident>();
    const baseline = memoryDocuments<AnomalyBaseline>();
    let failures = 1;
    const errors: string[] = [];
    const flaky: DocumentStore<SuspectedIncident> = { ...suspicions, put: async (id, doc) => (failures-- > 0 ? Promise.reject(new Error('database is locked')) : suspicions.put(id, doc)) };
    const kept = await openKeptAnomalyDetector({ cells, suspicions: flaky, baseline, onError: (err) => errors.push(err.message) });
    kept.observe(Array.from({ length: 50 }, (_, i) => dropped('C' + i, T0 + i * 12 * 3_600_000, i % 40)));
    const t = T0 + 30 * 86_400_000;
    kept.observe([0, 1, 2].map((k) => dropped('C' + (40 * k + 5), t + k * 60_000, 5)));
    await kept.flushed();
    expect(errors).toEqual(['database is locked']);
    const opened = kept.detector.suspicions();
    expect(opened.map((s) => s.objectId)).toEqual(['cell-5']);
    expect(await suspicions.list()).toEqual([]);
    // The next events (a signal on another cell, no suspicion changed) write the one not kept.
    kept.observe([dropped('C17', t + 2 * 3_600_000, 17)]);
    await kept.flushed();
    const restarted = await openKeptAnomalyDetector({ cells, suspicions, baseline, onError: (err) => { throw err; } });
    expect(restarted.detector.suspicions().map((s) => s.id)).toContain(opened[0].id);
  });
});
