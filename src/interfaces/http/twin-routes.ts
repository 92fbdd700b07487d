import type { FastifyInstance } from 'fastify';
import { TwinloopError } from '../../domain/errors.js';
import { queryTwinsWhere, type ExtraFields } from '../../twin/twin-query.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinView } from '../../twin/twin-view.js';

/** Parses an ISO time query parameter, naming it when malformed. */
export function parseTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TwinloopError('BAD_INPUT', `${name}: "${value}" is not an ISO-8601 time`);
  return ms;
}

const PAGING = new Set(['limit', 'offset']);

/** The twin routes; `scoreFields` lets `/twins` filter on live scores (`churn.gt=0.5`). */
export function registerTwinRoutes(app: FastifyInstance, twins: TwinService, decorate?: (view: TwinView) => Record<string, unknown>, scoreFields?: ExtraFields): void {
  app.get<{ Querystring: Record<string, string> }>('/twins', async (request) => {
    const q = request.query;
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 50) || 50));
    const offset = Math.max(0, Number(q.offset ?? 0) || 0);
    const page = queryTwinsWhere(twins.engine, Object.fromEntries(Object.entries(q).filter(([k]) => !PAGING.has(k))), offset, limit, scoreFields);
    return { items: page.items, next: page.next, twinCount: twins.engine.size };
  });

  app.get<{ Params: { id: string }; Querystring: { at?: string } }>('/twins/:id', async (request) => {
    const at = parseTime('at', request.query.at);
    const view = at === undefined ? twins.engine.view(request.params.id) : await twins.history.asOf(request.params.id, at);
    if (!view) throw new TwinloopError('NOT_FOUND', `twin "${request.params.id}" not found${at === undefined ? '' : ` as of ${request.query.at}`}`);
    return at === undefined && decorate ? { ...view, ...decorate(view) } : view;
  });

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string; until?: string } }>('/twins/:id/timeline', async (request) => {
    if (!twins.engine.has(request.params.id)) throw new TwinloopError('NOT_FOUND', `twin "${request.params.id}" not found`);
    const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100));
    const items = await twins.history.timeline(request.params.id, {
      afterSeq: Number(request.query.after ?? 0) || 0,
      limit,
      until: parseTime('until', request.query.until),
    });
    return { items, next: items.length === limit ? items[items.length - 1].seq : null };
  });

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>('/twins/:id/diff', async (request) => {
    const from = parseTime('from', request.query.from);
    const to = parseTime('to', request.query.to) ?? twins.engine.eventClock;
    if (from === undefined) throw new TwinloopError('BAD_INPUT', 'from: required (ISO-8601 time)');
    return twins.history.diff(request.params.id, from, to);
  });
}
