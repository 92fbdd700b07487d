import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_POLICY } from '../src/decisioning/policy/index.js';
import type { SandboxJournalEntry } from '../src/sandbox/index.js';
import { openGovernanceStore } from '../src/store/open-governance-store.js';
import { openRecordStore } from '../src/store/open-record-store.js';
import { sandboxServer } from './support/sandbox-server.js';
import { until } from './support/until.js';

/**
 * The fault suite: the real server (a child process) under a steady mix of events, actions and
 * onboarding runs, killed with SIGKILL at seeded random moments, started again each time. After
 * the last kill: every acknowledged event is in exactly once, a replay equals the state, every
 * onboarding run finished (succeeded, or failed and compensated), no back end acted twice on one
 * idempotency key, the audit chain verifies, and the budget spent is what the executed actions
 * cost. `FAULT_KILLS` (default 20) and `FAULT_SEED` (default: the time) reproduce a run.
 */
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');
const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

/** mulberry32: the kill moments from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => execFile(process.execPath, [BIN, ...args], (err, stdout) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout })));
}

describe('fault suite: the real server killed at random moments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-faults-'));
  const dataDir = join(dir, 'data');
  // A simulated minute per second: the synthetic customers' week of usage stays in their 7-day window.
  const server = sandboxServer(dataDir, ['--customers', '200', '--months', '1', '--speed', '60']);
  const base = server.base;
  afterAll(async () => {
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const start = () => server.start();
  const kill = () => server.stop('SIGKILL');
  let key = '';
  const call = async (path: string, body?: unknown, type = 'application/json'): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it(`keeps every promise across ${KILLS} kills (seed ${SEED})`, async () => {
    process.stdout.write(`fault suite: seed ${SEED}, ${KILLS} kills (FAULT_SEED=${SEED} FAULT_KILLS=${KILLS} reproduce it)\n`);
    const random = prng(SEED);
    await start();
    key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
    /** Every event body sent, by customer: resent after a kill until acknowledged (a resend is a duplicate). */
    const unacknowledged = new Map<string, string>();
    const expectedMb = new Map<string, number>();
    const actions: string[] = [];
    const runs: string[] = [];
    const t0 = Date.now() - 3_600_000;
    let acknowledged = 0;
    let n = 0;

    for (let round = 0; round < KILLS; round++) {
      const customerId = `FX${round}`;
      const lines = [JSON.stringify({ id: `fx-${round}-join`, kind: 'customer', customerId, time: new Date(t0 + round * 1000).toISOString(), source: 'fault-suite', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'cash', since: '2026-01-01T00:00:00Z' } })];
      for (let k = 0; k < 5; k++) {
        lines.push(JSON.stringify({ id: `fx-${round}-u${k}`, kind: 'usage', customerId, time: new Date(t0 + round * 1000 + k + 1).toISOString(), source: 'fault-suite', v: 1, data: { subscriptionId: `S-${customerId}`, dataMb: 10 * (k + 1), voiceMin: 0, sms: 0, roaming: false } }));
      }
      expectedMb.set(customerId, 150);
      unacknowledged.set(customerId, lines.join('\n'));
      // The load, fired without waiting; the kill falls somewhere in it.
      const load = (async () => {
        for (const [id, body] of [...unacknowledged]) {
          const res = await call('/events', body, 'application/x-ndjson');
          if (res.status === 200) {
            unacknowledged.delete(id);
            acknowledged++;
          }
        }
        const actionId = `fx-credit-${round}`;
        actions.push(actionId);
        await call('/actions', { id: actionId, actionClass: 'credit', channel: 'app', customerId: 'C000001', cost: 2, why: { summary: 'fault suite' } });
        const applicant = (await (await call('/sandbox/applicants', {})).json()) as object;
        const started = await call('/workflows/onboarding/start', { input: { applicant }, workflowId: `fx-onboarding-${round}-${n++}` });
        if (started.status < 300) runs.push(((await started.json()) as { workflowId: string }).workflowId);
      })().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200 + random() * 1800));
      await kill();
      await load;
      await start();
    }

    // Settle: what was never acknowledged is sent again, every action repeated, every run left to finish.
    for (const [id, body] of [...unacknowledged]) if ((await call('/events', body, 'application/x-ndjson')).status === 200) unacknowledged.delete(id);
    expect(unacknowledged.size).toBe(0);
    for (const id of actions) await call('/actions', { id, actionClass: 'credit', channel: 'app', customerId: 'C000001', cost: 2, why: { summary: 'fault suite' } });
    const finished = await until(async () => {
      const states = await Promise.all(runs.map(async (id) => ((await (await call(`/workflows/${encodeURIComponent(id)}`)).json()) as { status: string }).status));
      return states.every((s) => s === 'succeeded' || s === 'failed') ? states : undefined;
    }, 120_000);
    // Every acknowledged event is in exactly once: each customer's usage is the sum of its events.
    for (const [customerId, mb] of expectedMb) {
      const twin = (await (await call(`/twins/${customerId}`)).json()) as { features: { data_mb_7d: number } };
      expect(twin.features.data_mb_7d, customerId).toBe(mb);
    }
    await server.stop('SIGTERM');

    // Replay equals state; the audit chain verifies.
    expect((await cli(['replay', '--verify', '--data-dir', dataDir])).code).toBe(0);
    expect((await cli(['audit', 'verify', '--data-dir', dataDir])).code).toBe(0);
    // No back end acted twice on one idempotency key (the sandbox journal holds every act).
    const records = await openRecordStore({ kind: 'sqlite', dataDir });
    const governance = await openGovernanceStore({ kind: 'sqlite', dataDir });
    try {
      const journal = await journalOf(records, readFileSync(join(dataDir, 'sandbox.json'), 'utf8'));
      const keys = journal.filter((e) => e.ran && e.request && typeof (e.request as { idempotencyKey?: unknown }).idempotencyKey === 'string').map((e) => `${e.backend}.${e.method}:${(e.request as { idempotencyKey: string }).idempotencyKey}`);
      expect(keys.length - new Set(keys).size).toBe(0);
      // The budget spent is what the executed actions cost, each request counted once.
      const budgeted = new Set(DEFAULT_ACTION_POLICY.budgets.map((b) => b.actionClass));
      const executed = new Map<string, number>();
      for (let after = 0; ; ) {
        const page = await governance.readAudit({ afterSeq: after, limit: 1000 });
        for (const r of page) {
          const e = r.entry as { type?: string; requestId?: string; action?: { actionClass?: string }; outcome?: { cost?: number } };
          if (e.type === 'action.executed' && e.requestId && budgeted.has(e.action?.actionClass ?? '')) executed.set(e.requestId, e.outcome?.cost ?? 0);
        }
        if (page.length < 1000) break;
        after = page[page.length - 1].seq;
      }
      const spent = [...executed.values()].reduce((a, b) => a + b, 0);
      // The world's history covers the last month; actions taken in it are dated in its time.
      let committed = 0;
      for (const monthsAgo of [0, 1, 2]) {
        const d = new Date();
        d.setUTCDate(1);
        d.setUTCMonth(d.getUTCMonth() - monthsAgo);
        for (const b of DEFAULT_ACTION_POLICY.budgets) committed += (await governance.budgetSpend(d.toISOString().slice(0, 7), `${b.actionClass}|*`)).committed;
      }
      process.stdout.write(
        `fault suite: ${KILLS} kills, ${acknowledged} event bodies acknowledged (${expectedMb.size} customers checked), ${actions.length} actions (${executed.size} executed, ${spent} spent), ${runs.length} onboarding runs (${finished.filter((s) => s === 'succeeded').length} succeeded, ${finished.filter((s) => s === 'failed').length} failed and compensated), ${keys.length} back-end acts, none twice\n`,
      );
      expect(committed).toBeCloseTo(spent, 6);
    } finally {
      await records.close();
      await governance.close();
    }
  }, 600_000);
});

/** The sandbox journal of the world `sandbox.json` names. */
async function journalOf(records: Awaited<ReturnType<typeof openRecordStore>>, stateText: string): Promise<SandboxJournalEntry[]> {
  const s = JSON.parse(stateText) as { world: string; seed: number; customers: number; start: string };
  const collection = `sandbox-journal:${s.world}:${s.seed}:${s.customers}:${s.start}`;
  const out: SandboxJournalEntry[] = [];
  for (let after: string | undefined; ; ) {
    const page = await records.list<SandboxJournalEntry>(collection, { after, limit: 1000 });
    out.push(...page.map((r) => r.body));
    if (page.length < 1000) return out;
    after = page[page.length - 1].id;
  }
}
