import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PARTITION_COUNT, partitionOf } from '../../domain/partitions.js';
import { ownerOf, type PartitionOwner } from '../../store/partition-leases.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import type { Gateway } from '../runtime/gateway.js';
import { createGatewayServer } from './gateway-server.js';
import { syntheticEngine } from '../../twin/synthetic-events.js';
import type { TwinService } from '../../twin/twin-service.js';
import { createHttpServer } from './server.js';

// Open mode on loopback: this is about what the gateway's routes do; the access matrix test checks who may call them.
let local: TestAuth;
beforeAll(async () => {
  local = await openTestAuth('insecure-local');
});
afterAll(() => local.close());

/**
 * A gateway whose routing table is read only when the test says: a training asks the owners
 * first, so it stays running until `answer` is called.
 */
function heldGateway(): { gateway: Gateway; answer: (owners: PartitionOwner[]) => void; asked: () => number } {
  const waiting: ((owners: PartitionOwner[]) => void)[] = [];
  let table: PartitionOwner[] | undefined;
  const gateway = {
    auth: local.auth,
    owners: () => (table ? Promise.resolve(table) : new Promise<PartitionOwner[]>((r) => waiting.push(r))),
    forgetOwners: () => undefined,
  } as unknown as Gateway;
  return {
    gateway,
    answer(owners) {
      table = owners;
      for (const r of waiting.splice(0)) r(owners);
    },
    asked: () => waiting.length,
  };
}

describe('the gateway\'s POST /models/train', () => {
  it('refuses a training with other settings while one runs (409), lets the same request join it, and takes others once it ended', async () => {
    const held = heldGateway();
    const app = createGatewayServer(held.gateway, { version: 'test' });
    try {
      const train = (body: unknown) => app.inject({ method: 'POST', url: '/models/train', payload: body as Record<string, unknown> });
      const first = train({});
      // The first training is running once it asked for the owners.
      for (let i = 0; held.asked() === 0; i++) {
        if (i > 1_000) throw new Error('the first training never asked for the owners');
        await new Promise((r) => setImmediate(r));
      }
      const other = await train({ horizonDays: 60 });
      expect(other.statusCode).toBe(409);
      expect(other.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('other settings is running') as string });
      // The same request again waits for the running one rather than starting a second.
      const same = train({});
      // Long enough for a second training, had one started, to have asked for the owners too (one turn was not).
      for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
      expect(held.asked()).toBe(1);
      // No worker owns anything: the training ends refused (503), and both callers hear so.
      held.answer([]);
      const [a, b] = await Promise.all([first, same]);
      expect([a.statusCode, b.statusCode, Boolean(a.headers['retry-after'])]).toEqual([503, 503, true]);
      // It ended: other settings are taken now (and refused for the same reason, not as a conflict).
      expect((await train({ horizonDays: 60 })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});

describe('the gateway\'s approvals', () => {
  it('lists the shared queue from any worker and passes a decision to the owner of the approval\'s customer', async () => {
    // Two workers that say who they are and what they were asked; only the queue's reader knows the approval.
    const seen: string[] = [];
    const worker = (name: string) =>
      createServer((req, res) => {
        seen.push(`${name} ${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET' && req.url === '/approvals/ap1') return res.end(JSON.stringify({ id: 'ap1', request: { customerId: 'C1' } }));
        res.end(JSON.stringify({ answeredBy: name }));
      });
    const servers = [worker('a'), worker('b')];
    const urls = await Promise.all(servers.map((s) => new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as { port: number }).port}`)))));
    // C1's partition is b's, every other partition a's (so a answers what any worker answers).
    const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: partition === partitionOf('C1') ? 'b' : 'a', url: partition === partitionOf('C1') ? urls[1] : urls[0], since: 0 }));
    const gateway = {
      auth: local.auth,
      owners: async () => owners,
      forgetOwners: () => undefined,
      ownerFor: async (id: string) => ownerOf(partitionOf(id), owners)!,
    } as unknown as Gateway;
    const app = createGatewayServer(gateway, { version: 'test' });
    try {
      expect((await app.inject({ method: 'GET', url: '/approvals' })).json()).toEqual({ answeredBy: 'a' });
      const approved = await app.inject({ method: 'POST', url: '/approvals/ap1/approve', payload: { reason: 'fine' } });
      expect([approved.statusCode, approved.json(), approved.headers['x-twinloop-worker']]).toEqual([200, { answeredBy: 'b' }, 'b']);
      expect(seen).toEqual(['a GET /approvals', 'a GET /approvals/ap1', 'b POST /approvals/ap1/approve']);
    } finally {
      await app.close();
      for (const s of servers) s.close();
    }
  });

  it('passes a decision on an approval that names no customer to the worker that read it, reading the routing table once', async () => {
    // One worker, reached through fetch (no socket): it knows approval ap2, which acts on no customer.
    const seen: string[] = [];
    const url = 'http://worker-a.test';
    vi.stubGlobal('fetch', async (to: URL, init: { method: string }) => {
      seen.push(`${init.method} ${to.origin}${to.pathname}`);
      const body = init.method === 'GET' ? { id: 'ap2', request: { actionClass: 'campaign_adjustment' } } : { decided: true };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: 'a', url, since: 0 }));
    let read = 0;
    const gateway = { auth: local.auth, owners: async () => (read++, owners), forgetOwners: () => undefined } as unknown as Gateway;
    const app = createGatewayServer(gateway, { version: 'test' });
    try {
      const approved = await app.inject({ method: 'POST', url: '/approvals/ap2/approve', payload: { reason: 'fine' } });
      expect([approved.statusCode, approved.json(), approved.headers['x-twinloop-worker']]).toEqual([200, { decided: true }, 'a']);
      expect(seen).toEqual([`GET ${url}/approvals/ap2`, `POST ${url}/approvals/ap2/approve`]);
      // The owners are read from the database on every call: once for the read and the decision, not once each.
      expect(read).toBe(1);
    } finally {
      vi.unstubAllGlobals();
      await app.close();
    }
  });

  it('answers a decision on an approval 503 with Retry-After while no worker owns a partition, as it does the queue', async () => {
    const gateway = { auth: local.auth, owners: async () => [], forgetOwners: () => undefined } as unknown as Gateway;
    const app = createGatewayServer(gateway, { version: 'test' });
    try {
      for (const [method, url] of [['GET', '/approvals'], ['POST', '/approvals/ap1/approve']] as const) {
        const answer = await app.inject({ method, url, ...(method === 'POST' ? { payload: { reason: 'fine' } } : {}) });
        expect([url, answer.statusCode, Boolean(answer.headers['retry-after'])]).toEqual([url, 503, true]);
      }
    } finally {
      await app.close();
    }
  });
});

describe("the gateway's intent routes", () => {
  it('refuses every route that states or plans an intent with why (503, not retried), TMF921\'s PATCH that accepts one included', async () => {
    const gateway = { auth: local.auth, owners: async () => [], forgetOwners: () => undefined } as unknown as Gateway;
    const app = createGatewayServer(gateway, { version: 'test' });
    try {
      const asked = [
        ['POST', '/intents', { text: 'keep high-value customers' }],
        ['POST', '/intents/I1/accept', {}],
        ['PATCH', '/tmf-api/intentManagement/v5/intent/I1', { lifecycleStatus: 'accepted' }],
      ] as const;
      for (const [method, url, payload] of asked) {
        const answer = await app.inject({ method, url, payload, headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } });
        expect([method, url, answer.statusCode, answer.headers['retry-after'], JSON.stringify(answer.json())]).toEqual([method, url, 503, undefined, expect.stringMatching(/planned by simulation over the whole population/)]);
      }
    } finally {
      await app.close();
    }
  });
});

describe("the gateway's GET /twins ranked by a field", () => {
  it('merges the workers\' ranked pages into one ranked list, paged by its cursor, every twin once (it refused sort=)', async () => {
    const engine = syntheticEngine({ customers: 120, days: 3, seed: 9 });
    // Two workers' own GET /twins, each holding the partitions of one parity of the same twins.
    const workers = [0, 1].map((parity) =>
      createHttpServer({ twins: { engine } as unknown as TwinService, auth: local.auth, version: 'test', partitionedTwins: { answersFor: (id) => partitionOf(id) % 2 === parity, livePartitions: () => Array.from({ length: PARTITION_COUNT }, (_, p) => p).filter((p) => p % 2 === parity) } }),
    );
    const urls = await Promise.all(workers.map((w) => w.listen({ port: 0, host: '127.0.0.1' })));
    const owners: PartitionOwner[] = Array.from({ length: PARTITION_COUNT }, (_, partition) => ({ partition, workerId: `w${partition % 2}`, url: urls[partition % 2], since: 0 }));
    const gateway = { auth: local.auth, owners: async () => owners, forgetOwners: () => undefined } as unknown as Gateway;
    const app = createGatewayServer(gateway, { version: 'test' });
    try {
      const listed: { customerId: string; features: Record<string, number> }[] = [];
      let next: string | null = null;
      do {
        const res = await app.inject({ method: 'GET', url: `/twins?sort=-data_mb_30d&limit=17${next ? `&cursor=${next}` : ''}` });
        expect(res.statusCode).toBe(200);
        const page = res.json() as { items: typeof listed; next: string | null };
        listed.push(...page.items);
        next = page.next;
      } while (next);
      const values = listed.map((t) => t.features.data_mb_30d);
      expect(new Set(listed.map((t) => t.customerId)).size).toBe(engine.size);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      // A field no twin has is 400 naming it, from the workers; a cursor of another sort is 400 here.
      const unknown = await app.inject({ method: 'GET', url: '/twins?sort=-nosuch' });
      expect([unknown.statusCode, unknown.json().error?.message]).toEqual([400, expect.stringMatching(/sort=-nosuch: unknown field "nosuch"/)]);
      const first = (await app.inject({ method: 'GET', url: '/twins?sort=-data_mb_30d&limit=5' })).json().next as string;
      const other = await app.inject({ method: 'GET', url: `/twins?sort=tenure_days&limit=5&cursor=${first}` });
      expect([other.statusCode, other.json().error?.message]).toEqual([400, expect.stringMatching(/^cursor: it continues a list sorted by -data_mb_30d, not by tenure_days/)]);
    } finally {
      await app.close();
      for (const w of workers) await w.close();
    }
  });
});
