import { z } from 'zod';

/**
 * The world configuration: one JSON document that describes a sandbox operator completely.
 * Every field is documented in docs/sandbox.md; unknown fields are errors so typos surface.
 */

const share = z.number().min(0).max(1);
const nonNeg = z.number().finite().nonnegative();
const positive = z.number().finite().positive();
const int = z.number().int();
const probability = share;
const logit = z.number().finite().min(-20).max(20);

/** Shares that must add up to one (within rounding). */
const shares = <K extends string>(keys: readonly [K, ...K[]]) =>
  z
    .strictObject(Object.fromEntries(keys.map((k) => [k, share])) as Record<K, typeof share>)
    .refine((o) => Math.abs(Object.values(o as Record<string, number>).reduce((s, v) => s + v, 0) - 1) < 1e-6, {
      message: 'expected shares adding up to 1',
    });

/** A random positive quantity: log-normal given its median and log-scale spread. */
const lognormalSpec = z.strictObject({ median: positive, sigma: nonNeg.max(5) });

/**
 * Defaults of `network.experience`: one bad session per customer every 100 days (a few a day on a
 * cell of 50); an incident's touched customers have one an hour (outage, degradation) or 0.8
 * (congestion) at high severity, for at most 12 hours; everyday slow sessions 2 Mbit/s (median),
 * degraded ones 0.3.
 */
export const DEFAULT_EXPERIENCE = {
  baselinePerCustomerDay: 0.01,
  perTouchedHour: { outage: 1, degradation: 1, congestion: 0.8 },
  maxHours: 12,
  throughputMbps: { everyday: { median: 2, sigma: 0.8 }, degraded: { median: 0.3, sigma: 0.8 } },
};

/** Latency and failure behaviour of one sandbox back end. */
export const backendConfigSchema = z.strictObject({
  /** Call latency in milliseconds of real time: log-normal. */
  latencyMs: z.strictObject({ median: nonNeg, sigma: nonNeg.max(5) }),
  /** A call slower than this returns a transient `timeout` failure instead. */
  timeoutMs: positive,
  transientErrorRate: probability,
  permanentRejectionRate: probability,
});
export type BackendConfig = z.infer<typeof backendConfigSchema>;

/**
 * Usage caps of a world that states none: a mobile-only line at most 40 GB a month (a heavy
 * smartphone user), a DSL household 1 TB, a fibre household 2 TB (heavy streaming homes), and
 * nobody's typical month above three times the plan's allowance (beyond that operators throttle
 * or move the customer up a plan).
 */
const DEFAULT_USAGE_CAPS = { allowanceMultiple: 3, dataMbPerMonth: { fibre: 2_048_000, dsl: 1_024_000, none: 40_960 } };

/** Fixed-line families of plans; `none` is mobile only. */
export const PLAN_FAMILIES = ['fibre', 'dsl', 'none'] as const;
/** Payment methods, as the `customer` event names them. */
export const PAYMENT_METHODS = ['direct_debit', 'card', 'electronic_check', 'mailed_check', 'cash', 'voucher'] as const;
/** The hidden response types to offers and contact (see docs/sandbox.md). */
export const RESPONSE_TYPES = ['sureThing', 'lostCause', 'persuadable', 'sleepingDog'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

const planSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  /** Fixed-line family the plan belongs to; maps IBM's InternetService (Fiber optic / DSL / No). */
  family: z.enum(PLAN_FAMILIES),
  /** Weight of the plan among new and initial customers. */
  share,
  monthlyPrice: nonNeg,
  dataAllowanceMb: nonNeg,
  /** 0 = no voice service (IBM's PhoneService = No). */
  voiceAllowanceMin: nonNeg,
  overagePerGb: nonNeg,
  overagePerMin: nonNeg,
  /**
   * Who the plan is for: postpaid customers (billed monthly) or prepaid ones, who renew the
   * bundle with a top-up each period and buy add-ons (at the overage prices) when it runs out.
   */
  billing: z.enum(['postpaid', 'prepaid']).default('postpaid'),
});

/** A recurring add-on a customer may order on top of the plan (TMF622 `add` of an add-on): billed monthly, its allowance added to the plan's. */
const addonSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  monthlyPrice: nonNeg,
  dataAllowanceMb: nonNeg,
  voiceAllowanceMin: nonNeg,
});

/** The add-ons every world sells unless its document names others: more data, more minutes. */
export const DEFAULT_ADDONS: z.input<typeof addonSchema>[] = [
  { id: 'data-5gb', name: 'Extra 5 GB', monthlyPrice: 5, dataAllowanceMb: 5_000, voiceAllowanceMin: 0 },
  { id: 'voice-300', name: 'Extra 300 minutes', monthlyPrice: 4, dataAllowanceMb: 0, voiceAllowanceMin: 300 },
];

const offerSchema = z.strictObject({
  id: z.string().min(1).max(64),
  kind: z.enum(['discount', 'data_bonus', 'plan_upgrade', 'loyalty_credit']),
  /** Discount on the monthly price while the offer runs, in percent. */
  discountPct: nonNeg.max(100),
  months: int.min(1).max(36),
  /** 0..1: how much of a persuadable customer's possible hazard reduction this offer achieves. */
  strength: share,
});

/** The schema of a world document (after `extends` is resolved). */
export const worldConfigSchema = z.strictObject({
  name: z.string().min(1).max(64),
  description: z.string().max(2000).optional(),
  /** First day of the backfill (UTC, ISO date). */
  start: z.iso.date(),
  currency: z.string().length(3),
  population: z.strictObject({
    customers: int.min(1).max(5_000_000),
    segments: shares(['consumer', 'business'] as const),
    billing: shares(['prepaid', 'postpaid'] as const),
    contracts: z
      .array(
        z.strictObject({
          months: int.min(0).max(60),
          share,
          /** Mean tenure in months of the initial customers on this contract. */
          tenureMeanMonths: positive,
          churnLogit: logit,
        }),
      )
      .min(1),
    paymentMethods: z.array(z.strictObject({ method: z.enum(PAYMENT_METHODS), share, churnLogit: logit })).min(1),
    maxTenureMonths: int.min(1).max(600),
    /** New customers per month as a share of the current population. */
    joinRatePerMonth: share,
    /**
     * Share of customers who consent to marketing contact (their `customer` events say so; the
     * others said no). Drawn from each customer's id, apart from the world's random streams.
     */
    marketingConsent: share.default(0.7),
    /**
     * Shares of customers who opted out of contact by SMS and by e-mail (their `customer` events
     * say `sms: false` / `email: false`; the others `true`). Drawn from each customer's id, apart
     * from the marketing consent and the world's random streams.
     */
    channelOptOuts: z.strictObject({ sms: share, email: share }).default({ sms: 0.1, email: 0.15 }),
  }),
  plans: z.array(planSchema).min(1),
  addons: z.array(addonSchema).default(DEFAULT_ADDONS),
  usage: z.strictObject({
    /** Customer's typical daily data use as a share of allowance/30 (log-normal across customers). */
    dataLevel: lognormalSpec,
    voiceLevel: lognormalSpec,
    smsPerDay: nonNeg,
    /** Multipliers Monday..Sunday. */
    weekly: z.array(nonNeg).length(7),
    dailyNoiseSigma: nonNeg.max(3),
    /** Per-customer monthly growth of usage: normal(mean, sd). */
    trend: z.strictObject({ meanPerMonth: z.number().min(-0.5).max(0.5), sdPerMonth: nonNeg.max(0.5) }),
    /** A share of customers whose level is further multiplied by a Pareto(alpha) draw. */
    heavyTail: z.strictObject({ share, alpha: z.number().min(1.01).max(10) }),
    roamingDayRate: probability,
    /**
     * The most a customer's typical month may reach, so that the heavy tail and growth stay
     * plausible: data at most `dataMbPerMonth[family]` and at most `allowanceMultiple` × the plan's
     * data allowance; voice at most `allowanceMultiple` × the voice allowance. Daily noise varies
     * around the capped level.
     */
    caps: z
      .strictObject({
        allowanceMultiple: z.number().min(1).max(100),
        dataMbPerMonth: z.strictObject({ fibre: positive, dsl: positive, none: positive }),
      })
      .default(DEFAULT_USAGE_CAPS),
  }),
  network: z.strictObject({
    cells: int.min(1).max(1_000_000),
    cellsPerSite: int.min(1).max(64),
    visitedCellsPerCustomer: int.min(0).max(8),
    /** Chance that an incident on a visited cell touches the customer. */
    visitProbability: probability,
    incidents: z.strictObject({
      perCellPerMonth: nonNeg,
      durationHours: lognormalSpec,
      severities: shares(['low', 'medium', 'high', 'critical'] as const),
      impacts: shares(['outage', 'degradation', 'congestion'] as const),
      /**
       * Degradation and congestion build up before the network system's thresholds raise an
       * alarm: the share of such incidents that hurt customers first, and for how long (minutes,
       * log-normal). An incident that ends before its alarm would be raised never raises one.
       */
      precursor: z.strictObject({ share: probability, minutes: lognormalSpec }).default({ share: 0.7, minutes: { median: 45, sigma: 0.8 } }),
      /** Share of degradation and congestion incidents that stay under every alarm threshold: no alarm at all. */
      silentShare: probability.default(0.1),
    }),
    /**
     * Session records of bad experience (a dropped call, a slow data session), each a usage record
     * of its cell at the moment it happened: `baselinePerCustomerDay` of them for an active customer
     * on any day (the network's everyday failures), and while an incident lasts, for each customer
     * it touches, `perTouchedHour[impact]` an hour × the severity's weight (low .25, medium .5,
     * high 1, critical 2), over at most `maxHours`. Slow sessions' throughput (Mbit/s, log-normal)
     * is `everyday` outside incidents and `degraded` in them.
     */
    experience: z
      .strictObject({
        baselinePerCustomerDay: nonNeg,
        perTouchedHour: z.strictObject({ outage: nonNeg, degradation: nonNeg, congestion: nonNeg }),
        maxHours: positive,
        throughputMbps: z.strictObject({ everyday: lognormalSpec, degraded: lognormalSpec }),
      })
      .default(DEFAULT_EXPERIENCE),
  }),
  payments: z.strictObject({
    dueAfterDays: int.min(1).max(60),
    /** Latent financial strain across customers: normal(mean, sd), drives late/failed payments and churn. */
    strain: z.strictObject({ mean: z.number(), sd: nonNeg }),
    late: z.strictObject({ intercept: logit, strain: z.number() }),
    failed: z.strictObject({ intercept: logit, strain: z.number() }),
    lateDays: lognormalSpec,
  }),
  complaints: z.strictObject({
    billShock: z.strictObject({ overageThreshold: nonNeg, probability }),
    networkImpact: z.strictObject({ low: probability, medium: probability, high: probability, critical: probability }),
    /**
     * Touched customers who call the care line while an incident hurts them, by severity, and
     * how long after it began (minutes, log-normal); a call due after the incident ended is not made.
     */
    networkCallIn: z
      .strictObject({ low: probability, medium: probability, high: probability, critical: probability, delayMinutes: lognormalSpec })
      .default({ low: 0.01, medium: 0.05, high: 0.15, critical: 0.25, delayMinutes: { median: 30, sigma: 0.8 } }),
    serviceFaultsPerMonth: nonNeg,
    interactionsPerMonth: nonNeg,
    resolutionDays: lognormalSpec,
  }),
  churn: z.strictObject({
    /** Monthly churn rate the intercept is solved for, and the band tests hold it to. */
    monthlyRate: z
      .strictObject({ target: probability, min: probability, max: probability })
      .refine((r) => r.min <= r.target && r.target <= r.max, { message: 'expected min ≤ target ≤ max' }),
    coefficients: z.strictObject({
      tenureLog: z.number(),
      family: z.strictObject({ fibre: z.number(), dsl: z.number(), none: z.number() }),
      business: z.number(),
      prepaid: z.number(),
      overageMonths: z.number(),
      complaints: z.number(),
      networkImpact: z.number(),
      priceIncreasePct: z.number(),
      competitorOffer: z.number(),
      financialStrain: z.number(),
    }),
    frailtySd: nonNeg.max(5),
    /**
     * `shared` (the default): each day's churn dice come from the world's one stream, in customer
     * order. `per-customer`: each customer's die on each day is a hash of the seed, the customer and
     * the day, so two copies of a world that come to differ anywhere (one customer treated, one
     * incident prevented) still decide everyone else's churn with the same dice; a counterfactual
     * copy then differs from its twin by the treatment, not by every die after the first difference.
     */
    dice: z.enum(['shared', 'per-customer']).default('shared'),
  }),
  planChanges: z.strictObject({ upsellAfterOverageMonths: int.min(1).max(12), upsellProbability: probability, downsellPerMonth: probability }),
  priceChanges: z.array(z.strictObject({ day: int.min(0), planIds: z.array(z.string()).min(1), pct: z.number().min(-90).max(200) })),
  /**
   * Network investments: from `day`, `incidentReductionPct` % of the incidents that would start on
   * each of `cells` (ids as the events name them, `cell-7`) do not happen. Days before are as
   * without it, so a copy of a world with an improvement added at its present day is the same
   * world until then (what `simulate validate` realises network scenarios with).
   */
  networkImprovements: z.array(z.strictObject({ day: int.min(0), cells: z.array(z.string().regex(/^cell-\d+$/)).min(1), incidentReductionPct: z.number().min(0).max(100) })).default([]),
  /**
   * Another realisation of the same world from `day` on: from that day every chance the world
   * draws (its streams: usage, joins, incidents, customers' answers to offers; and the churn
   * dice, shared or per customer) is drawn with `salt` mixed into the seed. Days before are as
   * without it, so copies with different salts are the same history with different futures: what
   * `simulate validate` measures a realised value's own noise with. Absent: one future per seed.
   */
  redraw: z.strictObject({ day: int.min(0), salt: int.min(1) }).optional(),
  /**
   * Absent: a customer's everyday chances (its usage, unprompted contacts, tickets, its bill's
   * shock, payment and plan change, whether an incident on a cell it visits touches it and
   * whether it complains) come from the world's one stream in customer order, and joins too.
   * `{ from: day }`: from that day on, each from a stream of the seed, the customer, the day and
   * the use alone, and the day's joins from a stream of the day; so two copies of a world that come
   * to differ after it (one churner more, one offer accepted) keep everyone else's usage, bills and
   * complaints as they were, where with the one stream every draw after the first difference is
   * redrawn (a price change's stayers' usage lines differed between its copies by 1.44 a
   * customer-month: 5,200 on one scenario of `simulate validate`, 2026-12-06). The days before are
   * exactly as without it. With `churn.dice: per-customer`, what `simulate validate` realises its
   * scenarios in, from their cutoff.
   */
  customerDice: z.strictObject({ from: int.min(0) }).optional(),
  competitorOffers: z.array(
    z.strictObject({ startDay: int.min(0), days: int.min(1), families: z.array(z.enum(PLAN_FAMILIES)).min(1), intensity: nonNeg }),
  ),
  offers: z.strictObject({
    catalogue: z.array(offerSchema).min(1),
    responseTypes: shares(RESPONSE_TYPES),
    typeLogitShift: z.strictObject({ sureThing: z.number(), lostCause: z.number(), persuadable: z.number(), sleepingDog: z.number() }),
    /**
     * How a customer's observable traits tilt its response type: per type, log-weight
     * coefficients on month-to-month contract (0/1), tenure in years, data use over the plan's
     * allowance (natural log of the ratio) and the latent financial strain (seen through late
     * payments). A customer's type weights are `responseTypes[t] × exp(β_t · traits)`. Absent:
     * types are drawn independently of everything observable.
     */
    responseDrivers: z
      .partialRecord(
        z.enum(RESPONSE_TYPES),
        z.strictObject({ monthToMonth: z.number(), tenureYears: z.number(), dataOverAllowance: z.number(), financialStrain: z.number() }),
      )
      .optional(),
    acceptance: z.strictObject({ sureThing: probability, lostCause: probability, persuadable: probability, sleepingDog: probability }),
    /**
     * Per type, the probability that a customer who does not accept an offer leaves it
     * unanswered (ignores it) rather than declining; the outcome watch then writes it `ignored`
     * after its answer window. Drawn per offer with the customer's persistent type, so ignoring
     * says something about who they are. Absent: nobody ignores.
     */
    ignore: z.strictObject({ sureThing: probability, lostCause: probability, persuadable: probability, sleepingDog: probability }).optional(),
    persuadableHazardMultiplier: share,
    sleepingDogHazardMultiplier: z.number().min(1).max(20),
    effectMonths: int.min(1).max(36),
  }),
  /**
   * Contract ends. A customer on a fixed-term contract (`population.contracts[].months` > 0)
   * reaches its end a whole number of terms after `since` (a joiner: one term after joining), and
   * their `customer` events name it (`contractEnd`). That day the customer decides from the hidden
   * churn model: they leave with probability `1 − (1 − p)^churnHazardMonths`, `p` their monthly
   * hazard then as a month-to-month customer's (out of the lock-in; offers in force and every other
   * driver included); staying, they renew for another term with probability
   * `renew × (1 − that)`, else roll on month to month. Absent: contracts never end, and the world
   * gives exactly the events it gave before the setting existed; `null` takes it out of a world
   * that `extends` one with it (the built-in worlds end contracts).
   */
  renewals: z
    .strictObject({
      churnHazardMonths: z.number().min(0).max(24),
      renew: probability,
    })
    .nullable()
    .optional()
    .transform((v) => v ?? undefined),
  applicants: z.strictObject({
    identityInvalidRate: probability,
    fraudRate: probability,
    creditScore: z.strictObject({ mean: z.number(), sd: nonNeg, min: z.number(), max: z.number() }),
    planPreferences: z.record(z.string(), nonNeg),
  }),
  backends: z.strictObject({
    identityVerification: backendConfigSchema,
    creditBureau: backendConfigSchema,
    orderManagement: backendConfigSchema,
    provisioning: backendConfigSchema.extend({ completionMs: z.strictObject({ median: nonNeg, sigma: nonNeg.max(5) }) }),
    billingAdjustments: backendConfigSchema,
    notifications: backendConfigSchema,
    networkAlarms: backendConfigSchema,
    campaignDelivery: backendConfigSchema,
  }),
});

/** A validated world configuration. */
export type WorldConfig = z.infer<typeof worldConfigSchema>;

/** One wrong field: where, what was expected, what was found. */
export interface ConfigIssue {
  path: string;
  expected: string;
  found: string;
}

/** A validated configuration, or every wrong field. */
export type ConfigResult = { ok: true; config: WorldConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates a decoded JSON document as a world configuration, with one issue per wrong field. */
export function parseWorldConfig(raw: unknown): ConfigResult {
  const parsed = worldConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.flatMap((issue): ConfigIssue[] => {
        const at = issue.path.map(String);
        if (issue.code === 'unrecognized_keys') {
          // One line per unknown field, named by its own path: usually a typo of a documented field.
          const input = (issue.input ?? {}) as Record<string, unknown>;
          return issue.keys.map((k) => ({ path: [...at, k].join('.'), expected: 'no such field (see docs/sandbox.md)', found: describeFound(input[k]) }));
        }
        return [{ path: at.length ? at.join('.') : '(document)', expected: issue.message, found: describeFound(issue.input) }];
      }),
    };
  }
  const cross = crossCheck(parsed.data);
  return cross.length ? { ok: false, issues: cross } : { ok: true, config: parsed.data };
}

/** Checks that span fields (references between sections), which the schema alone cannot see. */
function crossCheck(c: WorldConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const planIds = new Set(c.plans.map((p) => p.id));
  const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
  const near1 = (x: number) => Math.abs(x - 1) < 1e-6;
  if (!near1(sum(c.population.contracts.map((x) => x.share)))) {
    issues.push({ path: 'population.contracts', expected: 'shares adding up to 1', found: String(sum(c.population.contracts.map((x) => x.share))) });
  }
  if (!near1(sum(c.population.paymentMethods.map((x) => x.share)))) {
    issues.push({ path: 'population.paymentMethods', expected: 'shares adding up to 1', found: String(sum(c.population.paymentMethods.map((x) => x.share))) });
  }
  if (!(sum(c.plans.map((p) => p.share)) > 0)) issues.push({ path: 'plans', expected: 'at least one plan with a positive share', found: '0' });
  for (const billing of ['prepaid', 'postpaid'] as const) {
    if (c.population.billing[billing] > 0 && !(sum(c.plans.filter((p) => p.billing === billing).map((p) => p.share)) > 0)) {
      issues.push({ path: `population.billing.${billing}`, expected: `a plan with "billing": "${billing}" and a positive share, since ${billing} customers are drawn`, found: String(c.population.billing[billing]) });
    }
  }
  if (planIds.size !== c.plans.length) issues.push({ path: 'plans', expected: 'unique plan ids', found: 'a repeated id' });
  c.networkImprovements.forEach((ni, i) =>
    ni.cells.forEach((id, j) => {
      if (!(Number(id.slice(5)) < c.network.cells)) issues.push({ path: `networkImprovements.${i}.cells.${j}`, expected: `a cell of the network (cell-0 … cell-${c.network.cells - 1})`, found: JSON.stringify(id) });
    }),
  );
  c.priceChanges.forEach((pc, i) =>
    pc.planIds.forEach((id, j) => {
      if (!planIds.has(id)) issues.push({ path: `priceChanges.${i}.planIds.${j}`, expected: 'the id of a plan in `plans`', found: JSON.stringify(id) });
    }),
  );
  for (const id of Object.keys(c.applicants.planPreferences)) {
    if (!planIds.has(id)) issues.push({ path: `applicants.planPreferences.${id}`, expected: 'the id of a plan in `plans`', found: JSON.stringify(id) });
  }
  if (c.applicants.creditScore.min >= c.applicants.creditScore.max) {
    issues.push({ path: 'applicants.creditScore.min', expected: 'min < max', found: String(c.applicants.creditScore.min) });
  }
  return issues;
}

function describeFound(input: unknown): string {
  if (input === undefined) return 'nothing (field missing)';
  const text = JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Formats issues as one line per wrong field, for the CLI and error messages. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => `${i.path}: ${i.expected}; found ${i.found}`);
}
