import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startSandboxOperatorOverHttp } from './support/bare-operator.js';

/**
 * An action taken while the sandbox still backfills its history (a person acting on the first
 * start, an alarm sent in) happens in the world's time, months behind the wall clock. Stamped with
 * the wall clock it became the customer's latest event, and every later history event of that
 * customer was refused as late: history lost.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-backfill-action-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('dates an action taken during the backfill in the world time and loses none of the history after it', async () => {
  // The durable path, which takes acts while its history goes in: the history taken from the seed
  // (the default, decision 0021) holds them until its days are generated (test/acts-during-first-start).
  const { operator, base, headers, get, close } = await startSandboxOperatorOverHttp(dir, { seed: 3, speed: 3600, seededHistory: false });
  try {
    const worldNow = operator.world!.clock.now();
    expect(worldNow).toBeLessThan(Date.now() - 30 * 86_400_000);
    // A person acts on a customer the operator already knows: the twin exists once its first
    // history event is in (an action for a customer with no twin is refused with 404, 3fd2e00).
    for (let i = 0; i < 600 && (await fetch(`${base}/twins/C000001`, { headers })).status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ actionClass: 'credit', channel: 'web', customerId: 'C000001', params: { amount: 5 }, why: { summary: 'goodwill during the backfill' } }) });
    expect(res.status).toBeLessThan(300);
    await operator.ready;
    const timeline = await get<{ items: { kind: string; time: string }[] }>('/twins/C000001/timeline?limit=1000');
    const action = timeline.items.find((e) => e.kind === 'action');
    expect(action, 'the action is on the timeline').toBeDefined();
    expect(Date.parse(action!.time)).toBeLessThan(Date.now() - 30 * 86_400_000);
    const letters = await get<{ items: { reason: string }[] }>('/dead-letters?limit=1000');
    expect(letters.items.filter((l) => /late event/.test(l.reason))).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);
