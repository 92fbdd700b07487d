import { customersWithin } from './http-auth.js';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { TwinDecorator } from '../../intelligence/live/live-intelligence.js';
import { FEATURE_NAMES } from '../../twin/twin-features.js';
import { decodePartitionCursor, encodePartitionCursor, partitionKey, queryTwinsInPartitionOrderWhere } from '../../twin/partition-order.js';
import { parseTwinSort, queryTwinsWhere, type ExtraFields } from '../../twin/twin-query.js';
import type { TwinService } from '../../twin/twin-service.js';
import { decodeRankCursor, encodeRankCursor, queryTwinsRankedAfter, rankKeyOf } from '../../twin/ranked-order.js';
import { errors, isoTimeQuery, pageLimit } from './api-schemas.js';
import type { RouteModule } from './route-module.js';
import { timelinePage, twinAnswer, twinCursorPage, twinDiff, twinPage } from './twin-schemas.js';

const PAGING = new Set(['limit', 'offset', 'sort']);
const CURSOR_PAGING = new Set(['limit', 'cursor', 'sort']);
const twinParams = z.object({ id: z.string().min(1).max(128) });

/**
 * `GET /twins` (filtered on features and, with `scoreFields`, on live scores: `churn.gt=0.5`),
 * `GET /twins/:id` (now, with scores, or as of a time), its timeline and diff.
 */
export function twinRoutes(twins: TwinService, decorate?: TwinDecorator, scoreFields?: ExtraFields, profile?: TwinDecorator, partitioned?: PartitionedTwins): RouteModule {
  return (app) => {
    if (partitioned) partitionedTwinList(app, twins, partitioned, scoreFields);
    else app.get(
      '/twins',
      {
        schema: {
          summary: 'List twins, filtered on features and live scores (`field.op=value`, docs/filters.md)',
          description: `Scans twins in order from \`offset\` and returns up to \`limit\` matches; \`next\` is the offset to resume from (null at the end), \`twinCount\` the number of twins in all that the caller reaches (a key held to segments counts its segments' twins only). Filters are \`{field}.{op}=number\` such as data_mb_30d.gt=1000 or churn.gt=0.5; ops eq, ne, gt, gte, lt, lte; fields: ${FEATURE_NAMES.join(', ')}, and the live scores churn, clv and at_risk once a model serves (shown under \`scores\` for every twin listed then). \`sort=field\` (\`-field\`: highest first) lists the matches in that field's order, \`offset\` then counting ranks.`,
          // Filters are named by the fields themselves: the keys beyond paging are checked by the twin layer's filter vocabulary.
          querystring: z
            .looseObject({ limit: pageLimit(50), offset: z.coerce.number().int().min(0).default(0), sort: z.string().min(1).max(64).optional().describe('A field of the filter vocabulary to list by (`-churn`: the riskiest first; twins without a value last)') })
            .meta({ examples: [{ 'data_mb_30d.gt': '1000', limit: '20' }, { 'at_risk.eq': '1', sort: '-clv' }] }),
          response: { 200: twinPage, ...errors(400) },
        },
      },
      async (request) => {
        const { limit, offset, sort } = request.query;
        const scope = customersWithin(request);
        const page = queryTwinsWhere(twins.engine, filterPairs(request.query, PAGING), offset, limit, scoreFields, scope ?? undefined, sort === undefined ? undefined : parseTwinSort(sort, scoreFields));
        // A key held to segments counts only the twins it reaches: the population's size is not its to read.
        return { items: page.items, next: page.next, twinCount: scope === null ? twins.engine.size : countWithin(twins, scope) };
      },
    );

    app.get(
      '/twins/:id',
      {
        schema: {
          summary: 'A twin: profile, products and features, now or as of a past time; a current read also carries live scores with reasons (churn, lifetime value, usage trend, complaints, payments, offer propensity); both carry the response profile (how the customer answers contact, from their answers as of the read)',
          params: twinParams,
          querystring: z.object({ at: isoTimeQuery.optional() }),
          response: { 200: twinAnswer, ...errors(400, 404) },
        },
      },
      async (request) => {
        const { at } = request.query;
        const view = at === undefined ? twins.engine.view(request.params.id) : await twins.history.asOf(request.params.id, at);
        if (!view) throw new TwinloopError('NOT_FOUND', `twin "${request.params.id}" not found${at === undefined ? '' : ` as of ${new Date(at).toISOString()}`}`);
        if (at === undefined) return decorate ? { ...view, ...decorate(view) } : view;
        return profile ? { ...view, ...profile(view) } : view;
      },
    );

    app.get(
      '/twins/:id/timeline',
      {
        schema: {
          summary: "A twin's events in log order",
          description: "While the first start's history still goes through the intake (no event of it is listed yet), or is written to the log behind it (or sealed), the page holds the customer's events after the history's end only (every live event, action and outcome) with `historyComplete: false` and `history` saying where the history is, how much is written and when to ask again; otherwise `historyComplete: true`.",
          params: twinParams,
          querystring: z.object({ after: z.coerce.number().int().min(0).default(0), limit: pageLimit(100), until: isoTimeQuery.optional() }),
          response: { 200: timelinePage, ...errors(400, 404) },
        },
      },
      async (request) => {
        if (!twins.engine.has(request.params.id)) throw new TwinloopError('NOT_FOUND', `twin "${request.params.id}" not found`);
        const { after, limit, until } = request.query;
        const { items, history } = await twins.history.timelineForReading(request.params.id, { afterSeq: after, limit, until });
        const next = items.length === limit ? items[items.length - 1].seq : null;
        if (!history) return { items, next, historyComplete: true };
        return {
          items,
          next,
          historyComplete: false,
          history: { stage: history.stage, written: history.written, ...(history.sealed === undefined ? {} : { sealed: history.sealed }), retryAfterSeconds: history.retryAfterSeconds, fromSeq: history.historyEndSeq, note: history.reason },
        };
      },
    );

    app.get(
      '/twins/:id/diff',
      {
        schema: {
          summary: 'What changed in a twin between two times',
          params: twinParams,
          querystring: z.object({ from: isoTimeQuery, to: isoTimeQuery.optional() }).meta({ examples: [{ from: '2026-02-01T00:00:00Z' }] }),
          response: { 200: twinDiff, ...errors(400, 404) },
        },
      },
      async (request) => twins.history.diff(request.params.id, request.query.from, request.query.to ?? twins.engine.eventClock),
    );
  };
}

/** What a partition worker lists twins by: the customers it answers for now, and its live partitions. */
export interface PartitionedTwins {
  answersFor(customerId: string): boolean;
  livePartitions(): number[];
}

/** The query string's filters: every key but the paging ones, as text (the twin layer's one filter vocabulary reads them). */
export function filterPairs(query: Readonly<Record<string, unknown>>, paging: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([k]) => !paging.has(k)).map(([k, v]) => [k, String(v)]));
}

/** The query string of `GET /twins` paged by cursor (a partition worker's, the gateway's). */
export const twinCursorQuery = z
  .looseObject({
    limit: pageLimit(50),
    cursor: z.string().min(1).max(400).optional(),
    sort: z.string().min(1).max(64).optional().describe('A field of the filter vocabulary to rank by (`-churn`: the riskiest first; twins without a value last, ties in the partition order); `next` then resumes the ranked list'),
  })
  .meta({ examples: [{ 'churn.gt': '0.5', limit: '20' }, { 'at_risk.eq': '1', sort: '-clv' }] });

/** Refuses `offset` where the list pages by cursor: an offset means nothing across workers. */
export function refuseOffset(query: Readonly<Record<string, unknown>>): void {
  if ('offset' in query) throw new TwinloopError('BAD_INPUT', 'offset: GET /twins over partition workers pages by cursor: leave offset out and pass the page\'s next as cursor=');
}

/**
 * `GET /twins` on a partition worker: the twins of its live partitions in the partition order
 * (partition, then customer id), after the cursor, naming the partitions listed; the gateway
 * merges the workers' pages into one (docs/scale.md).
 */
function partitionedTwinList(app: Parameters<RouteModule>[0], twins: TwinService, partitioned: PartitionedTwins, scoreFields?: ExtraFields): void {
  app.get(
    '/twins',
    {
      schema: {
        summary: "List this worker's twins (its live partitions) in the partition order, filtered on features and live scores (`field.op=value`, docs/filters.md)",
        description: 'Twins ordered by partition then customer id, after `cursor`, up to `limit` matches; `next` is the cursor to resume from (null at the end), `partitions` the live partitions listed, `twinCount` their twins. The gateway asks every worker and merges their pages.',
        querystring: twinCursorQuery,
        response: { 200: twinCursorPage, ...errors(400) },
      },
    },
    async (request) => {
      refuseOffset(request.query);
      const { limit, cursor, sort: sortText } = request.query;
      // One synchronous read: the partitions named are those the page was taken over.
      const partitions = partitioned.livePartitions();
      const scope = customersWithin(request);
      const keep = (id: string) => partitioned.answersFor(id) && (scope === null || scope(id));
      let twinCount = 0;
      for (const id of twins.engine.customerIds()) if (twins.engine.has(id) && keep(id)) twinCount++;
      const pairs = filterPairs(request.query, CURSOR_PAGING);
      if (sortText !== undefined) {
        // Ranked: after the cursor's place in the ranked order, which the gateway merges the workers' pages by.
        const sort = parseTwinSort(sortText, scoreFields);
        const page = queryTwinsRankedAfter(twins.engine, pairs, sort, cursor === undefined ? undefined : decodeRankCursor(cursor, sort), limit, keep, scoreFields);
        const last = page.items[page.items.length - 1];
        return { items: page.items, next: page.more && last ? encodeRankCursor(sort, rankKeyOf(last, sort.field)) : null, twinCount, partitions };
      }
      const page = queryTwinsInPartitionOrderWhere(twins.engine, pairs, cursor === undefined ? undefined : decodePartitionCursor(cursor), limit, keep, scoreFields);
      const last = page.items[page.items.length - 1];
      return { items: page.items, next: page.more && last ? encodePartitionCursor(partitionKey(last.customerId)) : null, twinCount, partitions };
    },
  );
}

/** The twins a caller held to segments reaches (`customersWithin`), counted over every twin held here. */
function countWithin(twins: TwinService, within: (customerId: string) => boolean): number {
  let n = 0;
  for (const id of twins.engine.customerIds()) if (twins.engine.has(id) && within(id)) n++;
  return n;
}
