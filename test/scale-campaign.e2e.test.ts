import { describe, expect, it } from 'vitest';
import { CHAMPION_HISTORY, CLUSTER_SERVICES, clusterAgainstOne, clusterAndSingle, clusterTestName, putPolicyAndWait, waitForRun, type PolicyDocument, type TestCluster } from './support/cluster.js';

/**
 * A managed campaign over partition workers (issue 16, docs/scale.md "Campaigns over the
 * workers"): started through the gateway, it runs on whichever worker claims its workflow, draws
 * its audience once from every partition, and asks each contact of its customer's owner. A
 * gateway and three workers, and one `--role all` process on a database of its own, take the
 * same events and serve the same churn model; the same campaign on both must draw the same
 * audience and control group and ask each of the same customers, through its owner's guarded
 * executor, though a worker is SIGKILLed while the campaign runs.
 *
 * The processes have no back ends, so the policy caps what a discount may cost below any
 * price: every contact is judged by the customer's owner and refused there (`cost-cap`, or
 * a contact rule first), and the campaign leaves that customer out and goes on to the next, which
 * walks the whole audience in the first tick. What is compared is who was asked and why each was
 * left out. Nothing here is timed: every wait polls a condition until a generous deadline.
 */

const WAIT_MS = 180_000;
const START_MS = 120_000;
const CAMPAIGN = 'e2e-campaign';

type Detail = { status: string; audienceLeft: number; leftOut: Record<string, number>; control: { customers: number; churned: number } | null; spent: number; variants: { variantId: string; failed: number; spent: number; presented: number }[]; allocation: unknown[] };
type AuditRecord = { seq: number; entry: { type: string; requestId?: string; action?: { customerId?: string }; outcome?: { guardrail?: string } } };

describe.skipIf(!CLUSTER_SERVICES)(clusterTestName('a campaign over partition workers (a gateway, three workers, one killed; against one process)'), () => {
  const { cluster, single } = clusterAndSingle('campaign');
  const { json } = cluster;
  const waitFor = <T>(what: string, probe: () => Promise<{ done: boolean; seen: T }>, ms = WAIT_MS) => cluster.waitFor(what, probe, ms);

  const startOn = async (c: TestCluster, base: string) => {
    const input = {
      campaignId: CAMPAIGN,
      variants: [
        { id: 'v-web', offerId: 'retain-10', channel: 'web' },
        { id: 'v-app', offerId: 'retain-10', channel: 'app' },
      ],
      // Enough that a tick's pace (a quarter of it, split over the variants) covers one discount's planned cost.
      budget: 1_000,
      controlShare: 0.2,
      audience: [],
      endAt: Date.now() + 20_000,
      tickMs: 5_000,
      seed: 3,
    };
    const started = await c.json(`${base}/workflows/campaign-management/start`, 'POST', { input, workflowId: `campaign-${CAMPAIGN}` });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return started.body.workflowId as string;
  };
  const finished = async (c: TestCluster, base: string, id: string) => {
    const run = await waitForRun(c, base, id, WAIT_MS);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: null });
  };
  /** Every audit entry of the campaign's contacts, read from `base` (the trail is shared by the workers). */
  const contacts = async (c: TestCluster, base: string): Promise<AuditRecord[]> => {
    const out: AuditRecord[] = [];
    for (let before: number | undefined; ; ) {
      const page = (await c.json(`${base}/audit?order=newest&q=cmp:${CAMPAIGN}:&limit=500${before ? `&before=${before}` : ''}`)).body as unknown as AuditRecord[];
      out.push(...page.filter((r) => r.entry.requestId?.startsWith(`cmp:${CAMPAIGN}:`)));
      if (page.length < 500) return out;
      before = page[page.length - 1].seq;
    }
  };

  it('draws one audience over every partition and asks each customer of its owner once, as one process does, through a worker\'s death', async () => {
    const { gateway, workers, one } = await clusterAgainstOne(cluster, single, { workers: 3, waitMs: WAIT_MS, startMs: START_MS });
    // No discount may cost anything (every contact refused where the customer is), and no quiet hours.
    const noDiscount = (d: PolicyDocument): PolicyDocument => ({
      ...d,
      rules: d.rules.map((r) => (r.actionClass === 'discount' ? { ...r, guardrails: { ...(r.guardrails ?? {}), costCap: 0.001 } } : r)),
      contact: { ...(d.contact ?? {}), quietHours: null },
    });
    await putPolicyAndWait(cluster, gateway.url!, [...workers.values()], 'e2e: no discount may cost anything', noDiscount);
    await putPolicyAndWait(single, one.url!, [one], 'e2e: no discount may cost anything', noDiscount);

    // The single process's campaign: what the cluster's must come to.
    await finished(single, one.url!, await startOn(single, one.url!));
    const singleDetail = (await json(`${one.url}/campaigns/${CAMPAIGN}`)).body as unknown as Detail;
    const singleAsked = await contacts(single, one.url!);

    // The cluster's, through the gateway; a worker dies once the campaign has asked a few of its customers.
    const id = await startOn(cluster, gateway.url!);
    const reader = () => [...workers.values()].find((w) => w.name !== 'w2')!.url!;
    await waitFor('the campaign to ask its first customers', async () => {
      const asked = (await contacts(cluster, reader())).length;
      const run = (await json(`${gateway.url}/workflows/${id}`)).body;
      return { done: asked >= 10 || run.status === 'succeeded' || run.status === 'failed', seen: { asked, run: run.status, error: run.error } };
    }, 120_000);
    workers.get('w2')!.child.kill('SIGKILL');
    workers.delete('w2');
    await finished(cluster, gateway.url!, id);
    const detail = (await json(`${gateway.url}/campaigns/${CAMPAIGN}`)).body as unknown as Detail;
    const asked = await contacts(cluster, reader());

    // One audience over every partition, one control group, each left out for the same rule: as one process.
    console.info(`scale-campaign e2e: left out ${JSON.stringify(detail.leftOut)}, audience left ${detail.audienceLeft}, control ${JSON.stringify(detail.control)}, ${detail.allocation.length} ticks, ${asked.length} contact entries (single: ${singleAsked.length})`);
    const view = (d: Detail) => ({ audienceLeft: d.audienceLeft, leftOut: d.leftOut, control: d.control, spent: d.spent, variants: d.variants.map((v) => ({ id: v.variantId, failed: v.failed, spent: v.spent, presented: v.presented })) });
    expect(view(detail)).toEqual(view(singleDetail));
    // Left out before anyone is asked, so with no entry in the trail: sleeping dogs, and since 8877027 the customers
    // with no marketing consent (the audience leaves them out before it is drawn; the policy refused them before).
    // And since decision 0116 those whom no variant's offering admits (not-eligible, read where the twin is).
    const unasked = (singleDetail.leftOut['sleeping-dog'] ?? 0) + (singleDetail.leftOut['no-consent'] ?? 0) + (singleDetail.leftOut['not-eligible'] ?? 0);
    const total = Object.values(singleDetail.leftOut).reduce((a, b) => a + b, 0) - unasked;
    // Enough asked to mean something: 18 of the 400 on 2026-12-08, the draw leaving out the 175 no variant admits.
    expect(total).toBeGreaterThan(CHAMPION_HISTORY.customers / 40);
    // The same customers asked, each judged where its twin is with the same entries in the trail.
    const byCustomer = (rs: AuditRecord[]) => {
      const seen = new Map<string, Set<string>>();
      for (const r of rs) {
        const id = r.entry.action?.customerId ?? '';
        seen.set(id, (seen.get(id) ?? new Set()).add(`${r.entry.type}${r.entry.outcome?.guardrail ? `:${r.entry.outcome.guardrail}` : ''}`));
      }
      return Object.fromEntries([...seen].map(([id, kinds]) => [id, [...kinds].sort().join(' ')]).sort(([a], [b]) => (a < b ? -1 : 1)));
    };
    expect(byCustomer(asked)).toEqual(byCustomer(singleAsked));
    expect(Object.keys(byCustomer(asked)).length).toBe(total);
    // Asked again only where a request met a worker's death (nothing is done by a refusal): said, not hidden.
    const requested = asked.filter((r) => r.entry.type === 'action.requested').length;
    console.info(`scale-campaign e2e: ${requested} requests for ${total} customers (${requested - total} asked again across the kill)`);
  }, 900_000);
});
