import { TwinloopError } from '../../domain/errors.js';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
import { DEFAULT_CONTACT_POLICY } from '../../decisioning/contact-policy.js';
import { cents, offeringPrice } from '../../decisioning/action-pricing.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import { notContactedOf, type CampaignInput } from '../../agents/flows/campaign-management-flow.js';
import { loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import { resolveWorld } from '../cli/sandbox-commands.js';
import { intOption } from '../cli/cli-numbers.js';
import { CONTACTS_PER_BATCH } from '../runtime/campaign-delivery.js';
import type { CampaignState } from '../runtime/campaign-state.js';
import { startOperator } from '../runtime/operator.js';
import { inTempDir, worldOptions } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, round } from './bench-stats.js';

/**
 * Benchmark: one tick of a managed campaign on a sandbox world, end to end through the running
 * operator's delivery side (its audience drawn, each contact a decision logged, judged by the
 * guarded executor under the action policy with its audit, budget ledger and contact rules, carried
 * out by the sandbox's back ends at their latencies, the campaign's state saved in the record
 * store). The tick runs twice, each on a fresh operator over the same world and seed: first with
 * its contacts asked one at a time (the baseline, as before decision 0089), then in batches of
 * CONTACTS_PER_BATCH. Both ticks should reach the same customers for the same money; the bench says
 * whether they did. The policy is the default one without quiet hours, so the tick's contacts are
 * not refused for the hour the bench happens to run at (the world follows the wall clock); the back
 * ends answer at the default world's latencies, the campaign delivery's without failures (tickOn).
 */

/** Options of `bench campaign-tick`. */
export interface CampaignTickBenchOptions {
  world: string;
  customers: number;
  months: number;
  seed: number;
  /** The campaign's budget; a tick paces itself at a quarter of it. */
  budget: number;
  log: (line: string) => void;
}

/** One tick as measured. */
export interface CampaignTickRun {
  contactsPerBatch: number;
  /** Contacts asked of the guarded executor in the tick (every variant). */
  asked: number;
  /** Customers the tick's contacts reached (carried out). */
  contacted: number;
  /**
   * What its contacts moved, each as the policy checked it (the offering at the customer's monthly
   * price: paid now, or reserved until they answer), whatever their answers since.
   */
  money: number;
  /** The tick's wall time (ms), the audience's draw (the campaign's open) not counted. */
  tick_ms: number;
  /** tick_ms per contact asked. */
  ms_per_contact: number;
  /** Customers the audience held when the campaign opened (those it may contact, its control drawn out). */
  audience: number;
  /** Customers contacted with each variant. */
  by_variant: Record<string, number>;
  /** Contacts that reached nobody, by why (the rule that refused them, `failed`, `pending-approval`…). */
  not_contacted: Record<string, number>;
}

/** Figures of `bench campaign-tick`. */
export interface CampaignTickBenchResult {
  world: string;
  customers: number;
  months: number;
  budget: number;
  one_at_a_time: CampaignTickRun;
  batched: CampaignTickRun;
  /** batched tick_ms / one-at-a-time tick_ms (below 1: faster). */
  ratio: number;
  /** Customers both ticks contacted with the same variant. */
  contacted_by_both: number;
  /** Whether both ticks contacted the same customers with the same variants, and moved the same money. */
  same_customers: boolean;
  same_money: boolean;
}

/** The default action policy without quiet hours: the bench measures contacts, not the hour it runs at. */
const BENCH_POLICY = { ...DEFAULT_ACTION_POLICY, contact: { ...DEFAULT_CONTACT_POLICY, quietHours: null } };
/** The bench's campaign: a discount and a data bonus on the app, half the budget each, every active customer its audience. */
const campaignOf = (budget: number, endAt: number): CampaignInput => ({
  campaignId: 'bench-tick',
  variants: [
    { id: 'discount-app', offerId: 'retain-10', channel: 'app' },
    { id: 'bonus-app', offerId: 'data-bonus', channel: 'app' },
  ],
  budget,
  audience: [],
  controlShare: 0.1,
  endAt,
  tickMs: 24 * 3_600_000,
  seed: 1,
  minShare: 0.05,
  maxShiftPerTick: 0.2,
  acceptValue: {},
});

/** One tick on a fresh operator over the world, its contacts asked `contactsPerBatch` at once; the customers it contacted, with the figures. */
async function tickOn(o: CampaignTickBenchOptions, contactsPerBatch: number): Promise<{ run: CampaignTickRun; treated: string[] }> {
  const base = resolveWorld({ world: o.world, customers: o.customers });
  // The back ends answer with the default world's latencies (the small world's campaign delivery
  // answers at once), its campaign delivery failing never: its failures are draws of one stream taken
  // in the order of the calls, which batches change, so two ticks could not be compared contact for contact.
  const backends = namedWorld('default').backends;
  const config = loadWorldDocument({ ...base, backends: { ...backends, campaignDelivery: { ...backends.campaignDelivery, transientErrorRate: 0, permanentRejectionRate: 0 } } });
  return inTempDir('campaign-tick-bench', async (dataDir) => {
    const operator = await startOperator({
      store: { kind: 'sqlite', dataDir },
      // The world barely moves during the tick (1× real time): both runs meet it at the same point.
      sandbox: { config, worldName: o.world, seed: o.seed, months: o.months, speed: 1, seededHistory: true },
      // No proactive churn run: it would contact some of the campaign's customers first.
      retentionBudget: 0,
      actionPolicyFile: { document: BENCH_POLICY, path: '(bench campaign-tick: the default policy without quiet hours)' },
      campaignContactsPerBatch: contactsPerBatch,
      log: () => undefined,
      warn: (line) => o.log(`  ${line}`),
    });
    try {
      const ready = await operator.scored;
      o.log(`  ${contactsPerBatch === 1 ? 'one at a time' : `batches of ${contactsPerBatch}`}: ${ready.twins} twins scored`);
      // The back ends take acts once the first start's history is in (decision 0021).
      for (let held = operator.actsHeld(); held !== null; held = operator.actsHeld()) await new Promise((r) => setTimeout(r, 500));
      const now = operator.worldTime() ?? Date.now();
      const input = campaignOf(o.budget, now + 30 * 24 * 3_600_000);
      await operator.campaigns.open(input);
      const opened = (await operator.campaigns.view(input.campaignId, { churn: false }))!;
      const t0 = performance.now();
      await operator.campaigns.apply(input.campaignId, { tick: 1, at: now, shares: { 'discount-app': 0.5, 'bonus-app': 0.5 }, paused: [], remainingBudget: o.budget });
      const tickMs = performance.now() - t0;
      const view = (await operator.campaigns.view(input.campaignId, { churn: false }))!;
      const asked = view.variants.reduce((s, v) => s + (v.tried ?? 0), 0);
      // Who was contacted with which variant, and at what price, from the campaign's saved state.
      const state = (await operator.services.records.get<CampaignState>('campaigns', input.campaignId))!.body;
      const services = operator.services;
      const priceOf = (customerId: string, variantId: string) => {
        const offer = services.decisions.catalogue.byId.get(input.variants.find((v) => v.id === variantId)!.offerId)!;
        return offeringPrice(offer, services.twins.engine.features(customerId)?.[FEATURE_INDEX.monthly_price] ?? 0);
      };
      const treated = Object.entries(state.treated).map(([id, variant]) => `${id}:${variant}`).sort();
      const run: CampaignTickRun = {
        contactsPerBatch,
        asked,
        contacted: treated.length,
        money: cents(Object.entries(state.treated).reduce((sum, [id, variant]) => sum + priceOf(id, variant), 0)),
        tick_ms: round(tickMs, 1),
        ms_per_contact: asked > 0 ? round(tickMs / asked, 2) : 0,
        audience: opened.audienceLeft,
        by_variant: Object.fromEntries(view.variants.map((v) => [v.variantId, v.presented])),
        not_contacted: notContactedOf(view.variants),
      };
      o.log(`  ${JSON.stringify(run)}`);
      return { run, treated };
    } finally {
      await operator.close();
    }
  });
}

/** Runs the bench; see the module comment. */
export async function runCampaignTickBench(o: CampaignTickBenchOptions): Promise<CampaignTickBenchResult> {
  const one = await tickOn(o, 1);
  const batched = await tickOn(o, CONTACTS_PER_BATCH);
  if (one.run.asked === 0) throw new TwinloopError('INTERNAL', 'bench campaign-tick: the tick asked for no contact (an audience of nobody, or every contact refused?); nothing was measured');
  return {
    world: o.world,
    customers: o.customers,
    months: o.months,
    budget: o.budget,
    one_at_a_time: one.run,
    batched: batched.run,
    ratio: ratio(batched.run.tick_ms, one.run.tick_ms),
    contacted_by_both: one.treated.filter((id) => batched.treated.includes(id)).length,
    same_customers: one.treated.length === batched.treated.length && one.treated.every((id, i) => id === batched.treated[i]),
    same_money: one.run.money === batched.run.money,
  };
}

/** The human summary of `bench campaign-tick`. */
export function formatCampaignTickBench(r: CampaignTickBenchResult): string {
  const line = (name: string, x: CampaignTickRun) => `${name}: ${x.asked} contacts asked, ${x.contacted} contacted, ${x.money.toFixed(2)} moved in ${(x.tick_ms / 1000).toFixed(2)} s (${x.ms_per_contact} ms a contact; audience ${x.audience})`;
  return [
    `${r.world} world, ${r.customers} customers, ${r.months} months; a campaign of ${r.budget} (retain-10 and data-bonus on the app), one tick`,
    line('one at a time (baseline)', r.one_at_a_time),
    line(`batches of ${r.batched.contactsPerBatch}`, r.batched),
    `ratio batched / one at a time: ${r.ratio}× (${r.ratio > 0 ? round(1 / r.ratio, 2) : 0}× as fast); same customers: ${r.same_customers ? 'yes' : 'NO'}, same money: ${r.same_money ? 'yes' : 'NO'}`,
  ].join('\n');
}

/** `bench campaign-tick`: a managed campaign's tick, its contacts in batches against one at a time. */
export const campaignTickBench = defineBench({
  name: 'campaign-tick',
  description: "a managed campaign's tick on a sandbox world, its contacts asked in batches (decision 0089) against one at a time, each on a fresh operator",
  options: [
    ...worldOptions({ customers: 2_000, months: 6 }).map((x) => (x.flags.startsWith('--world') ? { ...x, default: 'small' } : x)),
    { flags: '--budget <n>', description: "the campaign's budget (a tick paces itself at a quarter of it)", parse: intOption('--budget', 1), default: 8_000 },
  ],
  run: (o: Omit<CampaignTickBenchOptions, 'log'>, { log }) => runCampaignTickBench({ ...o, log }),
  summary: formatCampaignTickBench,
});
