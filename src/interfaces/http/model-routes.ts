import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { summarizeVersion } from '../../intelligence/live/churn-model-service.js';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import { MAX_CUTOFFS, MAX_HORIZON_DAYS } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { MODEL_STATUSES } from '../../store/model-registry.js';
import { errors, idParams, isoTime, jsonObject, list } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

const trainRequest = z
  .strictObject({
    horizonDays: z.number().int().min(1).max(MAX_HORIZON_DAYS).optional().describe('Label horizon (default 30 days)'),
    cutoffs: z.number().int().min(1).max(MAX_CUTOFFS).optional().describe('Monthly cutoffs stacked (default 12)'),
  })
  .optional()
  .meta({ examples: [{ horizonDays: 30, cutoffs: 12 }] });

/** A version as lists show it (`summarizeVersion`). */
const versionSummary = z.object({
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

const versionDetail = versionSummary.extend({
  metadata: jsonObject.describe('Everything training recorded but the drift baseline'),
  drift: z.union([driftReport, z.object({ note: z.string() })]),
  alerts: list(z.object({ id: z.number().int(), modelId: z.string(), at: isoTime, subject: z.string(), psi: z.number(), threshold: z.number(), message: z.string() })),
});

/** GET /models, GET /models/:id, POST /models/train, POST /models/:id/promote. */
export function modelRoutes(intelligence: Intelligence): RouteModule {
  const { registry } = intelligence;
  return (app) => {
    app.get(
      '/models',
      { schema: { summary: 'Model versions with status (champion, challenger, retired), metrics and training window', response: { 200: z.object({ items: list(versionSummary) }) } } },
      async () => ({ items: (await registry.list()).map(summarizeVersion) }),
    );

    app.get(
      '/models/:id',
      { schema: { summary: 'One model version with its drift report', params: idParams, response: { 200: versionDetail, ...errors(404) } } },
      async (request) => {
        const v = await registry.get(request.params.id);
        if (!v) throw new TwinloopError('NOT_FOUND', `model version "${request.params.id}" not found; see GET /models`);
        const { drift: _baseline, ...metadata } = v.metadata;
        // The report first: it records any new alert, which the list below then shows.
        const drift = intelligence.driftReport(v.id) ?? { note: 'drift is monitored for the champion serving live scores only' };
        const alerts = await registry.listDriftAlerts({ modelId: v.id, limit: 50 });
        return { ...summarizeVersion(v), metadata, drift, alerts: alerts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })) };
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
      async (request, reply) => reply.status(201).send(summarizeVersion((await intelligence.train(request.body ?? {})).info)),
    );

    app.post(
      '/models/:id/promote',
      { schema: { summary: 'Make a version the champion (the previous champion is retired)', params: idParams, response: { 200: versionSummary, ...errors(400, 404) } } },
      async (request) => summarizeVersion(await intelligence.promote(request.params.id)),
    );
  };
}
