import type { FastifyInstance } from 'fastify';
import { TwinloopError } from '../../domain/errors.js';
import { MAX_EVENT_BYTES } from '../../domain/event-validation.js';
import type { RecordOutcome } from '../../domain/event-sink.js';
import type { IntakeRecord } from '../../twin/intake.js';
import type { TwinService } from '../../twin/twin-service.js';

/** Splits a request body into records: a JSON array, one JSON object, or NDJSON lines. */
export function recordsFromBody(body: string, contentType: string | undefined): IntakeRecord[] {
  const ndjson = /ndjson|jsonl|x-json-stream/.test(contentType ?? '');
  if (!ndjson) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new TwinloopError('BAD_INPUT', `body: malformed JSON (${(err as Error).message}); send a JSON array of events, or NDJSON with Content-Type application/x-ndjson`);
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

export function registerEventRoutes(app: FastifyInstance, twins: TwinService): void {
  app.post('/events', async (request) => {
    const records = recordsFromBody(request.body as string, request.headers['content-type']);
    if (records.length === 0) throw new TwinloopError('BAD_INPUT', 'body: no events; send a JSON array of events or NDJSON lines');
    return summarise(await twins.intake.submitRecords(records, 'http'));
  });

  app.get<{ Querystring: { after?: string; limit?: string } }>('/dead-letters', async (request) => {
    const limit = Math.min(1000, Number(request.query.limit ?? 100) || 100);
    const items = await twins.store.listDeadLetters({ afterId: Number(request.query.after ?? 0) || 0, limit });
    return { items, total: await twins.store.countDeadLetters(), next: items.length === limit ? items[items.length - 1].id : null };
  });
}
