import { describe, expect, it } from 'vitest';
import { partitionOf } from '../src/domain/partitions.js';
import { CLUSTER_SERVICES, clusterAgainstOne, clusterAndSingle, clusterTestName, putPolicyAndWait, waitForRun, type PolicyDocument, type TestCluster } from './support/cluster.js';

/**
 * Proactive churn prevention over partition workers (issue 16, docs/scale.md): one run, started
 * through the gateway, scans every worker's customers, plans once under one budget and asks each
 * action of its customer's owner. A gateway and three workers, and one `--role all` process on a
 * database of its own, take the same events and serve the same churn model; the same run on both
 * must treat, hold out and leave alone the same customers, spend no more than its budget, and ask
 * each customer's action once, though a worker is killed while the run acts (its partitions move,
 * and if the run was its, another worker takes the run over from its journal).
 *
 * The policy puts offers and discounts under approval: an action asked is an approval queued (one per
 * request id, nothing carried out without back ends), which is what is counted.
 * Nothing here is timed: every wait polls a condition until a generous deadline.
 */

const WAIT_MS = 180_000;
/** A run's horizon beyond any clock of the test: a century. */
const FAR_HORIZON_MS = 100 * 365 * 86_400_000;
const START_MS = 120_000;
/** Each offer's worst case as the operator plans it: the default catalogue's cost of a data bonus, a retain-10 at a typical price. */
const OFFERS = [
  { offerId: 'data-bonus', cost: 3 },
  { offerId: 'retain-10', cost: 4, discountPct: 10 },
];
/**
 * The run's budget: room for two actions at the dearest offer's worst case, so that the run asks at
 * least two before the budget binds (the worker is killed between them), and still small enough to
 * bind (a budget per worker would contact three times as many; a hundred-odd are left for it). At
 * 3, the first retain-10 approval (priced 3 at its customer's monthly price) took all of it: the run
 * asked one action and waited for its horizon, and the wait for a second passed only where a second
 * customer's offer happened to be refused (no consent) before the budget check. (A data bonus was
 * stated here at 1 where the catalogue the guarded executor prices from says 3: with room for more
 * than one action, the run spent 9 of 8.)
 */
const BUDGET = 2 * Math.max(...OFFERS.map((o) => o.cost));

type Report = { status: string; contacted: { customerId: string }[]; leftAlone: Record<string, { count: number; customerIds: string[] }>; spend: number; budget: number; scanned: number };
type Run = { status: string; output: { controlIds: string[]; treatedIds: string[]; contacts: Record<string, number>; spend: number; scanned: number } | null; error: string | null };
type Owners = { owners: { partition: number; workerId: string }[]; unowned: number[] };
type Partitions = { partitions: { partition: number; state: string }[] };

describe.skipIf(!CLUSTER_SERVICES)(clusterTestName('churn prevention over partition workers (a gateway, three workers, one killed; against one process)'), () => {
  const { cluster, single } = clusterAndSingle('churn');
  const { json } = cluster;
  const waitFor = <T>(what: string, probe: () => Promise<{ done: boolean; seen: T }>, ms = WAIT_MS) => cluster.waitFor(what, probe, ms);

  // A run makes no contact at or past its horizon: this one's is beyond any clock the processes keep
  // (their events' or the wall's), and once it has acted it is stopped, and measures at once.
  const input = { periodId: 'e2e-1', scanAt: 0, horizonMs: FAR_HORIZON_MS, budget: BUDGET, controlShare: 0.2, seed: 1, offer: OFFERS[0], offers: OFFERS, minChurn: 0.02, minValue: 0 };
  const runOn = async (c: TestCluster, base: string): Promise<string> => {
    const started = await c.json(`${base}/workflows/churn-prevention/start`, 'POST', { input, workflowId: 'churn-prevention-e2e-1' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return started.body.workflowId as string;
  };
  /** The run's end: once it has reported what it did, stopped (at `signalAt`: the gateway passes no signal; any worker records it in the shared journal). */
  const finished = async (c: TestCluster, base: string, id: string, signalAt = base) => {
    await c.waitFor(`run ${id} to report what it did`, async () => {
      const r = await c.json(`${base}/churn-prevention/runs/${id}`);
      return { done: r.status === 200 && (r.body as { report: Report | null }).report !== null, seen: { status: r.status } };
    }, WAIT_MS);
    // Stopped once it acted (409: it had ended by itself, with nothing to do).
    const stopped = await c.json(`${signalAt}/workflows/${id}/signals/stop`, 'POST', { reason: 'e2e: acted; measured now' });
    expect([200, 409], JSON.stringify(stopped.body)).toContain(stopped.status);
    return (await waitForRun(c, base, id, WAIT_MS)).status;
  };

  it('scans every worker, plans once under one budget, and asks each action once through a worker\'s death, as one process does', async () => {
    const { gateway, workers, one } = await clusterAgainstOne(cluster, single, { workers: 3, waitMs: WAIT_MS, startMs: START_MS });
    // Offers and discounts under approval, and no quiet hours (the run contacts whatever the time of day).
    const underApproval = (d: PolicyDocument): PolicyDocument => ({
      ...d,
      rules: d.rules.map((r) => (r.actionClass === 'discount' || r.actionClass === 'offer' ? { ...r, mode: 'approve' } : r)),
      contact: { ...(d.contact ?? {}), quietHours: null },
    });
    await putPolicyAndWait(cluster, gateway.url!, [...workers.values()], 'e2e: offers and discounts wait for a person', underApproval);
    await putPolicyAndWait(single, one.url!, [one], 'e2e: offers and discounts wait for a person', underApproval);

    // The single process's run: what the cluster's must come to.
    expect(await finished(single, one.url!, await runOn(single, one.url!))).toBe('succeeded');
    const singleRun = (await json(`${one.url}/workflows/churn-prevention-e2e-1`)).body as unknown as Run;
    const singleReport = ((await json(`${one.url}/churn-prevention/runs/churn-prevention-e2e-1`)).body as { report: Report }).report;
    // The budget leaves room for two asked actions: the worker below dies between them.
    const c = singleRun.output!.contacts;
    expect(c.digital + c.assisted + c['pending-approval'] + c.refused, JSON.stringify(c)).toBeGreaterThanOrEqual(2);

    // The cluster's run, through the gateway; a worker dies once it has asked for a few actions.
    const id = await runOn(cluster, gateway.url!);
    await waitFor('the run to ask for its first actions', async () => {
      const steps = (await json(`${gateway.url}/workflows/${id}/steps`)).body as unknown as { stepId: string; status: string; error: string | null }[];
      const asked = steps.filter((s) => s.stepId === 'churn-offer' && s.status === 'succeeded').length;
      // Or it has acted (its report is written): it asked all it will, and waits for its horizon.
      const acted = steps.some((s) => s.stepId === 'churn-report' && s.status === 'succeeded');
      const run = (await json(`${gateway.url}/workflows/${id}`)).body as unknown as Run;
      return { done: asked >= 2 || acted || run.status === 'succeeded' || run.status === 'failed', seen: { run: run.status, error: run.error, steps: steps.map((s) => `${s.stepId} ${s.status}${s.error ? ` ${s.error}` : ''}`).slice(-6) } };
    }, 120_000);
    workers.get('w2')!.child.kill('SIGKILL');
    workers.delete('w2');
    const status = await finished(cluster, gateway.url!, id, [...workers.values()][0].url!);
    const run = (await json(`${gateway.url}/workflows/${id}`)).body as unknown as Run;
    expect({ status, error: run.error }).toEqual({ status: 'succeeded', error: null });
    const report = ((await json(`${gateway.url}/churn-prevention/runs/${id}`)).body as { report: Report }).report;

    // One scan of the whole population, one plan, one budget: the same customers as one process.
    const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();
    const counts = (r: Report) => Object.fromEntries(Object.entries(r.leftAlone).map(([k, v]) => [k, v.count]));
    expect(run.output!.scanned).toBe(singleRun.output!.scanned);
    expect({ control: sorted(run.output!.controlIds), treated: sorted(run.output!.treatedIds), contacts: run.output!.contacts }).toEqual({ control: sorted(singleRun.output!.controlIds), treated: sorted(singleRun.output!.treatedIds), contacts: singleRun.output!.contacts });
    expect(counts(report)).toEqual(counts(singleReport));
    expect(sorted(report.leftAlone['pending-approval']?.customerIds)).toEqual(sorted(singleReport.leftAlone['pending-approval']?.customerIds));
    expect(report.spend).toBeLessThanOrEqual(BUDGET);
    expect(report.spend).toBeCloseTo(singleReport.spend, 6);
    // The budget bound: some customers worth contacting were left for it.
    console.info(`scale-churn e2e: scanned ${report.scanned}, left alone ${JSON.stringify(counts(report))}, spend ${report.spend} of ${BUDGET}`);
    expect(report.leftAlone.budget?.count ?? 0, JSON.stringify(counts(report))).toBeGreaterThan(0);

    // Each action asked once: one approval per customer asked, however the run and the partitions moved.
    const asked = report.leftAlone['pending-approval']?.count ?? 0;
    expect(asked).toBeGreaterThan(0);
    const approvals = (await json(`${[...workers.values()][0].url}/approvals`)).body as unknown as { request: { customerId: string; id: string } }[];
    const customers = approvals.map((a) => a.request.customerId);
    expect({ approvals: approvals.length, customers: new Set(customers).size }).toEqual({ approvals: asked, customers: asked });
    expect(sorted(customers)).toEqual(sorted(report.leftAlone['pending-approval']?.customerIds));

    // The queue through the gateway, and a decision carried out where the customer's twin is:
    // refused (503) by a worker that does not own it, passed by the gateway to the one that does.
    const queued = (await json(`${gateway.url}/approvals`)).body as unknown as { id: string; request: { customerId: string } }[];
    expect(queued.map((a) => a.id).sort()).toEqual(approvals.map((a) => (a as unknown as { id: string }).id).sort());
    const first = queued[0];
    // Only once the partitions settled after the kill is a worker other than the owner one that must
    // refuse: read earlier, the owner could be the killed worker, or the "other" one still taking it over.
    const ownerId = await waitFor('every partition live at one live worker, as the gateway routes them', async () => {
      const owners = (await json(`${gateway.url}/partitions/owners`)).body as unknown as Owners;
      const held = await Promise.all([...workers].map(async ([wid, w]) => ({ wid, partitions: ((await json(`${w.url}/partitions`)).body as unknown as Partitions).partitions })));
      const settled =
        owners.unowned.length === 0 &&
        owners.owners.every((o) => workers.has(o.workerId)) &&
        held.every((h) => h.partitions.every((p) => p.state === 'live' && owners.owners.some((o) => o.partition === p.partition && o.workerId === h.wid))) &&
        held.reduce((n, h) => n + h.partitions.length, 0) === owners.owners.length;
      const owner = owners.owners.find((o) => o.partition === partitionOf(first.request.customerId))?.workerId;
      return { done: settled, seen: { owner, unowned: owners.unowned.length, held: held.map((h) => `${h.wid}: ${h.partitions.length} (${h.partitions.filter((p) => p.state !== 'live').length} not live)`) } };
    }).then((seen) => seen.owner);
    const elsewhere = [...workers.entries()].find(([wid]) => wid !== ownerId)!;
    const refused = await json(`${elsewhere[1].url}/approvals/${first.id}/approve`, 'POST', { reason: 'e2e: decided away from the twin' });
    expect([refused.status, refused.retryAfter !== null]).toEqual([503, true]);
    // 503 with Retry-After while the customer's partition still moves after the kill: asked again then.
    const decided = await waitFor('the gateway to pass the decision to the customer\'s owner', async () => {
      const r = await fetch(`${gateway.url}/approvals/${first.id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'e2e: decided through the gateway' }), signal: AbortSignal.timeout(30_000) });
      const seen = { status: r.status, worker: r.headers.get('x-twinloop-worker'), body: await r.text() };
      return { done: r.status !== 503, seen };
    });
    // Carried out at the owner (no back ends are connected there, so the action itself fails: still an answer).
    const ownerNow = ((await json(`${gateway.url}/partitions/owners`)).body as { owners: { partition: number; workerId: string }[] }).owners.find((o) => o.partition === partitionOf(first.request.customerId))!.workerId;
    expect([decided.status, decided.worker], decided.body).toEqual([200, ownerNow]);
    expect(((await json(`${gateway.url}/approvals`)).body as unknown as unknown[]).length).toBe(queued.length - 1);

    // An intent is planned over the whole population, which the workers do not fan out yet: stated through the
    // gateway or to a worker, it is refused saying so (not planned on a worker's third of the customers), nothing stored.
    const words = { text: 'keep high-value customers at risk in the next 6 months, budget 5000', accept: true };
    for (const base of [gateway.url!, elsewhere[1].url!]) {
      const intent = await json(`${base}/intents`, 'POST', words);
      expect([intent.status, intent.retryAfter], JSON.stringify(intent.body)).toEqual([503, null]);
      expect(JSON.stringify(intent.body)).toMatch(/planned by simulation over the whole population, which is not fanned out over partition workers yet/);
    }
    expect((await json(`${elsewhere[1].url}/intents`)).body).toEqual([]);
  }, 900_000);
});
