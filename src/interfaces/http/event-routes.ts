import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { MAX_EVENT_BYTES, MAX_EVENT_DEPTH, NOT_UTF8_REASON, valueNestsDeeperThan } from '../../domain/event-validation.js';
import { describeJsonError } from '../../domain/json-syntax.js';
import { EVENT_KINDS, twinEventSchema } from '../../domain/events.js';
import type { RecordOutcome } from '../../domain/event-sink.js';
import type { IntakeRecord } from '../../twin/intake.js';
import type { TwinService } from '../../twin/twin-service.js';
import { errors, list, pageLimit } from './api-schemas.js';
import { admitBodies, type BodyAdmissionOptions } from './body-admission.js';
import type { RouteModule } from './route-module.js';

/** Decodes UTF-8 strictly: invalid bytes throw instead of becoming U+FFFD (which would change an event's id or body). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function isNdjson(contentType: string | undefined): boolean {
  return /ndjson|jsonl|x-json-stream/.test(contentType ?? '');
}

/**
 * Splits a request body's bytes into records (see `recordsFromBody`), refusing what is not
 * UTF-8 rather than replacing it: a JSON body whole (400), an NDJSON line by line (each such line
 * answered rejected and kept as a dead letter; the other lines land).
 */
export function recordsFromBytes(bytes: Buffer, contentType: string | undefined): IntakeRecord[] {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    if (!isNdjson(contentType)) throw new TwinloopError('BAD_INPUT', NOT_UTF8_REASON.replace(/^record/, 'body'));
    return ndjsonLinesOfBytes(bytes);
  }
  return recordsFromBody(text, contentType);
}

/** NDJSON records line by line from bytes, a line that is not UTF-8 refused with the reason. */
function ndjsonLinesOfBytes(bytes: Buffer): IntakeRecord[] {
  const records: IntakeRecord[] = [];
  for (let start = 0; start < bytes.length; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const line = bytes.subarray(start, end);
    start = end + 1;
    try {
      const text = STRICT_UTF8.decode(line).trim();
      if (text) records.push({ text });
    } catch {
      records.push({ text: line.toString('utf8').trim(), refused: NOT_UTF8_REASON });
    }
  }
  return records;
}

/** Splits a request body into records: a JSON array, one JSON object, or NDJSON lines. */
export function recordsFromBody(body: string, contentType: string | undefined): IntakeRecord[] {
  if (!isNdjson(contentType)) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new TwinloopError('BAD_INPUT', `body: malformed JSON ${describeJsonError(body, err)}; send a JSON array of events, or NDJSON with Content-Type application/x-ndjson`);
    }
    // Like malformed JSON, a body nested deeper than any batch of events is refused whole (and
    // before anything re-encodes it: a recursive walk of 100,000 levels overflows the stack).
    if (valueNestsDeeperThan(value, MAX_EVENT_DEPTH + 1)) {
      throw new TwinloopError('BAD_INPUT', `body: nested more than ${MAX_EVENT_DEPTH} levels deep; send a JSON array of events, each a flat object with a data object`);
    }
    const values = Array.isArray(value) ? value : [value];
    // A decoded element has lost its size; re-measure so an oversized record is refused like an NDJSON line.
    return values.map((v) => {
      const text = JSON.stringify(v) ?? 'null';
      return text.length > MAX_EVENT_BYTES ? { text } : { value: v };
    });
  }
  const records: IntakeRecord[] = [];
  for (const line of body.split('\n')) {
    const text = line.trim();
    if (text) records.push({ text });
  }
  return records;
}

/** Counts of a batch's outcomes and the per-record answers. */
export function summarise(outcomes: readonly RecordOutcome[]) {
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  for (const o of outcomes) {
    if (o.status === 'accepted') accepted++;
    else if (o.status === 'duplicate') duplicates++;
    else rejected++;
  }
  return { accepted, duplicates, rejected, results: outcomes.map((o, index) => ({ index, ...o })) };
}

const intakeResult = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  results: list(
    z.object({
      index: z.number().int().describe("The record's position in the batch"),
      status: z.enum(['accepted', 'duplicate', 'rejected']),
      id: z.string().optional(),
      reason: z.string().optional().describe('Why a record was rejected, naming the field'),
      retryable: z.boolean().optional().describe('True when the same record may be sent again later as it is (its time is ahead of the clock)'),
    }),
  ),
}).meta({ id: 'IntakeResult', description: 'The answer to every record of a batch' });

const deadLetterPage = z.object({
  items: list(z.object({ id: z.number().int(), record: z.string(), reason: z.string(), at: z.number().describe('When it was parked (ms since the epoch)'), source: z.string() })),
  total: z.number().int(),
  next: z.number().int().nullable().describe('The `after` of the next page; null at the end'),
});

// Named for the document only: the events body refers to it as TwinEventInput (the intake validates each record).
twinEventSchema.meta({ id: 'TwinEvent', description: 'One customer event (docs/events.md)' });

/** The event body as documented: parsed record by record by the intake, never as a whole. */
const EVENTS_BODY = {
  content: {
    'application/json': { schema: { oneOf: [{ type: 'array', items: { $ref: '#/components/schemas/TwinEventInput' } }, { $ref: '#/components/schemas/TwinEventInput' }] } },
    'application/x-ndjson': { schema: { type: 'string', description: 'One event (JSON) per line' } },
  },
};

/** Raw event bodies arrive as text: the intake splits and parses them record by record. */
export const RAW_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain'];

/**
 * `POST /events` (a JSON array, one JSON object, or NDJSON: each record answered, good ones kept
 * when others are bad) and `GET /dead-letters`. The events route reads its body as raw text in a
 * scope of its own, so one bad record cannot fail the batch; every other route gets validated JSON.
 */
export function eventRoutes(twins: TwinService, admission: BodyAdmissionOptions): RouteModule {
  return (app) => {
    void app.register(async (scope) => {
      admitBodies(scope, admission);
      scope.removeContentTypeParser(['application/json', 'text/plain']);
      // Bytes, decoded by `recordsFromBytes`: Fastify's string parser would replace invalid UTF-8 silently.
      scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      // The body is documented, not validated here: the intake validates each record.
      scope.setValidatorCompiler(() => (data) => ({ value: data }));
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/events',
        {
          schema: {
            summary: 'Ingest events (JSON array, one JSON object, or NDJSON)',
            description: `Each record is answered: accepted, duplicate (same id and body as one already logged) or rejected with the reason naming the field. Good records of a batch land even when others are bad; rejected ones are parked as dead letters. Kinds: ${EVENT_KINDS.join(', ')}. See docs/events.md.`,
            body: EVENTS_BODY as unknown as z.ZodType<string>,
            response: { 200: intakeResult, ...errors(400, 413, 503) },
          },
        },
        async (request) => {
          const records = recordsFromBytes(Buffer.isBuffer(request.body) ? request.body : Buffer.from(String(request.body ?? '')), request.headers['content-type']);
          if (records.length === 0) throw new TwinloopError('BAD_INPUT', 'body: no events; send a JSON array of events or NDJSON lines');
          const capacity = twins.intake.capacity;
          if (records.length > capacity) {
            throw new TwinloopError('TOO_LARGE', `body: ${records.length} records are more than the intake holds at once (${capacity}); send batches of at most ${capacity}`);
          }
          return summarise(await twins.intake.submitRecords(records, 'http'));
        },
      );
    });

    app.get(
      '/dead-letters',
      {
        schema: {
          summary: 'Parked records with their reasons',
          querystring: z.object({ after: z.coerce.number().int().min(0).default(0), limit: pageLimit(100) }),
          response: { 200: deadLetterPage, ...errors(400) },
        },
      },
      async (request) => {
        const { after, limit } = request.query;
        const items = await twins.store.listDeadLetters({ afterId: after, limit });
        return { items, total: await twins.store.countDeadLetters(), next: items.length === limit ? items[items.length - 1].id : null };
      },
    );
  };
}
