import { EVENT_KINDS } from '../../domain/events.js';
import { FEATURE_NAMES } from '../../twin/twin-features.js';
import { ASSIST_OPENAPI_PATHS } from './assist-routes.js';
import { OPERATOR_OPENAPI_PATHS } from './operator-openapi.js';

const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI 3.1 document of the HTTP API, served at `/openapi.json`. */
export function openApiDocument(version: string): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Twinloop API', version, description: 'Living customer twins for telecom operators: event intake, twins and their history, next-best-action, actions under policy, simulations, intents, workflows and MCP.' },
    paths: {
      '/events': {
        post: {
          summary: 'Ingest events (JSON array, one JSON object, or NDJSON)',
          description: `Each record is answered: accepted, duplicate (same id and body as one already logged) or rejected with the reason naming the field. Good records of a batch land even when others are bad; rejected ones are parked as dead letters. Kinds: ${EVENT_KINDS.join(', ')}. See docs/events.md.`,
          requestBody: { content: { 'application/json': { schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }] } }, 'application/x-ndjson': { schema: { type: 'string' } } } },
          responses: {
            200: json({ $ref: '#/components/schemas/IntakeResult' }),
            400: json(error, 'The body as a whole is unreadable'),
            503: { description: 'The intake queue is full; retry after the Retry-After header', content: { 'application/json': { schema: error } } },
          },
        },
      },
      '/twins': {
        get: {
          summary: 'List twins, filtered on features and live scores (`field.op=value`, docs/filters.md)',
          description: 'Scans twins in order from `offset` and returns up to `limit` matches; `next` is the offset to resume from (null at the end), `twinCount` the number of twins in all.',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 1000, default: 50 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', default: 0 }, description: 'Slot to resume the scan from (the `next` of the previous page)' },
            { name: '{field}.{op}', in: 'query', schema: { type: 'number' }, description: `Filter such as data_mb_30d.gt=1000 or churn.gt=0.5; ops eq, ne, gt, gte, lt, lte; fields: ${FEATURE_NAMES.join(', ')}, and the live scores churn and clv once a model serves` },
          ],
          responses: { 200: json({ type: 'object' }), 400: json(error) },
        },
      },
      '/twins/{id}': {
        get: {
          summary: 'A twin: profile, products and features, now or as of a past time; a current read also carries live scores with reasons (churn, lifetime value, usage trend, complaints, payments, offer propensity)',
          parameters: [idParam, { name: 'at', in: 'query', schema: { type: 'string', format: 'date-time' } }],
          responses: { 200: json({ $ref: '#/components/schemas/Twin' }), 404: json(error) },
        },
      },
      '/twins/{id}/timeline': {
        get: {
          summary: "A twin's events in log order",
          parameters: [idParam, { name: 'after', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'until', in: 'query', schema: { type: 'string', format: 'date-time' } }],
          responses: { 200: json({ type: 'object' }), 404: json(error) },
        },
      },
      '/twins/{id}/diff': {
        get: {
          summary: 'What changed in a twin between two times',
          parameters: [idParam, { name: 'from', in: 'query', required: true, schema: { type: 'string', format: 'date-time' } }, { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } }],
          responses: { 200: json({ type: 'object' }), 400: json(error), 404: json(error) },
        },
      },
      '/dead-letters': {
        get: { summary: 'Parked records with their reasons', parameters: [{ name: 'after', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }], responses: { 200: json({ type: 'object' }) } },
      },
      '/models': { get: { summary: 'Model versions with status (champion, challenger, retired), metrics and training window', responses: { 200: json({ type: 'object' }) } } },
      '/models/{id}': { get: { summary: 'One model version with its drift report', parameters: [idParam], responses: { 200: json({ type: 'object' }), 404: json(error) } } },
      '/models/train': {
        post: {
          summary: 'Train a churn model from the twins now (registered as challenger, or champion when there is none)',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { horizonDays: { type: 'integer' }, cutoffs: { type: 'integer' } } } } } },
          responses: { 200: json({ type: 'object' }), 400: json(error) },
        },
      },
      '/models/{id}/promote': { post: { summary: 'Make a version the champion (the previous champion is retired)', parameters: [idParam], responses: { 200: json({ type: 'object' }), 404: json(error) } } },
      '/health': { get: { summary: 'Liveness and counts', responses: { 200: json({ type: 'object' }) } } },
      ...OPERATOR_OPENAPI_PATHS,
      ...ASSIST_OPENAPI_PATHS,
    },
    components: {
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        IntakeResult: {
          type: 'object',
          properties: {
            accepted: { type: 'integer' }, duplicates: { type: 'integer' }, rejected: { type: 'integer' },
            results: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, status: { enum: ['accepted', 'duplicate', 'rejected'] }, id: { type: 'string' }, reason: { type: 'string' } } } },
          },
        },
        Twin: { type: 'object', properties: { customerId: { type: 'string' }, asOf: { type: 'string' }, profile: { type: ['object', 'null'] }, products: { type: 'array' }, features: { type: 'object', properties: Object.fromEntries(FEATURE_NAMES.map((n) => [n, { type: 'number' }])) } } },
      },
    },
  };
}
