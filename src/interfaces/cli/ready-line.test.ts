import { describe, expect, it } from 'vitest';
import type { ReadyReport } from '../runtime/operator.js';
import { PER_EVENT_MIN_EVENTS, readyLine } from './ready-line.js';

const report = (historyEvents: number, historyThreadCpuSeconds = 60.12): ReadyReport => ({
  twins: 20_000,
  scored: 20_000,
  seconds: 300,
  openSeconds: 2,
  historySeconds: 250,
  modelSeconds: 48,
  historyCpuSeconds: 70,
  historyThreadCpuSeconds,
  historyEvents,
  modelCpuSeconds: 40,
});

describe('the ready line', () => {
  it('gives the history CPU per event for a history of many events', () => {
    expect(readyLine(report(7_900_000), 3)).toContain('(intake thread 60.1 s, 7.61 µs an event)');
  });

  it('gives the totals, not a per-event figure, for a handful of events', () => {
    // Few events: 60 s of thread CPU over 31 would be a figure of nothing.
    const line = readyLine(report(31), 18);
    expect(line).toContain('(intake thread 60.1 s for 31 events)');
    expect(line).not.toMatch(/an event/);
    expect(readyLine(report(PER_EVENT_MIN_EVENTS - 1), 1)).not.toMatch(/an event/);
    expect(readyLine(report(PER_EVENT_MIN_EVENTS), 1)).toMatch(/µs an event/);
  });

  it("gives the totals on a restart, whose history CPU is its world's rebuild, however many events it delivered again", () => {
    const line = readyLine({ ...report(16_800, 16.2), rebuiltWorld: true }, 20);
    expect(line).toContain("(intake thread 16.2 s, the world's rebuild with 16800 events)");
    expect(line).not.toMatch(/an event/);
  });

  it('says why the twins are not scored when no model serves', () => {
    expect(readyLine({ ...report(31), noModel: 'not enough history' }, 1)).toBe('ready: 20000 twins in 300.0 s, not scored: not enough history');
  });
});
