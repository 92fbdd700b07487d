import { describe, expect, it } from 'vitest';
import type { ModelRegistry, NewModelVersion } from './model-registry.js';
import { freshPerTest, type OpenedStore } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
// Characters that break naive quoting in SQL and JSON.
const AWKWARD = `quote " apostrophe ' backslash \\ newline \n emoji 📶`;

function version(fields: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name: 'churn',
    status: 'challenger',
    document: JSON.stringify({ format: 'test', note: AWKWARD }),
    metadata: { metrics: { auc: 0.8 }, trainingWindow: { from: '2026-01-01', to: '2026-03-01' }, note: AWKWARD },
    createdAt: T0,
    ...fields,
  };
}

/** The behaviour every ModelRegistry adapter must show; `open` gives a fresh, migrated, empty registry per test. */
export function describeModelRegistryContract(name: string, open: () => Promise<OpenedStore<ModelRegistry>>): void {
  describe(`${name}: model registry contract`, () => {
    let opened: OpenedStore<ModelRegistry>;
    let registry: ModelRegistry;
    freshPerTest(open, (o) => { opened = o; registry = o.store; });

    it('numbers versions per name and keeps document and metadata exact', async () => {
      const a = await registry.save(version());
      const b = await registry.save(version({ createdAt: T0 + 1 }));
      const other = await registry.save(version({ name: 'clv', createdAt: T0 + 2 }));
      expect([a.id, a.version, b.id, b.version, other.id]).toEqual(['churn-v1', 1, 'churn-v2', 2, 'clv-v1']);
      const got = await registry.get('churn-v2');
      expect(got?.document).toBe(version().document);
      expect(got?.metadata).toEqual(version().metadata);
      expect(got).toMatchObject({ name: 'churn', version: 2, status: 'challenger', createdAt: T0 + 1 });
      expect(await registry.get('churn-v9')).toBeNull();
    });

    it('lists newest first, all or one name, without documents', async () => {
      await registry.save(version());
      await registry.save(version({ createdAt: T0 + 1 }));
      await registry.save(version({ name: 'clv', createdAt: T0 + 2 }));
      expect((await registry.list()).map((v) => v.id)).toEqual(['clv-v1', 'churn-v2', 'churn-v1']);
      const churn = await registry.list('churn');
      expect(churn.map((v) => v.id)).toEqual(['churn-v2', 'churn-v1']);
      expect('document' in churn[0]).toBe(false);
    });

    it('keeps exactly one champion per name: promoting retires the old one', async () => {
      expect(await registry.champion('churn')).toBeNull();
      await registry.save(version({ status: 'champion' }));
      await registry.save(version({ createdAt: T0 + 1 }));
      expect((await registry.champion('churn'))?.id).toBe('churn-v1');
      const promoted = await registry.setStatus('churn-v2', 'champion');
      expect(promoted.status).toBe('champion');
      expect((await registry.champion('churn'))?.id).toBe('churn-v2');
      expect((await registry.get('churn-v1'))?.status).toBe('retired');
      // Saving a new champion retires the current one too.
      await registry.save(version({ status: 'champion', createdAt: T0 + 2 }));
      const statuses = Object.fromEntries((await registry.list('churn')).map((v) => [v.id, v.status]));
      expect(statuses).toEqual({ 'churn-v3': 'champion', 'churn-v2': 'retired', 'churn-v1': 'retired' });
      // Promoting the champion again changes nothing.
      await registry.setStatus('churn-v3', 'champion');
      expect((await registry.champion('churn'))?.id).toBe('churn-v3');
    });

    it('sets challenger and retired, and refuses unknown ids and statuses', async () => {
      await registry.save(version({ status: 'champion' }));
      expect((await registry.setStatus('churn-v1', 'retired')).status).toBe('retired');
      expect(await registry.champion('churn')).toBeNull();
      expect((await registry.setStatus('churn-v1', 'challenger')).status).toBe('challenger');
      await expect(registry.setStatus('churn-v7', 'champion')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(registry.setStatus('churn-v1', 'king' as 'champion')).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(registry.save(version({ name: 'bad name!' }))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('records drift alerts, newest first, per model', async () => {
      const base = { at: T0, psi: 0.31, threshold: 0.2, message: `drift ${AWKWARD}` };
      const first = await registry.addDriftAlert({ ...base, modelId: 'churn-v1', subject: 'score' });
      await registry.addDriftAlert({ ...base, modelId: 'churn-v2', subject: 'tenure_days', psi: 0.25 });
      await registry.addDriftAlert({ ...base, modelId: 'churn-v1', subject: 'arpu_3m', at: T0 + 5 });
      expect(first.id).toBeGreaterThan(0);
      const mine = await registry.listDriftAlerts({ modelId: 'churn-v1' });
      expect(mine.map((a) => a.subject)).toEqual(['arpu_3m', 'score']);
      expect(mine[1]).toEqual({ ...base, id: first.id, modelId: 'churn-v1', subject: 'score' });
      expect((await registry.listDriftAlerts({ limit: 2 })).length).toBe(2);
    });

    it('keeps drift checks per model, newest first, with each feature\'s PSI as written', async () => {
      const first = await registry.addDriftCheck({ modelId: 'churn-v1', at: T0, population: 20_000, scorePsi: 0.012, features: { tenure_days: 0.004, [AWKWARD]: 0.25 } });
      await registry.addDriftCheck({ modelId: 'churn-v2', at: T0 + 1, population: 5, scorePsi: 0.5, features: {} });
      await registry.addDriftCheck({ modelId: 'churn-v1', at: T0 + 60_000, population: 20_001, scorePsi: 0.031, features: { tenure_days: 0.006 } });
      expect(first.id).toBeGreaterThan(0);
      const mine = await registry.listDriftChecks({ modelId: 'churn-v1' });
      expect(mine.map((c) => c.scorePsi)).toEqual([0.031, 0.012]);
      expect(mine[1]).toEqual({ id: first.id, modelId: 'churn-v1', at: T0, population: 20_000, scorePsi: 0.012, features: { tenure_days: 0.004, [AWKWARD]: 0.25 } });
      expect((await registry.listDriftChecks({ modelId: 'churn-v1', limit: 1 })).map((c) => c.at)).toEqual([T0 + 60_000]);
      expect(await registry.listDriftChecks({ modelId: 'churn-v9' })).toEqual([]);
    });

    it('keeps everything across a reopen', async () => {
      await registry.save(version({ status: 'champion' }));
      const again = await opened.reopen();
      try {
        expect((await again.champion('churn'))?.metadata).toEqual(version().metadata);
      } finally {
        await again.close();
      }
    });
  });
}
