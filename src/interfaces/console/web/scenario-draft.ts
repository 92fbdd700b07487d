/**
 * A scenario as the lab's form holds it (the text of each field) and the scenario JSON the
 * simulation lab takes (`POST /simulations`, docs/simulation.md). Empty fields are left out, so
 * the server's defaults apply; the server validates and names any wrong field by its path.
 */

/** The kinds of scenario the lab runs. */
export const SCENARIO_KINDS = {
  retention_campaign: 'Retention campaign',
  offer_launch: 'Offer launch',
  price_change: 'Price change',
  network_improvement: 'Network improvement',
} as const;
export type ScenarioKind = keyof typeof SCENARIO_KINDS;

/** Ways to split the results into segments (the lab's `segmentBy`). */
export const SEGMENT_BY = {
  churn_risk_band: 'churn-risk band',
  is_prepaid: 'prepaid or postpaid',
  is_business: 'business or consumer',
  contract_months: 'contract length',
  none: 'no segments',
} as const;

/** The operators of a target condition (the one filter vocabulary, docs/filters.md). */
export const FILTER_OPS = ['>=', '>', '<=', '<', '==', '!='] as const;

/** One condition of the target: which twins the scenario touches. */
export interface TargetCondition {
  field: string;
  op: (typeof FILTER_OPS)[number];
  value: string;
}

/** Every field of the form, as typed. */
export interface ScenarioDraft {
  kind: ScenarioKind;
  name: string;
  horizonMonths: string;
  segmentBy: keyof typeof SEGMENT_BY;
  draws: string;
  target: TargetCondition[];
  // an offer (retention campaign, offer launch)
  offerId: string;
  discountPct: string;
  offerMonths: string;
  costPerAcceptance: string;
  acceptance: string;
  acceptanceSd: string;
  // retention campaign
  rank: 'churn_value' | 'uplift';
  sizeBy: 'k' | 'budget';
  k: string;
  budget: string;
  costPerContact: string;
  controlShare: string;
  // offer launch: one channel
  channel: string;
  reach: string;
  // price change
  pricePct: string;
  response: 'estimated' | 'configured';
  elasticity: string;
  elasticitySd: string;
  // network improvement
  incidentReductionPct: string;
  cost: string;
}

/** A new scenario of a kind, with values a person would start from. */
export function newDraft(kind: ScenarioKind, n: number): ScenarioDraft {
  return {
    kind,
    name: `${SCENARIO_KINDS[kind]} ${n}`,
    horizonMonths: '6',
    segmentBy: 'churn_risk_band',
    draws: '100',
    target: kind === 'network_improvement' ? [{ field: 'network_incidents_30d', op: '>=', value: '1' }] : [],
    offerId: 'retain-10',
    discountPct: kind === 'retention_campaign' ? '10' : '',
    offerMonths: kind === 'retention_campaign' ? '6' : '',
    costPerAcceptance: '5',
    acceptance: '0.2',
    acceptanceSd: '0.05',
    rank: 'churn_value',
    sizeBy: 'k',
    k: '200',
    budget: '',
    costPerContact: '1',
    controlShare: '0.1',
    channel: 'sms',
    reach: '0.9',
    pricePct: '5',
    response: 'estimated',
    elasticity: '0.02',
    elasticitySd: '0.01',
    incidentReductionPct: '50',
    cost: '20000',
  };
}

/** A number typed in a field; empty: left to the server's default. Anything else is sent as typed for the server to name. */
const num = (text: string): number | string | undefined => {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
};

/** Drops the fields left empty. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function offerOf(d: ScenarioDraft): Record<string, unknown> {
  const acceptance = num(d.acceptance);
  return defined({
    id: d.offerId.trim(),
    discountPct: num(d.discountPct),
    months: num(d.offerMonths),
    costPerAcceptance: num(d.costPerAcceptance),
    acceptance: acceptance === undefined ? undefined : defined({ mean: acceptance, sd: num(d.acceptanceSd) }),
  });
}

/** The scenario JSON of a draft (pure). */
export function toScenario(d: ScenarioDraft): Record<string, unknown> {
  const common = {
    kind: d.kind,
    name: d.name.trim(),
    horizonMonths: num(d.horizonMonths),
    draws: num(d.draws),
    segmentBy: d.segmentBy,
    target: d.target.filter((c) => c.field.trim() !== '').map((c) => ({ field: c.field.trim(), op: c.op, value: num(c.value) })),
  };
  switch (d.kind) {
    case 'retention_campaign':
      return defined({
        ...common,
        targeting: defined({ rank: d.rank, [d.sizeBy]: num(d.sizeBy === 'k' ? d.k : d.budget) }),
        offer: offerOf(d),
        costPerContact: num(d.costPerContact),
        controlShare: num(d.controlShare),
      });
    case 'offer_launch':
      return defined({ ...common, channels: [{ name: d.channel.trim(), reach: num(d.reach), costPerContact: num(d.costPerContact) }], offer: offerOf(d) });
    case 'price_change':
      return defined({
        ...common,
        pricePct: num(d.pricePct),
        response: d.response === 'estimated' ? { kind: 'estimated' } : { kind: 'configured', elasticity: defined({ mean: num(d.elasticity), sd: num(d.elasticitySd) }) },
      });
    case 'network_improvement':
      return defined({ ...common, incidentReductionPct: num(d.incidentReductionPct), cost: num(d.cost) });
  }
}

type Json = Record<string, unknown>;
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The draft of a scenario read back from a run, to edit a copy of it (pure). */
export function fromScenario(s: Json, n: number): ScenarioDraft {
  const kind = (s.kind as ScenarioKind) in SCENARIO_KINDS ? (s.kind as ScenarioKind) : 'retention_campaign';
  const d = newDraft(kind, n);
  const offer = (s.offer ?? {}) as Json;
  const acceptance = (offer.acceptance ?? {}) as Json;
  const targeting = (s.targeting ?? {}) as Json;
  const channel = ((s.channels as Json[] | undefined) ?? [])[0] ?? {};
  const response = (s.response ?? {}) as Json;
  const elasticity = (response.elasticity ?? {}) as Json;
  return {
    ...d,
    name: text(s.name),
    horizonMonths: text(s.horizonMonths),
    segmentBy: (s.segmentBy as ScenarioDraft['segmentBy']) ?? d.segmentBy,
    draws: text(s.draws),
    target: ((s.target as Json[] | undefined) ?? []).map((c) => ({ field: text(c.field), op: c.op as TargetCondition['op'], value: text(c.value) })),
    offerId: text(offer.id) || d.offerId,
    discountPct: text(offer.discountPct),
    offerMonths: text(offer.months),
    costPerAcceptance: text(offer.costPerAcceptance),
    acceptance: text(acceptance.mean),
    acceptanceSd: text(acceptance.sd),
    rank: (targeting.rank as ScenarioDraft['rank']) ?? d.rank,
    sizeBy: targeting.budget !== undefined ? 'budget' : 'k',
    k: text(targeting.k),
    budget: text(targeting.budget),
    costPerContact: text(s.costPerContact ?? channel.costPerContact),
    controlShare: text(s.controlShare),
    channel: text(channel.name) || d.channel,
    reach: text(channel.reach),
    pricePct: text(s.pricePct),
    response: response.kind === 'configured' ? 'configured' : 'estimated',
    elasticity: text(elasticity.mean) || d.elasticity,
    elasticitySd: text(elasticity.sd) || d.elasticitySd,
    incidentReductionPct: text(s.incidentReductionPct),
    cost: text(s.cost),
  };
}
