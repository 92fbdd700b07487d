import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BssClient } from '../bss/bss-client.js';
import { followClock } from './bss.js';

const T0 = Date.parse('2026-12-03T03:00:00Z');
const SPEED = 3_600;

/**
 * A BSS whose clock runs at SPEED from T0, reached over a link of `oneWayMs` each way: it reads its
 * clock half a round trip after being asked and the answer arrives half a round trip later.
 */
function slowBss(oneWayMs: number): BssClient {
  const startedAt = Date.now();
  return {
    baseUrl: 'http://bss.test',
    call: async <T>() => {
      vi.setSystemTime(Date.now() + oneWayMs);
      const now = new Date(T0 + (Date.now() - startedAt) * SPEED).toISOString();
      vi.setSystemTime(Date.now() + oneWayMs);
      return { status: 'ok', value: { now, speed: SPEED, liveSpeed: SPEED } as T };
    },
  };
}

describe('following a BSS clock over HTTP', () => {
  afterEach(() => vi.useRealTimers());

  it('does not trail the BSS by the round trip: a slow answer is dated at its middle', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-02T12:00:00Z') });
    const startedAt = Date.now();
    const follow = await followClock(slowBss(150));
    const truth = T0 + (Date.now() - startedAt) * SPEED;
    // Dated at the answer it trailed by 150 ms × 3,600 = 9 simulated minutes, past the intake's
    // 5-minute allowance for the future: the reports of what the BSS just did were refused.
    expect(Math.abs(follow.clock.now() - truth)).toBeLessThan(1_000);
    follow.stop();
  });
});
