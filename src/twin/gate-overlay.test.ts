import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { GateOverlay } from './gate-overlay.js';
import { TwinEngine } from './twin-engine.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const registration = (customerId: string, time: number): TwinEvent => ({
  id: `${customerId}-reg`,
  kind: 'customer',
  customerId,
  time: new Date(time).toISOString(),
  source: 't',
  v: 1,
  data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' },
});

describe('the intake’s gate overlay', () => {
  it("answers the engine's gate until a unit in flight changes it, then the change, until cleared", () => {
    const engine = new TwinEngine();
    engine.apply(registration('A', T), T);
    const overlay = new GateOverlay(engine);
    expect(overlay.gate('A')).toEqual({ exists: true, since: Date.parse('2024-01-01T00:00:00Z'), watermark: T });
    expect(overlay.gate('B')).toBeUndefined();
    overlay.set('A', true, 5, T + 1000);
    overlay.set('B', true, 7, T + 2000);
    expect({ ...overlay.gate('A') }).toEqual({ exists: true, since: 5, watermark: T + 1000 });
    expect({ ...overlay.gate('B') }).toEqual({ exists: true, since: 7, watermark: T + 2000 });
    overlay.clear();
    expect({ ...overlay.gate('A') }).toEqual({ exists: true, since: Date.parse('2024-01-01T00:00:00Z'), watermark: T });
    expect(overlay.gate('B')).toBeUndefined();
  });

  it('keeps what it knows of a new customer when the engine gives it a slot meanwhile (a unit before applied)', () => {
    const engine = new TwinEngine();
    const overlay = new GateOverlay(engine);
    // Checked in this unit: B registered, then an event of B at T + 5000.
    overlay.set('B', true, 1, T + 5000);
    // The unit before is applied meanwhile and holds B's registration at T: B has a slot now.
    engine.apply(registration('B', T), T);
    expect({ ...overlay.gate('B') }).toEqual({ exists: true, since: 1, watermark: T + 5000 });
    overlay.set('B', true, 1, T + 6000);
    expect(overlay.gate('B')!.watermark).toBe(T + 6000);
  });

  it('grows past its first thousand slots', () => {
    const engine = new TwinEngine();
    for (let i = 0; i < 3000; i++) engine.apply(registration(`C${i}`, T), T);
    const overlay = new GateOverlay(engine);
    for (let i = 0; i < 3000; i++) overlay.set(`C${i}`, true, i, T + i);
    for (let i = 0; i < 3000; i += 499) expect({ ...overlay.gate(`C${i}`) }).toEqual({ exists: true, since: i, watermark: T + i });
  });
});
