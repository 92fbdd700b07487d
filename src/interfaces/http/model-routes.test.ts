import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { createAuditTrail, type AuditTrail } from '../../agents/governance/audit-trail.js';
import type { ModelRegistry } from '../../store/model-registry.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { startIntelligence, type Intelligence } from '../../intelligence/live/live-intelligence.js';
import { modelRoutes } from './model-routes.js';
import { createHttpServer } from './server.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';

async function world(customers: number, days: number): Promise<{ dir: string; twins: TwinService; registry: ModelRegistry }> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-models-http-'));
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
  const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
  let batch: TwinEvent[] = [];
  for (const e of syntheticChurnEvents({ customers, days, seed: 9 })) {
    batch.push(e);
    if (batch.length === 5000) {
      await twins.intake.submit(batch);
      batch = [];
    }
  }
  await twins.intake.submit(batch);
  return { dir, twins, registry };
}

// Open mode on loopback: these tests are about what the routes do; the access matrix test checks who may call them.
let local: TestAuth;
beforeAll(async () => {
  local = await openTestAuth('insecure-local');
});
afterAll(async () => {
  await local.close();
});

describe('live scores and the model API', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let intel: Intelligence;
  let app: FastifyInstance;
  let governance: GovernanceStore;
  let audit: AuditTrail;
  const lines: string[] = [];
  beforeAll(async () => {
    w = await world(800, 200);
    governance = await openGovernanceStore({ kind: 'sqlite', dataDir: w.dir });
    audit = createAuditTrail(governance, new ManualClock(Date.parse('2030-01-01')));
    intel = await startIntelligence(w.twins, w.registry, { checkIntervalMs: 0, log: (l) => lines.push(l) });
    expect(intel.decorateTwin(w.twins.engine.view('C3')!)).toMatchObject({ scores: null });
    await intel.trainIfMissing();
    app = createHttpServer({ twins: w.twins, auth: local.auth, version: 'test', decorateTwin: intel.decorateTwin, scoreFields: intel.scoreFields }, [modelRoutes(intel, audit)]);
  }, 120_000);
  afterAll(async () => {
    await intel.close();
    await app.close();
    await governance.close();
    await w.registry.close();
    await w.twins.close();
    rmSync(w.dir, { recursive: true, force: true });
  });

  it('filters GET /twins on the live scores with the same syntax as on features', async () => {
    const page = (await app.inject('/twins?churn.gte=0&clv.gt=0&limit=5')).json() as { items: { customerId: string; scores: { churn: number; clv: number } }[] };
    expect(page.items).toHaveLength(5);
    for (const t of page.items) expect(t.scores).toEqual({ churn: intel.live()!.scoreOf(t.customerId)!.churn, clv: intel.live()!.scoreOf(t.customerId)!.clv, at_risk: intel.live()!.scoreOf(t.customerId)!.atRisk ? 1 : 0 });
    const top = Math.max(...page.items.map((t) => t.scores.churn));
    const above = (await app.inject(`/twins?churn.gt=${top}&limit=1000`)).json() as { items: { scores: { churn: number } }[] };
    expect(above.items.every((t) => t.scores.churn > top)).toBe(true);
    const bad = await app.inject('/twins?churn.above=0.5');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/unknown operator "above"/);
  });

  it('lists GET /twins by churn or lifetime value, highest first, every twin with its scores, and pages the ranking', async () => {
    type Row = { customerId: string; features: { churned: number }; scores: { churn: number | null; clv: number; at_risk: number } };
    const all = (await app.inject('/twins?limit=1000')).json() as { items: Row[] };
    // No filter reads a score: each twin still shows them (the customers list's columns).
    expect(all.items.length).toBeGreaterThan(10);
    for (const t of all.items) expect(t.scores.clv).toBe(intel.live()!.scoreOf(t.customerId)!.clv);
    const byChurn = (await app.inject('/twins?sort=-churn&limit=1000')).json() as { items: Row[] };
    const churns = byChurn.items.map((t) => t.scores.churn);
    const known = churns.filter((c): c is number => c !== null);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    // Twins without a churn score (churned, no plan) come last, whichever the direction.
    expect(churns.slice(known.length).every((c) => c === null)).toBe(true);
    expect(byChurn.items.map((t) => t.customerId).sort()).toEqual(all.items.map((t) => t.customerId).sort());
    const byClv = (await app.inject('/twins?sort=clv&churned.eq=0&limit=1000')).json() as { items: Row[] };
    expect(byClv.items.map((t) => t.scores.clv)).toEqual(byClv.items.map((t) => t.scores.clv).sort((a, b) => a - b));
    // The ranking paged: the second page goes on where the first stopped.
    const first = (await app.inject('/twins?sort=-churn&limit=3')).json() as { items: Row[]; next: number };
    const second = (await app.inject(`/twins?sort=-churn&limit=3&offset=${first.next}`)).json() as { items: Row[] };
    expect([...first.items, ...second.items].map((t) => t.customerId)).toEqual(byChurn.items.slice(0, 6).map((t) => t.customerId));
    const bad = await app.inject('/twins?sort=-shoe_size');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/sort=-shoe_size: unknown field "shoe_size"; sort by one of tenure_days, .*, churn, clv, at_risk/);
  });

  it('trains and promotes a champion when there is none, and GET /twins/:id carries scores with reasons', async () => {
    expect(lines.some((l) => /^trained churn-v1 \(champion\)/.test(l))).toBe(true);
    const twin = (await app.inject('/twins/C3')).json();
    expect(twin.customerId).toBe('C3');
    const s = twin.scores;
    expect(s.model).toMatchObject({ id: 'churn-v1', version: 1 });
    if (s.churn.probability !== null) {
      expect(s.churn.probability).toBeGreaterThan(0);
      expect(s.churn.reasons.length).toBeGreaterThan(0);
      expect(s.churn.reasons[0].text).toMatch(/log-odds$/);
      expect(s.clv.value).toBeGreaterThan(0);
    }
    for (const k of ['usageTrend', 'complaints', 'payments', 'offerPropensity']) expect(s[k].reason).toEqual(expect.any(String));
    // The response profile: a posterior over the four classes, with the acceptance it implies and its range.
    const p = twin.responseProfile;
    expect(Object.values(p.classes as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(p.contacts).toBe(twin.contacts.presented);
    expect(p.acceptance.discount.low).toBeLessThanOrEqual(p.acceptance.discount.mean);
    expect(p.acceptance.discount.high).toBeGreaterThanOrEqual(p.acceptance.discount.mean);
    // As-of reads are history, not live: no scores.
    expect((await app.inject(`/twins/C3?at=${twin.asOf}`)).json().scores).toBeUndefined();
  });

  it('lists versions and shows one with its drift report', async () => {
    const list = (await app.inject('/models')).json();
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id: 'churn-v1', status: 'champion', horizonDays: 30 });
    expect(list.items[0].metrics.auc).toEqual(expect.any(Number));
    expect(list.items[0].trainingWindow.cutoffs.length).toBeGreaterThan(1);
    const one = (await app.inject('/models/churn-v1')).json();
    expect(one.drift.score.psi).toEqual(expect.any(Number));
    expect(one.drift.threshold).toBe(0.2);
    expect(one.metadata.featureNames).toContain('complaints_90d');
    expect(Array.isArray(one.alerts)).toBe(true);
    expect((await app.inject('/models/nope')).statusCode).toBe(404);
  });

  it('trains a challenger on request, validates the body, and promotes it', async () => {
    const bad = await app.inject({ method: 'POST', url: '/models/train', headers: { 'content-type': 'application/json' }, body: '{"horizonDays": 0}' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^horizonDays/);
    const res = await app.inject({ method: 'POST', url: '/models/train', headers: { 'content-type': 'application/json' }, body: '{"horizonDays": 30, "cutoffs": 3}' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'churn-v2', status: 'challenger' });
    expect(res.json().trainingWindow.cutoffs).toHaveLength(3);
    // A promotion says why: without a reason it is refused, naming the field, and nothing changes.
    const unexplained = await app.inject({ method: 'POST', url: '/models/churn-v2/promote', headers: { 'content-type': 'application/json' }, body: '{"reason": "  "}' });
    expect(unexplained.statusCode).toBe(400);
    expect(unexplained.json().error.message).toMatch(/^reason: say why/);
    expect((await app.inject('/models/churn-v2')).json().status).toBe('challenger');
    const promoted = await app.inject({ method: 'POST', url: '/models/churn-v2/promote', headers: { 'content-type': 'application/json' }, body: '{"reason": "AUC up on the last 3 cutoffs"}' });
    expect(promoted.json()).toMatchObject({ id: 'churn-v2', status: 'champion', promotion: { reason: 'AUC up on the last 3 cutoffs', previousChampion: 'churn-v1' } });
    // The reason is in the audit trail, with who promoted what over which champion, and shows with the version.
    const [entry] = await audit.read({ newestFirst: true, limit: 1 });
    expect(entry.entry).toMatchObject({ type: 'model.promoted', target: { kind: 'model', id: 'churn-v2', previousChampion: 'churn-v1' }, why: { summary: 'AUC up on the last 3 cutoffs' } });
    expect((await audit.verify()).ok).toBe(true);
    const listed = (await app.inject('/models')).json().items as { id: string; promotion: { reason: string } | null }[];
    expect(listed.find((v) => v.id === 'churn-v2')?.promotion?.reason).toBe('AUC up on the last 3 cutoffs');
    expect(listed.find((v) => v.id === 'churn-v1')?.promotion).toBeNull();
    expect((await app.inject('/models/churn-v1')).json().status).toBe('retired');
    expect((await app.inject('/twins/C3')).json().scores.model.id).toBe('churn-v2');
  });

  it('records a drift alert when a PSI passes the threshold, logs it and shows it', async () => {
    const strict = await startIntelligence(w.twins, w.registry, { checkIntervalMs: 0, driftThreshold: 1e-9, log: (l) => lines.push(l) });
    const other = createHttpServer({ twins: w.twins, auth: local.auth, version: 'test' }, [modelRoutes(strict, audit)]);
    try {
      const id = strict.live()!.model.id;
      const one = (await other.inject(`/models/${id}`)).json();
      expect(one.drift.drifting.length).toBeGreaterThan(0);
      expect(one.alerts.length).toBe(one.drift.drifting.length);
      expect(one.alerts[0].message).toMatch(/drifted \(PSI .* > 1e-9\)/);
      expect(lines.some((l) => l.startsWith('drift alert: model churn-v2'))).toBe(true);
    } finally {
      await strict.close();
      await other.close();
    }
  });

  it('keeps a drift check each time it checks and shows them as drift over time, oldest first, dated on the event clock', async () => {
    const checking = await startIntelligence(w.twins, w.registry, { checkIntervalMs: 25, log: () => {} });
    const other = createHttpServer({ twins: w.twins, auth: local.auth, version: 'test' }, [modelRoutes(checking, audit)]);
    try {
      const id = checking.live()!.model.id;
      type Check = { at: string; population: number; score: number; worstFeature: { subject: string; psi: number } };
      let history: Check[] = [];
      for (let waited = 0; history.length < 2 && waited < 10_000; waited += 25) {
        await new Promise((r) => setTimeout(r, 25));
        history = (await other.inject(`/models/${id}`)).json().driftHistory as Check[];
      }
      expect(history[0].at <= history[1].at).toBe(true);
      expect(history[0].at).toBe(new Date(w.twins.engine.eventClock).toISOString());
      const now = (await other.inject(`/models/${id}`)).json().drift;
      const latest = history.at(-1)!;
      expect(latest).toMatchObject({ population: now.population, score: now.score.psi });
      expect(latest.worstFeature.psi).toBe(Math.max(...now.features.map((f: { psi: number }) => f.psi)));
    } finally {
      await checking.close();
      await other.close();
    }
  });
});

describe('trainIfMissing on a short history', () => {
  it('logs why there is no model and leaves twins unscored', async () => {
    const w = await world(20, 20);
    const lines: string[] = [];
    const intel = await startIntelligence(w.twins, w.registry, { checkIntervalMs: 0, log: (l) => lines.push(l) });
    try {
      await intel.trainIfMissing();
      expect(lines.join('\n')).toMatch(/no churn model yet: the history .* is too short/);
      expect(intel.live()).toBeNull();
      const noPromotions = { record: () => Promise.reject(new Error('nothing is promoted here')), read: () => Promise.resolve([]) };
      const app = createHttpServer({ twins: w.twins, auth: local.auth, version: 'test', decorateTwin: intel.decorateTwin, scoreFields: intel.scoreFields }, [modelRoutes(intel, noPromotions)]);
      const res = await app.inject({ method: 'POST', url: '/models/train' });
      expect(res.statusCode).toBe(409);
      expect((await app.inject('/models')).json()).toEqual({ items: [] });
      await app.close();
    } finally {
      await intel.close();
      await w.registry.close();
      await w.twins.close();
      rmSync(w.dir, { recursive: true, force: true });
    }
  });
});
