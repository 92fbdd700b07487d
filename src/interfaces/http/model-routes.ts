import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { summarizeVersion } from '../../intelligence/live/churn-model-service.js';
import type { Intelligence, TrainRequest } from '../../intelligence/live/live-intelligence.js';
import { MAX_CUTOFFS, MAX_HORIZON_DAYS } from '../../intelligence/twin-training/train-churn-from-twins.js';
import type { RouteModule } from './route-module.js';

const trainRequest = z
  .object({
    horizonDays: z.number().int().min(1).max(MAX_HORIZON_DAYS).optional(),
    cutoffs: z.number().int().min(1).max(MAX_CUTOFFS).optional(),
  })
  .strict();

/** Parses the (string) body of POST /models/train; an empty body means the defaults. */
export function parseTrainRequest(body: unknown): TrainRequest {
  let value: unknown = {};
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new TwinloopError('BAD_INPUT', 'body: malformed JSON; send {"horizonDays": 30, "cutoffs": 12} or nothing', { cause: err });
    }
  } else if (body && typeof body === 'object') value = body;
  const r = trainRequest.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TwinloopError('BAD_INPUT', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

/** GET /models, GET /models/:id, POST /models/train, POST /models/:id/promote. */
export function modelRoutes(ctx: Intelligence): RouteModule {
  return (app: FastifyInstance) => {
    app.get('/models', async () => ({ items: (await ctx.registry.list()).map(summarizeVersion) }));

    app.get<{ Params: { id: string } }>('/models/:id', async (request) => {
      const v = await ctx.registry.get(request.params.id);
      if (!v) throw new TwinloopError('NOT_FOUND', `model version "${request.params.id}" not found; see GET /models`);
      const { drift: _baseline, ...metadata } = v.metadata as Record<string, unknown>;
      // The report first: it records any new alert, which the list below then shows.
      const drift = ctx.driftReport(v.id) ?? { note: 'drift is monitored for the champion serving live scores only' };
      const alerts = await ctx.registry.listDriftAlerts({ modelId: v.id, limit: 50 });
      return {
        ...summarizeVersion(v),
        metadata,
        drift,
        alerts: alerts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })),
      };
    });

    app.post('/models/train', async (request, reply) => {
      const options = parseTrainRequest(request.body);
      const r = await ctx.train(options);
      return reply.status(201).send(summarizeVersion(r.info));
    });

    app.post<{ Params: { id: string } }>('/models/:id/promote', async (request) => summarizeVersion(await ctx.promote(request.params.id)));
  };
}
