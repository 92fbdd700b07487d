import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { memoryDocuments } from '../../store/document-store.js';
import { createBadSessionLog, type CellBadSessions } from './bad-session-log.js';

const T = Date.parse('2026-11-10T10:00:00Z');
const D = 86_400_000;
const usage = (customerId: string, ms: number, cellId: string | undefined, quality: { droppedCalls?: number; throughputMbps?: number }): { event: TwinEvent; time: number } => ({
  event: { id: `${customerId}-${ms}-${cellId}`, customerId, time: new Date(ms).toISOString(), source: 't', v: 1, kind: 'usage', data: { subscriptionId: 'S', dataMb: 0, voiceMin: 0, sms: 0, roaming: false, ...(cellId ? { cellId } : {}), ...quality } },
  time: ms,
});

describe('the bad session log', () => {
  it("keeps each cell's dropped calls and crawling sessions, finds whose fell in a window, and survives a restart", async () => {
    const store = memoryDocuments<CellBadSessions>();
    const log = createBadSessionLog({ store, horizonMs: 2 * D, onError: (err) => expect.fail(err.message) });
    await log.load();
    log.observe([
      usage('A', T + 3_000, 'cell-1', { droppedCalls: 1 }),
      usage('B', T + 1_000, 'cell-1', { throughputMbps: 0.3 }),
      usage('A', T + 2_000, 'cell-2', { droppedCalls: 2 }),
      // A usable data session, a record without its cell and an ordinary day's record are not bad sessions.
      usage('C', T, 'cell-1', { throughputMbps: 5 }),
      usage('D', T, undefined, { droppedCalls: 1 }),
      usage('E', T, 'cell-1', {}),
      // The same record twice (a redelivery) counts once.
      usage('B', T + 1_000, 'cell-1', { throughputMbps: 0.3 }),
    ]);
    expect(log.customersOn(['cell-1'], T, T + D)).toEqual(['B', 'A']);
    expect(log.customersOn(['cell-1', 'cell-2'], T, T + D)).toEqual(['B', 'A']);
    expect(log.customersOn(['cell-1'], T + 2_000, T + D)).toEqual(['A']);
    expect(log.customersOn(['cell-2'], T, T + 1_000)).toEqual([]);
    expect(log.customersOn(['cell-9'], 0, T + D)).toEqual([]);
    // Sessions older than the horizon behind the newest are dropped when their cell has another.
    log.observe([usage('F', T + 3 * D, 'cell-1', { droppedCalls: 1 })]);
    expect(log.customersOn(['cell-1'], 0, T + 4 * D)).toEqual(['F']);
    await log.flushed();
    const again = createBadSessionLog({ store, onError: (err) => expect.fail(err.message) });
    await again.load();
    expect(again.customersOn(['cell-1'], 0, T + 4 * D)).toEqual(['F']);
    expect(again.customersOn(['cell-2'], 0, T + D)).toEqual(['A']);
  });
});
