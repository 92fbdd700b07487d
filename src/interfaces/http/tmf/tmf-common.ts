import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';
import { describeInputIssues, type InputIssueOptions } from '../../../domain/input-issues.js';
import { idParams } from '../api-schemas.js';
import { reachedOnly, requireCustomer } from '../http-auth.js';
import type { HttpApp } from '../route-module.js';
import { tmfRequired, tmfSchema, type TmfApi } from './tmf-spec.js';

/**
 * The rules every TM Forum Open API of Twinloop follows (TMF630 REST design guidelines), in one
 * place for every TMF route module: `fields` selection, attribute filtering, `offset`/`limit`
 * paging with `X-Total-Count` and `X-Result-Count`, `href`, `@type`/`@baseType`/
 * `@schemaLocation`, `Location` on create, JSON merge patch and the TMF `Error` body (which
 * `error-mapping.ts` answers for every path under `/tmf-api/`). See docs/tmf.md.
 */

/** Every TMF API is served under this root: `/tmf-api/{apiName}/v4/…`. */
export const TMF_ROOT = '/tmf-api/';

/** Whether a request path belongs to a TMF API (its errors then answer the TMF `Error` body). */
export const isTmfPath = (url: string): boolean => url.startsWith(TMF_ROOT);

/** The media type of a PATCH body (RFC 7386); Fastify parses it as JSON (server.ts). */
export const MERGE_PATCH = 'application/merge-patch+json';
/** The media type of a JSON Patch body (RFC 6902, tmf-json-patch.ts), where a route takes one; parsed as JSON too. */
export const JSON_PATCH = 'application/json-patch+json';

/** Whether a request's body is a JSON Patch by its content type. */
export const isJsonPatch = (req: FastifyRequest): boolean => String(req.headers['content-type'] ?? '').toLowerCase().startsWith(JSON_PATCH);

/** The largest page a list answers: a client pages on with `offset`. */
const MAX_LIMIT = 1000;

/** Query parameters that are not attribute filters. */
const RESERVED = new Set(['fields', 'offset', 'limit', 'sort']);

/** A list's query: `fields`, `offset`, `limit`, and any other parameter filters on that attribute. */
export const tmfListQuery = z
  .looseObject({
    fields: z.string().max(2000).optional().describe('Comma-separated attributes to answer (id, href and @type always come)'),
    offset: z.coerce.number().int().min(0).default(0).describe('Index of the first item answered'),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100).describe(`Most items answered (at most ${MAX_LIMIT})`),
  })
  .describe('Any other parameter filters on that attribute: `lifecycleStatus=Active`, `name=a,b` (either), `validFor.startDateTime.gt=2026-01-01T00:00:00Z` (gt, gte, lt, lte, ne)');

/** `fields` of a GET of one resource. */
export const tmfFieldsQuery = z.object({ fields: z.string().max(2000).optional().describe('Comma-separated attributes to answer (id, href and @type always come)') });

/** The TMF `Error` body for a status. `code` is Twinloop's error code, `message` says what is wrong and what to do next. */
export function tmfErrorBody(status: number, code: string, message: string): Record<string, string> {
  return { code, reason: STATUS_CODES[status] ?? 'Error', message, status: String(status), '@type': 'Error' };
}

/** The error answers of a TMF route, by status, with the API's official `Error` schema (merge into `response`). */
export function tmfErrors<const S extends readonly (400 | 401 | 403 | 404 | 409 | 503)[]>(api: TmfApi, ...statuses: S): { [K in S[number]]: z.ZodType } {
  const error = tmfSchema(api, 'Error');
  return Object.fromEntries(statuses.map((s) => [s, error])) as { [K in S[number]]: z.ZodType };
}

/** The absolute root of an API for a request, e.g. `http://host:8080/tmf-api/productCatalogManagement/v4`, which `href`s start with. */
export function apiRoot(req: FastifyRequest, basePath: string): string {
  return `${req.protocol}://${req.host}${basePath.replace(/\/$/, '')}`;
}

/** Answers a created resource: 201 with `Location` set to its `href`. */
export function sendCreated(reply: FastifyReply, resource: { href?: unknown }): FastifyReply {
  if (typeof resource.href === 'string') void reply.header('Location', resource.href);
  return reply.status(201).send(resource);
}

/** The resource with only the attributes `fields` names (and id, href, @type and the definition's `required` ones); all of it without `fields`. */
export function selectFields<T extends Record<string, unknown>>(resource: T, fields: string | undefined, required: readonly string[] = []): Partial<T> {
  if (fields === undefined || fields.trim() === '') return resource;
  const keep = new Set(['id', 'href', '@type', ...required, ...fields.split(',').map((f) => f.trim().split('.')[0])]);
  return Object.fromEntries(Object.entries(resource).filter(([k]) => keep.has(k))) as Partial<T>;
}

const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
type Operator = (typeof OPERATORS)[number];

/** One attribute filter of a list query: `path op value` (values are alternatives). */
export interface AttributeFilter {
  readonly path: readonly string[];
  readonly op: Operator;
  readonly values: readonly string[];
}

/** The attribute filters of a list query (every parameter but fields, offset, limit and sort). */
export function attributeFilters(query: Record<string, unknown>): AttributeFilter[] {
  const filters: AttributeFilter[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key) || raw === undefined) continue;
    const segments = key.split('.');
    const last = segments[segments.length - 1] as Operator;
    const op = segments.length > 1 && OPERATORS.includes(last) ? last : 'eq';
    const path = op === 'eq' && last !== 'eq' ? segments : segments.slice(0, -1);
    if (path.length === 0 || path.some((p) => p === '')) throw new TwinloopError('BAD_INPUT', `${key}: not an attribute path; filter as attribute=value or attribute.gt=value`);
    const values = [raw].flat().flatMap((v) => String(v).split(','));
    filters.push({ path, op, values });
  }
  return filters;
}

/** The values at `path` in a resource (arrays on the way are walked: any element may match). */
function valuesAt(node: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(node)) return node.flatMap((n) => valuesAt(n, path));
  if (path.length === 0) return [node];
  if (node === null || typeof node !== 'object') return [];
  return valuesAt((node as Record<string, unknown>)[path[0]], path.slice(1));
}

/** Compares an attribute's value with a filter value: as numbers when both are, as times when both are ISO times, else as text. */
function compare(value: unknown, wanted: string): number {
  const n = Number(wanted);
  if (typeof value === 'number' && wanted.trim() !== '' && Number.isFinite(n)) return value - n;
  const text = String(value);
  if (/^\d{4}-\d\d-\d\dT/.test(text) && /^\d{4}-\d\d-\d\dT/.test(wanted)) return Date.parse(text) - Date.parse(wanted);
  return text < wanted ? -1 : text > wanted ? 1 : 0;
}

function matches(resource: unknown, f: AttributeFilter): boolean {
  const found = valuesAt(resource, f.path).filter((v) => v !== undefined && v !== null && typeof v !== 'object');
  const hit = (test: (c: number) => boolean) => found.some((v) => f.values.some((w) => test(compare(v, w))));
  switch (f.op) {
    case 'eq':
      return hit((c) => c === 0);
    case 'ne':
      return !hit((c) => c === 0);
    case 'gt':
      return hit((c) => c > 0);
    case 'gte':
      return hit((c) => c >= 0);
    case 'lt':
      return hit((c) => c < 0);
    case 'lte':
      return hit((c) => c <= 0);
  }
}

/** The resources every filter of the query keeps. */
export function filterResources<T>(resources: readonly T[], query: Record<string, unknown>): T[] {
  const filters = attributeFilters(query);
  return filters.length === 0 ? [...resources] : resources.filter((r) => filters.every((f) => matches(r, f)));
}

/**
 * Answers a list the TMF way: filtered by the query's attributes, paged by `offset`/`limit`,
 * `X-Total-Count` (matching items) and `X-Result-Count` (items answered) set, `fields` applied.
 */
export function sendList(reply: FastifyReply, resources: readonly Record<string, unknown>[], query: z.infer<typeof tmfListQuery>, required: readonly string[] = []): Record<string, unknown>[] {
  const matching = filterResources(resources, query);
  const page = matching.slice(query.offset, query.offset + query.limit).map((r) => selectFields(r, query.fields, required));
  void reply.header('X-Total-Count', String(matching.length)).header('X-Result-Count', String(page.length));
  return page;
}

/** RFC 7386 JSON merge patch: `null` removes an attribute, objects merge, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** A PATCH body: a JSON object (merge patch); the resource's own rules check the result. */
/**
 * A resource written (a merge patch applied, an update built) checked against its schema: the
 * checked data, or BAD_INPUT naming every problem, each attribute as the body writes it (the one
 * refusal of a TMF write; `options` for a part of a larger body).
 */
export function checkedResource<T>(schema: z.ZodType<T>, resource: unknown, options: InputIssueOptions = { whole: 'body' }): T {
  const checked = schema.safeParse(resource);
  if (!checked.success) throw new TwinloopError('BAD_INPUT', describeInputIssues(checked.error.issues, resource, options));
  return checked.data;
}

export const mergePatchBody = z.record(z.string(), z.unknown()).describe('A JSON merge patch (RFC 7386, `application/merge-patch+json`): attributes to set, `null` to remove one');

/** What `tmfReadRoutes` serves: one collection of an API, read-only. */
export interface TmfCollection {
  readonly api: TmfApi;
  /** The API's base path, e.g. `/tmf-api/productCatalogManagement/v4`. */
  readonly base: string;
  /** The collection's path segment and the specification's definition of its items, e.g. `productOffering` / `ProductOffering`. */
  readonly collection: string;
  readonly definition: string;
  /** Every item, for a request (its `apiRoot` makes the hrefs). */
  readonly all: (req: FastifyRequest) => readonly Record<string, unknown>[] | Promise<readonly Record<string, unknown>[]>;
  /** One item by id (default: found in `all`). */
  readonly one?: (req: FastifyRequest, id: string) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  /**
   * The customer an item belongs to, for a collection of customers' records: a key held to
   * segments lists only its customers' items (before paging: the counts hold what it may see) and
   * reads one of another customer as 403. Absent for a collection of no customer's records (the catalogue).
   */
  readonly customerOf?: (item: Record<string, unknown>) => string | undefined;
}

/** The customer a TMF resource names: its relatedParty of role customer (or referred type Customer), else its first receiver's id. */
export function partyCustomer(item: Record<string, unknown>): string | undefined {
  const parties = [item.relatedParty, item.receiver].flatMap((p) => (Array.isArray(p) ? (p as Record<string, unknown>[]) : []));
  const party = parties.find((p) => String(p.role ?? '').toLowerCase() === 'customer' || p['@referredType'] === 'Customer' || (p.party as Record<string, unknown> | undefined)?.['@referredType'] === 'Customer');
  return typeof party?.id === 'string' ? party.id : undefined;
}

/** `GET {base}/{collection}` (filters, fields, paging) and `GET {base}/{collection}/:id` (fields), answered as the specification defines the items. */
export function tmfReadRoutes(app: HttpApp, c: TmfCollection): void {
  const item = tmfSchema(c.api, c.definition);
  const required = tmfRequired(c.api, c.definition);
  const one = c.one ?? (async (req: FastifyRequest, id: string) => (await c.all(req)).find((r) => r.id === id));
  app.get(
    `${c.base}/${c.collection}`,
    { schema: { summary: `${c.api}: list ${c.definition} (attribute filters, fields, offset/limit)`, querystring: tmfListQuery, response: { 200: z.array(item), ...tmfErrors(c.api, 400) } } },
    async (req, reply) => {
      const all = await c.all(req);
      return sendList(reply, c.customerOf ? reachedOnly(req, all, c.customerOf) : all, req.query, required);
    },
  );
  app.get(
    `${c.base}/${c.collection}/:id`,
    { schema: { summary: `${c.api}: one ${c.definition}`, params: idParams, querystring: tmfFieldsQuery, response: { 200: item, ...tmfErrors(c.api, 400, 404) } } },
    async (req) => {
      const found = await one(req, req.params.id);
      if (!found) throw new TwinloopError('NOT_FOUND', `no ${c.definition} "${req.params.id}"; GET ${c.base}/${c.collection} lists them`);
      const customerId = c.customerOf?.(found);
      if (customerId !== undefined) requireCustomer(req, customerId);
      else if (c.customerOf && req.identity?.scope.segments) throw new TwinloopError('FORBIDDEN', `${req.identity.subject}'s credential is scoped to the segments ${req.identity.scope.segments.join(', ')}; ${c.definition} "${req.params.id}" names no customer, so it needs a key without segments`);
      return selectFields(found, req.query.fields, required);
    },
  );
}
