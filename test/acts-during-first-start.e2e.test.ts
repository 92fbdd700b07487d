import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { applyCredit } from '../src/sandbox/world-effects.js';
import { internalsOf } from '../src/sandbox/world-internals.js';
import { SQLITE_FILE_NAME } from '../src/store/sqlite-connection.js';
import { startSandboxOperatorOverHttp } from './support/bare-operator.js';
import { until } from './support/until.js';

/**
 * The first start takes the sandbox's history from its seed by default (decision 0021): the twins
 * apply it from memory and a thread writes it to the log behind, regenerated from the seed. An act
 * on the world while it goes in (a credit through POST /actions, as the console or an agent may
 * ask in the server's first seconds) would change the days still to come, and the history written
 * behind would never match: timelines 503 for good (stop 27). Acts are held instead, in one place
 * (the sandbox's back ends), and asked again after the pass.
 */
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'twinloop-acts-first-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Health = { clockSource: { phase?: string }; historyWritten: number | null; historyProblem: string | null };
type TimelineItem = { kind: string; event: { data: Record<string, unknown> } };
type Run = { status: string; error?: string | null };

/** Waits, turn by turn of the loop, until the history's first twins exist: the pass is then under way. */
async function firstTwins(operator: Operator): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (operator.twins.engine.size === 0) {
    if (Date.now() > deadline) throw new Error('no twin within 120 s of the start');
    await new Promise((r) => setImmediate(r));
  }
}

/** The history's record in `dir`'s store and how many of its segments are not sealed into runs yet. */
function historyState(dir: string): { first: number; last: number | null; through: number; unsealed: number } | undefined {
  const db = new Database(join(dir, 'data', SQLITE_FILE_NAME), { readonly: true });
  try {
    const h = db.prepare('SELECT first_seq AS first, last_seq AS last, written_through AS through FROM seeded_history').get() as { first: number; last: number | null; through: number } | undefined;
    if (!h) return undefined;
    const open = db.prepare('SELECT COUNT(*) AS n FROM event_segments WHERE first_seq <= ?').get(h.last ?? Number.MAX_SAFE_INTEGER) as { n: number };
    return { ...h, unsealed: open.n };
  } finally {
    db.close();
  }
}

describe('acts on the sandbox while the first start takes its history from the seed', () => {
  it('are refused 503 with Retry-After and why, pass after a retry, a workflow started meanwhile waits for them; the history is written and sealed and timelines answered', async () => {
    const dir = fresh();
    const { operator, base, headers, get, logged, close } = await startSandboxOperatorOverHttp(dir, { seed: 5, speed: 3_600, customers: 1_500, months: 4, segmentLog: true });
    try {
      await firstTwins(operator);
      const customerId = 'C000001';
      const ask = () => fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ id: 'goodwill-during-first-start', actionClass: 'credit', channel: 'web', customerId, params: { amount: 5 }, why: { summary: 'goodwill credit' } }) });
      const health = await get<Health>('/health');
      expect(health.clockSource.phase, 'the history was already in: the world is too small to act during its pass').toBe('backfilling');
      const refused = await ask();
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(refused.status, JSON.stringify(body)).toBe(503);
      expect(body.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^the first start's history is being loaded \(\d+ % in\).*retry in \d+ s$/) });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // A scenario staged on the world is held alike; an applicant is drawn (its pool is not the world's) and onboarding waits.
      expect((await fetch(`${base}/sandbox/scenarios/care-example`, { method: 'POST', headers, body: '{}' })).status).toBe(503);
      const applicant = await (await fetch(`${base}/sandbox/applicants`, { method: 'POST', headers, body: '{}' })).json();
      const started = await fetch(`${base}/workflows/onboarding/start`, { method: 'POST', headers, body: JSON.stringify({ applicant }) });
      expect(started.status).toBe(201);
      const { workflowId } = (await started.json()) as { workflowId: string };

      // Asked again as Retry-After says, the credit is carried out once the history's days are generated.
      const executed = await until(async () => {
        const res = await ask();
        if (res.status === 503) return undefined;
        return { status: res.status, answer: (await res.json()) as { status: string } };
      }, 240_000, 'the credit executed after the pass');
      expect(executed).toMatchObject({ status: 200, answer: { status: 'executed' } });
      await operator.ready;

      const run = await until(async () => {
        const r = await get<Run>(`/workflows/${encodeURIComponent(workflowId)}`);
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      }, 240_000, 'the onboarding started during the pass to finish');
      // Held steps spent none of their attempts: an onboarding may be declined (the applicant's truth), never exhausted by the hold.
      expect(run.error ?? '').not.toMatch(/history is being loaded|attempts/);

      // The log holds the whole history, sealed, and the customer's timeline (history and the credit) is answered.
      let seen = '';
      await until(
        async () => {
          const [h, state] = [await get<Health>('/health'), historyState(dir)];
          seen = JSON.stringify({ historyWritten: h.historyWritten, historyProblem: h.historyProblem, state });
          return h.historyWritten === 1 && state?.through === state?.last && state?.unsealed === 0 ? true : undefined;
        },
        600_000,
        () => `the history written behind and sealed (last seen ${seen})`,
      );
      expect((await get<Health>('/health')).historyProblem).toBeNull();
      // The timeline pages oldest first: read it to its end (the live world adds the customer's days before the credit's).
      // The credit's report was written before its answer (action-report.ts): the first whole read must hold it.
      const items = await until(
        async () => {
          const t: TimelineItem[] = [];
          for (let after: number | null = 0; after !== null; ) {
            const page: { items: TimelineItem[]; next: number | null } = await get(`/twins/${customerId}/timeline?limit=1000&after=${after}`);
            t.push(...page.items);
            after = page.next;
          }
          return t;
        },
        300_000,
        `${customerId}'s timeline to be answered`,
      );
      const said = logged.filter((l) => l.startsWith('actions:'));
      expect(items.some((e) => e.kind === 'action'), `the credit on ${customerId}'s timeline (${items.length} items, kinds ${[...new Set(items.map((e) => e.kind))].join(', ')}; the server said of actions: ${JSON.stringify(said)})`).toBe(true);
      expect(items.find((e) => e.kind === 'action')?.event.data).toMatchObject({ actionClass: 'credit', status: 'delivered', amount: 5 });
      expect(items.filter((e) => e.kind !== 'action').length).toBeGreaterThan(10);
    } finally {
      await close();
    }
  }, 900_000);

  it('a history that still cannot be written (the world changed past the gate) is said in /health and in every refused read, with the way out', async () => {
    const dir = fresh();
    const { operator, base, headers, get, close } = await startSandboxOperatorOverHttp(dir, { seed: 6, speed: 3_600, customers: 1_500, months: 4, segmentLog: true });
    try {
      await firstTwins(operator);
      // What no path of the product can do any more: the world changed behind the gate, during the pass.
      expect(applyCredit(internalsOf(operator.world!).engine, 'C000001', 5).ok).toBe(true);
      expect((await get<Health>('/health')).clockSource.phase, 'the world changed after its pass: make it larger').toBe('backfilling');
      await operator.ready;
      const problem = await until(async () => (await get<Health>('/health')).historyProblem ?? undefined, 600_000, 'GET /health to say the history cannot be written');
      expect(problem).toMatch(/could not be written to the log: the first start's history regenerated from world "small" \(seed 6\) differs at seqs \d+\.\.\d+/);
      const res = await fetch(`${base}/twins/C000001/timeline`, { headers });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status).toBe(503);
      expect(body.error.message).toMatch(/could not be written to the log in this run .*restart the server to try again.*fresh data dir.*TWINLOOP_SEEDED_HISTORY=off/);
      // The twins themselves are whole and answered.
      expect((await fetch(`${base}/twins/C000001`, { headers })).status).toBe(200);
    } finally {
      await close();
    }
  }, 900_000);
});
