import { describe, expect, it } from 'vitest';
import { bestTurn, serverCpuPerRequest, type LoadTurn } from './http-load.js';

const turn = (requests: number, perSecond: number, serverCpuSeconds: number): LoadTurn => ({ requests, errors: 0, seconds: requests / perSecond, perSecond, p50Ms: 1, p99Ms: 2, serverCpuSeconds });

describe('HTTP load turns', () => {
  it("gives the server thread's CPU per request over all of a side's turns, not the best one's", () => {
    // 0.3 s for 1,000 requests and 0.5 s for 500: 0.8 s / 1,500 = 533.3 µs, where either turn alone says 300 or 1,000.
    expect(serverCpuPerRequest([turn(1000, 500, 0.3), turn(500, 250, 0.5)])).toBe(533.3);
  });

  it('refuses to divide when no request was answered', () => {
    expect(() => serverCpuPerRequest([turn(0, 0, 0.2)])).toThrow(/no request/);
    expect(() => serverCpuPerRequest([])).toThrow(/no request/);
  });

  it('keeps the turn with the highest rate, with its CPU', () => {
    const best = bestTurn([turn(100, 50, 0.1), turn(300, 150, 0.2), turn(200, 100, 0.3)]);
    expect(best.perSecond).toBe(150);
    expect(best.serverCpuSeconds).toBe(0.2);
  });
});
