import { z } from 'zod';
import type { AuditTrail } from '../../agents/governance/audit-trail.js';
import { MAX_PROMOTION_REASON, promoteWithReason } from '../../agents/governance/model-promotion.js';
import { TwinloopError } from '../../domain/errors.js';
import { summarizeVersion } from '../../intelligence/live/churn-model-service.js';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import { MAX_CUTOFFS, MAX_HORIZON_DAYS } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { DEFAULT_DRIFT_CHECKS, MODEL_STATUSES } from '../../store/model-registry.js';
import { errors, idParams, isoTime, jsonObject, list } from './api-schemas.js';
import { actorFor } from './http-auth.js';
import type { RouteModule } from './route-module.js';

export const trainRequest = z
  .strictObject({
    horizonDays: z.number().int().min(1).max(MAX_HORIZON_DAYS).optional().describe('Label horizon (default 30 days)'),
    cutoffs: z.number().int().min(1).max(MAX_CUTOFFS).optional().describe('Monthly cutoffs stacked (default 12)'),
  })
  .optional()
  .meta({ examples: [{ horizonDays: 30, cutoffs: 12 }] });

const promoteRequest = z
  .strictObject({ reason: z.string().trim().min(1, 'say why this version should serve (e.g. "higher AUC on the last 3 cutoffs, no drift")').max(MAX_PROMOTION_REASON).describe('Why this version should serve: kept in the audit trail and shown with the version') })
  .meta({ examples: [{ reason: 'AUC 0.81 vs 0.78 on the same validation rows, calibration as good' }] });

/** Who made a version the champion, when and why (from the audit trail's `model.promoted` entries). */
const promotion = z.object({ by: z.object({ kind: z.string(), id: z.string() }), at: isoTime.describe('When, on the wall clock (a promotion is a person\'s act; its audit entry says clock "wall")'), reason: z.string(), previousChampion: z.string().nullable(), auditSeq: z.number().int() });
type Promotion = z.infer<typeof promotion>;

/** Promotions read back to show with the versions: far more than a registry's versions ever are. */
const PROMOTIONS_READ = 500;

/** How long promotions read from the trail are kept: one made through another server (PostgreSQL) shows within this. */
const PROMOTIONS_TTL_MS = 60_000;

/** A version as lists show it (`summarizeVersion`). */
export const versionSummary = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  status: z.enum(MODEL_STATUSES),
  createdAt: isoTime,
  learner: z.string().nullable(),
  horizonDays: z.number().nullable(),
  metrics: jsonObject.nullable().describe('AUC, log loss, ECE, validation rows… (docs/models.md)'),
  trainingWindow: jsonObject.nullable(),
  featureCount: z.number().int().nullable(),
  promotion: promotion.nullable().describe('The latest promotion of this version to champion with its reason; null when it never was promoted by a person (e.g. the first champion, trained when there was none)'),
});

const driftItem = z.object({ subject: z.string(), psi: z.number(), status: z.enum(['stable', 'moderate', 'drift']) });
const driftReport = z.object({
  modelId: z.string(),
  at: isoTime,
  threshold: z.number(),
  population: z.number().int(),
  score: driftItem,
  features: list(driftItem),
  drifting: list(z.string()),
});

/** One drift check as the models page charts it: the score's PSI and the feature that moved most. */
const driftCheck = z.object({
  at: isoTime.describe('When it was checked, on the event clock'),
  population: z.number().int(),
  score: z.number().describe("PSI of the churn score's distribution against training"),
  worstFeature: z.object({ subject: z.string(), psi: z.number() }).nullable().describe('The monitored feature with the largest PSI then'),
});

const versionDetail = versionSummary.extend({
  metadata: jsonObject.describe('Everything training recorded but the drift baseline'),
  drift: z.union([driftReport, z.object({ note: z.string() })]),
  driftHistory: list(driftCheck).describe(`Drift over time: the checks made while this version served (one a minute), oldest first; the latest ${DEFAULT_DRIFT_CHECKS}`),
  alerts: list(z.object({ id: z.number().int(), modelId: z.string(), at: isoTime, subject: z.string(), psi: z.number(), threshold: z.number(), message: z.string() })),
});

/**
 * GET /models, GET /models/:id, POST /models/train, POST /models/:id/promote (with a reason, kept
 * in `audit` as a `model.promoted` entry and shown with the version).
 */
export function modelRoutes(intelligence: Intelligence, audit: Pick<AuditTrail, 'record' | 'read'>): RouteModule {
  const { registry } = intelligence;
  /** The newest promotion of each version, by id, read from the audit trail. */
  const readPromotions = async (): Promise<Map<string, Promotion>> => {
    const byId = new Map<string, Promotion>();
    for (const r of await audit.read({ newestFirst: true, contains: '"model.promoted"', limit: PROMOTIONS_READ })) {
      const e = r.entry as { type?: string; actor?: { kind: string; id: string }; target?: { kind?: string; id?: string; previousChampion?: string | null }; why?: { summary?: string } };
      if (e.type !== 'model.promoted' || e.target?.kind !== 'model' || !e.target.id || byId.has(e.target.id)) continue;
      byId.set(e.target.id, { by: e.actor ?? { kind: 'unknown', id: 'unknown' }, at: new Date(r.at).toISOString(), reason: e.why?.summary ?? '', previousChampion: e.target.previousChampion ?? null, auditSeq: r.seq });
    }
    return byId;
  };
  // Finding them searches the whole trail's text, which grows with every action the operator takes
  // (seconds on a busy year's trail): it is read once and kept, this server's own promotions added
  // as they are made, and read again after PROMOTIONS_TTL_MS for those made through another server.
  let known: { at: number; byId: Promise<Map<string, Promotion>> } | null = null;
  const promotions = (): Promise<Map<string, Promotion>> => {
    if (!known || Date.now() - known.at > PROMOTIONS_TTL_MS) {
      const byId = readPromotions();
      known = { at: Date.now(), byId };
      byId.catch(() => (known = null));
    }
    return known.byId;
  };
  const summary = (v: Parameters<typeof summarizeVersion>[0], known: Map<string, Promotion>) => ({ ...summarizeVersion(v), promotion: known.get(v.id) ?? null });
  return (app) => {
    app.get(
      '/models',
      { schema: { summary: 'Model versions with status (champion, challenger, retired), metrics and training window', response: { 200: z.object({ items: list(versionSummary) }) } } },
      async () => {
        const known = await promotions();
        return { items: (await registry.list()).map((v) => summary(v, known)) };
      },
    );

    app.get(
      '/models/:id',
      { schema: { summary: 'One model version with its drift report', params: idParams, response: { 200: versionDetail, ...errors(404) } } },
      async (request) => {
        const v = await registry.get(request.params.id);
        if (!v) throw new TwinloopError('NOT_FOUND', `model version "${request.params.id}" not found; see GET /models`);
        const { drift: _baseline, ...metadata } = v.metadata;
        // The report first: it records any new alert, which the list below then shows.
        const drift = intelligence.driftReport(v.id) ?? { note: 'no drift report: drift is read for the champion serving live scores, once every twin holds its score (a first pass scores them a slice at a time)' };
        const alerts = await registry.listDriftAlerts({ modelId: v.id, limit: 50 });
        const checks = (await registry.listDriftChecks({ modelId: v.id })).reverse();
        const driftHistory = checks.map((c) => {
          const worst = Object.entries(c.features).reduce<[string, number] | null>((a, b) => (a === null || b[1] > a[1] ? b : a), null);
          return { at: new Date(c.at).toISOString(), population: c.population, score: c.scorePsi, worstFeature: worst && { subject: worst[0], psi: worst[1] } };
        });
        return { ...summary(v, await promotions()), metadata, drift, driftHistory, alerts: alerts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })) };
      },
    );

    app.post(
      '/models/train',
      {
        schema: {
          summary: 'Train a churn model from the twins now (registered as challenger, or champion when there is none); an empty body means the defaults',
          body: trainRequest,
          response: { 201: versionSummary, ...errors(400, 409) },
        },
      },
      async (request, reply) => reply.status(201).send({ ...summarizeVersion((await intelligence.train(request.body ?? {})).info), promotion: null }),
    );

    app.post(
      '/models/:id/promote',
      {
        schema: {
          summary: 'Make a version the champion (the previous champion is retired), saying why: the reason is kept in the audit trail (model.promoted) and shown with the version',
          params: idParams,
          body: promoteRequest,
          response: { 200: versionSummary, ...errors(400, 404) },
        },
      },
      async (request) => {
        const { info, promotion } = await promoteWithReason({ registry, promote: (id) => intelligence.promote(id), audit }, { id: request.params.id, reason: request.body.reason, actor: actorFor(request) });
        (await promotions()).set(info.id, promotion);
        return { ...summarizeVersion(info), promotion };
      },
    );
  };
}
