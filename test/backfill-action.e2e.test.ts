import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createOperatorServer } from '../src/interfaces/http/operator-server.js';
import { startOperator } from '../src/interfaces/runtime/operator.js';
import { loadWorldDocument, namedWorld } from '../src/sandbox/index.js';

/**
 * An action taken while the sandbox still backfills its history (a person acting on the first
 * start, an alarm sent in) happens in the world's time, months behind the wall clock. Stamped with
 * the wall clock it became the customer's latest event, and every later history event of that
 * customer was refused as late: history lost.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-backfill-action-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('dates an action taken during the backfill in the world time and loses none of the history after it', async () => {
  const small = namedWorld('small');
  const operator = await startOperator({
    store: { kind: 'sqlite', dataDir: join(dir, 'data') },
    sandbox: { config: loadWorldDocument({ ...small, population: { ...small.population, customers: 300 } }), worldName: 'small', seed: 3, months: 3, speed: 3600 },
    retentionBudget: 0,
    log: () => {},
    warn: () => {},
  });
  const app = createOperatorServer(operator, { version: 'test' });
  try {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const headers = { authorization: `Bearer ${operator.firstAdminKey!.key}`, 'content-type': 'application/json' };
    const worldNow = operator.world!.clock.now();
    expect(worldNow).toBeLessThan(Date.now() - 30 * 86_400_000);
    const res = await fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ actionClass: 'credit', channel: 'web', customerId: 'C000001', params: { amount: 5 }, why: { summary: 'goodwill during the backfill' } }) });
    expect(res.status).toBeLessThan(300);
    await operator.ready;
    const timeline = (await (await fetch(`${base}/twins/C000001/timeline?limit=1000`, { headers })).json()) as { items: { kind: string; time: string }[] };
    const action = timeline.items.find((e) => e.kind === 'action');
    expect(action, 'the action is on the timeline').toBeDefined();
    expect(Date.parse(action!.time)).toBeLessThan(Date.now() - 30 * 86_400_000);
    const letters = (await (await fetch(`${base}/dead-letters?limit=1000`, { headers })).json()) as { items: { reason: string }[] };
    expect(letters.items.filter((l) => /late event/.test(l.reason))).toEqual([]);
  } finally {
    await app.close();
    await operator.close();
  }
}, 240_000);
