import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import { createHttpServer } from './server.js';

/** Memory bounded whatever the bodies: `POST /events` refuses what it cannot hold before reading it. */

const NOW = Date.parse('2026-06-01T12:00:00Z');
const line = (i: number) => JSON.stringify({ id: `u${i}`, kind: 'usage', customerId: 'C1', time: new Date(NOW - 3600_000).toISOString(), source: 'cdr', v: 1, data: { subscriptionId: 'S1', dataMb: 1, voiceMin: 0, sms: 0, roaming: false } });

/** Starts a POST /events declaring `length` bytes and sending none yet; resolves with the answer, if one comes before the body. */
function startPost(url: string, length: number): { req: ClientRequest; answer: Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> } {
  const req = request(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-length': String(length) } });
  const answer = new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { req, answer };
}

describe('POST /events admission', () => {
  let dir: string;
  let twins: TwinService;
  let app: FastifyInstance;
  let local: TestAuth;
  let url: string;
  beforeAll(async () => {
    local = await openTestAuth('insecure-local');
    dir = mkdtempSync(join(tmpdir(), 'twinloop-admission-'));
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(NOW), intake: { maxBatch: 10, maxQueuedRecords: 20 } });
    app = createHttpServer({ twins, auth: local.auth, version: 'test', bodyLimit: 64 * 1024, maxBufferedBodyBytes: 100 * 1024 });
    url = await app.listen({ port: 18151, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await twins.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After before reading a body that would pass the bytes in hand, and takes it once they are done', async () => {
    const first = startPost(url, 60 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    // 60 KB are being received; 60 more would pass the 100 KB in hand.
    const second = startPost(url, 60 * 1024);
    const refused = await second.answer;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body).error.message).toMatch(/^the server is receiving 61440 bytes of request bodies, and 61440 more would pass its 102400/);
    second.req.destroy();
    // The first one completes (its body is padded with blank lines) and frees its share.
    const records = `${[line(1), line(2)].join('\n')}\n`;
    first.req.end(records + ' '.repeat(60 * 1024 - Buffer.byteLength(records)));
    expect((await first.answer).status).toBe(200);
    const third = startPost(url, 60 * 1024);
    third.req.end(' '.repeat(60 * 1024));
    expect((await third.answer).status).toBe(400);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    const big = startPost(url, 65 * 1024);
    const answer = await big.answer;
    big.req.destroy();
    expect(answer.status).toBe(413);
  });

  it('refuses with 413 a body of more records than the intake queue holds, even when the queue is empty', async () => {
    const body = Array.from({ length: 21 }, (_, i) => line(100 + i)).join('\n');
    const res = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toMatch(/^body: 21 records are more than the intake holds at once \(20\); send batches of at most 20/);
    expect(await twins.store.countEvents()).toBe(0);
  });
});
