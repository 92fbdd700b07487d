import { describe, expect, it } from 'vitest';
import { monitorEventLoop } from './event-loop-delay.js';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('monitorEventLoop', () => {
  it('reports a stall of the loop as its max delay, for the minute after it', async () => {
    const loop = monitorEventLoop();
    try {
      await tick(60);
      busy(300);
      // Read at once (the stall not sampled yet) and after the sampler has run.
      expect(loop.read().maxMs).toBeGreaterThanOrEqual(250);
      await tick(60);
      const after = loop.read();
      expect(after.maxMs).toBeGreaterThanOrEqual(250);
      expect(after.p50Ms).toBeLessThan(after.maxMs);
      expect(after.windowS).toBeLessThanOrEqual(60);
    } finally {
      loop.close();
    }
  });

  it('reports nothing held before any sample', () => {
    const loop = monitorEventLoop();
    try {
      const r = loop.read();
      expect(r.p99Ms).toBe(0);
      expect(r.maxMs).toBeLessThan(50);
    } finally {
      loop.close();
    }
  });
});
