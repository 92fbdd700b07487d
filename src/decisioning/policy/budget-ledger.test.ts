import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { parseActionPolicy } from './action-policy.js';
import { createBudgetLedger } from './budget-ledger.js';

const NOW = Date.UTC(2026, 4, 14);
const policy = parseActionPolicy({
  version: 1,
  rules: [{ id: 'credits', actionClass: 'credit', mode: 'autonomous' }],
  budgets: [
    { actionClass: 'credit', period: 'month', limit: 100 },
    { actionClass: '*', domain: 'care', period: 'day', limit: 30 },
  ],
});

describe('budget ledger', () => {
  it('reserves, commits and releases, and keeps spending across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-ledger-'));
    try {
      const store = await openGovernanceStore({ kind: 'sqlite', dataDir });
      const ledger = createBudgetLedger(store);
      const claim = { scope: 'credit|*', periodKey: '2026-05', limit: 100, amount: 40 };
      const a = await ledger.reserve([claim]);
      const b = await ledger.reserve([claim]);
      const c = await ledger.reserve([claim]);
      expect([a.ok, b.ok, c.ok]).toEqual([true, true, false]);
      if (!c.ok) expect(c).toMatchObject({ scope: 'credit|*', periodKey: '2026-05' });
      if (!a.ok || !b.ok) throw new Error('unreachable');
      await ledger.commit(a.reservation, 35);
      await ledger.release(b.reservation);
      await store.close();

      const again = await openGovernanceStore({ kind: 'sqlite', dataDir });
      const standing = await createBudgetLedger(again).standingFor(policy, { actionClass: 'credit', domain: 'care' }, NOW);
      expect(standing).toEqual([
        { scope: 'credit|*', periodKey: '2026-05', reserved: 0, committed: 35 },
        { scope: '*|care', periodKey: '2026-05-14', reserved: 0, committed: 0 },
      ]);
      await again.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
