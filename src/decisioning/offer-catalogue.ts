import { z } from 'zod';
import { CHANNELS, channelSchema, type Channel } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { compileRule, RuleVocabulary, type CompiledRule } from './rule-compiler.js';
import type { RuleNode } from './eligibility-rule.js';

/**
 * The offer catalogue: ProductOfferings shaped like TM Forum TMF620 (id, name, description,
 * lifecycleStatus, validFor, productOfferingPrice, channel) plus the fields next-best-action needs
 * (action class, treatments, eligibility and applicability rules, retention prior, weights, lever,
 * the sandbox offer it maps to). Validated here once; the funnel reads the compiled form.
 */

/** What kind of action an offering is; `communication` is a service message, never marketing. */
export const ACTION_CLASSES = ['offer', 'credit', 'discount', 'plan_change', 'communication'] as const;
export type ActionClass = (typeof ACTION_CLASSES)[number];

/** TMF620 lifecycle states; only Active and Launched offerings are ever proposed. */
export const LIFECYCLE_STATUSES = ['In study', 'In design', 'In test', 'Active', 'Launched', 'Retired', 'Obsolete', 'Rejected'] as const;
const LIVE_STATUSES = new Set(['Active', 'Launched']);

const money = z.strictObject({ value: z.number().finite().nonnegative(), unit: z.string().length(3).default('EUR') });
const weight = z.number().finite().nonnegative();

/** Price and cost of an offering (TMF620 ProductOfferingPrice plus our `cost`, `costPaidOn`, `margin`). */
export const offeringPriceSchema = z.strictObject({
  name: z.string().max(200).optional(),
  /** recurring: `price` each month for `recurringChargePeriodLength` months; oneTime: once; discount: `percentage` off the monthly price. */
  priceType: z.enum(['oneTime', 'recurring', 'discount']),
  /** What the customer pays for the offering (0 for gifts and discounts). */
  price: money.default({ value: 0, unit: 'EUR' }),
  /** Discount: percent of the customer's monthly price given away each month. */
  percentage: z.number().min(0).max(100).optional(),
  /** Months the price or discount runs. */
  recurringChargePeriodLength: z.number().int().min(1).max(60).default(1),
  /** The operator's fixed cost of the offering (fulfilment, credit, message). */
  cost: money.default({ value: 0, unit: 'EUR' }),
  /** When the fixed cost is paid: only if the customer accepts, or on every presentation. */
  costPaidOn: z.enum(['acceptance', 'presentation']).default('acceptance'),
  /** Largest share of the monthly price a discount may give away before the plan sells at a loss. */
  margin: z.number().min(0).max(1).default(0.3),
});

/** A message variant of an offering (A/B treatments); weights split customers between variants. */
export const treatmentSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  message: z.string().min(1).max(2000),
  weight: weight.optional(),
});

/** One ProductOffering of the catalogue. */
export const productOfferingSchema = z.strictObject({
  id: z.string().min(1).max(128),
  href: z.string().max(500).optional(),
  '@type': z.string().max(64).optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  version: z.string().max(32).optional(),
  lifecycleStatus: z.enum(LIFECYCLE_STATUSES).default('Active'),
  validFor: z
    .strictObject({ startDateTime: z.iso.datetime({ offset: true }).optional(), endDateTime: z.iso.datetime({ offset: true }).optional() })
    .optional(),
  productOfferingPrice: offeringPriceSchema,
  /** Channels the offering may be presented on (TMF620 ChannelRef); absent = every channel. */
  channel: z.array(z.strictObject({ id: channelSchema, name: z.string().max(200).optional() })).optional(),
  actionClass: z.enum(ACTION_CLASSES),
  treatments: z.array(treatmentSchema).min(1).max(20),
  /** Rule over the customer (features, churn, clv); see docs/decisioning.md for the grammar. */
  eligibility: z.string().max(2000).default('true'),
  /** Rule that also sees the contact (channel, direction, reason): does the offering fit this moment? */
  applicability: z.string().max(2000).optional(),
  /** Prior share of the customer's churn hazard removed when accepted. */
  retentionEffect: z.number().min(0).max(1).default(0),
  /** Prior acceptance probability (used by PriorAcceptance when no learner is plugged in). */
  acceptancePrior: z.number().min(0).max(1).default(0.1),
  /** Multipliers on the score per channel and per contact reason (missing = 1). */
  contextWeights: z
    .strictObject({ channel: z.partialRecord(channelSchema, weight).optional(), reason: z.record(z.string(), weight).optional() })
    .optional(),
  /** Business lever: a multiplier marketing uses to push or hold back an offering. */
  lever: weight.default(1),
  /** The back-end (sandbox) offer id presenting this offering maps to. */
  sandboxOfferId: z.string().min(1).max(128).optional(),
  /** Plan changes: the monthly price of the top plan; customers already paying that much are not offered it. */
  planChange: z.strictObject({ topMonthlyPrice: z.number().finite().nonnegative() }).optional(),
  /** When the offering was last written (TMF620 lastUpdate; set by the TMF API). */
  lastUpdate: z.iso.datetime({ offset: true }).optional(),
  /** Other TMF620 ProductOffering attributes (isBundle, agreement, attachment, …): kept as written and answered back; next-best-action does not read them. */
  tmfAttributes: z.record(z.string(), z.unknown()).optional(),
});

/** A validated ProductOffering. */
export type ProductOffering = z.infer<typeof productOfferingSchema>;
/**
 * A TMF620 resource kept in the catalogue beside the offerings (a product specification, a price
 * offerings may name, a category, another catalog): an id and a name, every other attribute as
 * written. Next-best-action reads none of them; the TMF620 API checks their references.
 */
export const catalogueEntrySchema = z.looseObject({ id: z.string().min(1).max(128), name: z.string().min(1).max(200) });
/** A catalogue entry as stored. */
export type CatalogueEntry = z.infer<typeof catalogueEntrySchema>;

/** The lists of TMF620 resources a catalogue document keeps beside its offerings. */
export const CATALOGUE_ENTRY_LISTS = ['productSpecification', 'productOfferingPrice', 'category', 'catalog'] as const;
/** One of those lists. */
export type CatalogueEntryList = (typeof CATALOGUE_ENTRY_LISTS)[number];

/** The catalogue document as written (input type: defaults may be omitted). */
export type CatalogueDocument = {
  id?: string;
  name?: string;
  version?: string;
  description?: string;
  productOffering: z.input<typeof productOfferingSchema>[];
} & Partial<Record<CatalogueEntryList, CatalogueEntry[]>>;

/** Most entries of each kind a catalogue keeps (like its offerings: one document, read whole). */
const MAX_ENTRIES = 10_000;

const documentSchema = z.looseObject({
  id: z.string().max(128).optional(),
  name: z.string().max(200).optional(),
  version: z.string().max(32).optional(),
  description: z.string().max(2000).optional(),
  productOffering: z.array(z.unknown()).min(1).max(10_000),
  ...Object.fromEntries(CATALOGUE_ENTRY_LISTS.map((k) => [k, z.array(catalogueEntrySchema).max(MAX_ENTRIES).optional()])),
});

/** An offering ready for the funnel: rules compiled, prices and weights unpacked into numbers. */
export interface CompiledOffer {
  readonly index: number;
  readonly id: string;
  readonly offering: ProductOffering;
  readonly actionClass: ActionClass;
  /** Marketing offers need consent and count against contact caps; service communications do not. */
  readonly marketing: boolean;
  readonly live: boolean;
  readonly validFrom: number;
  readonly validTo: number;
  readonly eligible: CompiledRule;
  /** The eligibility rule's tree: what names the clause a customer fails (`offer-eligibility.ts`). */
  readonly eligibilityAst: RuleNode;
  readonly applicable: CompiledRule | undefined;
  /** Bit i set = allowed on CHANNELS[i]. */
  readonly channelMask: number;
  /** Weight per channel, CHANNELS order. */
  readonly channelWeights: Float64Array;
  /** Weight per contact reason code (see RuleVocabulary.reasonCode). */
  readonly reasonWeights: ReadonlyMap<number, number>;
  readonly discountShare: number;
  readonly margin: number;
  readonly months: number;
  readonly fixedCost: number;
  readonly costOnAcceptance: boolean;
  /** What the customer pays if they accept (price × months, or once). */
  readonly revenue: number;
  readonly retentionEffect: number;
  readonly acceptancePrior: number;
  readonly lever: number;
  readonly topMonthlyPrice: number;
  readonly treatmentWeights: Float64Array;
}

/** What a customer paying `monthlyPrice` a month is given by the offering's discount over its months. */
export function discountGivenFor(offer: CompiledOffer, monthlyPrice: number): number {
  return offer.discountShare * monthlyPrice * offer.months;
}

/** What the operator gives up when a customer paying `monthlyPrice` takes the offering: the discount plus its fixed cost. */
export function offerCostFor(offer: CompiledOffer, monthlyPrice: number): number {
  return offer.fixedCost + discountGivenFor(offer, monthlyPrice);
}

/** The offering's discount in percent (to one decimal), or undefined when it gives none. */
export function discountPctOf(offer: CompiledOffer): number | undefined {
  return offer.discountShare > 0 ? Math.round(offer.discountShare * 1000) / 10 : undefined;
}

/** A validated, compiled catalogue. */
export interface OfferCatalogue {
  readonly id: string;
  readonly name: string;
  readonly offers: readonly CompiledOffer[];
  readonly byId: ReadonlyMap<string, CompiledOffer>;
  /**
   * A back end's offer id → the one offering it fulfils (its `sandboxOfferId`, else its own id): a
   * back end names its own offer in the answers it sends. An id two offerings share is absent (the
   * answer's request says which: `DecisionService` maps those).
   */
  readonly byBackendOffer: ReadonlyMap<string, string>;
  /** The names and reason codes the catalogue's rules were compiled against. */
  readonly vocabulary: RuleVocabulary;
}

/** Where the catalogue's offerings are listed, for a request that names one it has not. */
export const CATALOGUE_ROUTE = 'GET /productOffering';

/**
 * A request names only offerings the catalogue has (`known`; absent: not checked): BAD_INPUT naming
 * the field, the offer and where the catalogue is listed. One place for an action's offer and a
 * flow's start (a campaign's variants, a churn prevention run's offers): a run started on an offer
 * that is not there would offer nothing, or fail at its first contact.
 */
export function requireOffering(known: ((offerId: string) => boolean) | undefined, offerId: string, field: string, what?: string): void {
  if (known && !known(offerId)) throw new TwinloopError('BAD_INPUT', `${field}: no offering "${offerId}" in the catalogue${what ? ` (${what})` : ''}; ${CATALOGUE_ROUTE} lists them`);
}

/** One problem in a catalogue document: the offering (when known), the path, what is wrong. */
export interface CatalogueProblem {
  readonly offerId?: string;
  readonly path: string;
  readonly message: string;
}

/** Outcome of validating a catalogue document. */
export type CatalogueResult =
  | { readonly ok: true; readonly catalogue: OfferCatalogue }
  | { readonly ok: false; readonly problems: readonly CatalogueProblem[] };

const pathText = (base: string, path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : `${acc}.${String(k)}`), base);

function compileOffer(o: ProductOffering, index: number, vocab: RuleVocabulary, problems: CatalogueProblem[], base: string): CompiledOffer | undefined {
  const before = problems.length;
  const compiled = (text: string, field: string): { rule: CompiledRule; ast: RuleNode } => {
    const r = compileRule(text, vocab);
    if (r.ok) return r;
    problems.push({ offerId: o.id, path: `${base}.${field}`, message: `${field} rule: ${r.message}` });
    return { rule: () => false, ast: { type: 'bool', value: false, pos: 0 } };
  };
  const { rule: eligible, ast: eligibilityAst } = compiled(o.eligibility, 'eligibility');
  const applicable = o.applicability === undefined ? undefined : compiled(o.applicability, 'applicability').rule;
  const p = o.productOfferingPrice;
  if (p.priceType === 'discount' && p.percentage === undefined) {
    problems.push({ offerId: o.id, path: `${base}.productOfferingPrice.percentage`, message: 'a discount needs `percentage` (percent of the monthly price given away)' });
  }
  const from = o.validFor?.startDateTime ? Date.parse(o.validFor.startDateTime) : -Infinity;
  const to = o.validFor?.endDateTime ? Date.parse(o.validFor.endDateTime) : Infinity;
  if (from > to) problems.push({ offerId: o.id, path: `${base}.validFor`, message: 'validFor.startDateTime is after endDateTime' });
  if (problems.length > before) return undefined;

  let channelMask = o.channel ? 0 : (1 << CHANNELS.length) - 1;
  for (const c of o.channel ?? []) channelMask |= 1 << CHANNELS.indexOf(c.id);
  const channelWeights = new Float64Array(CHANNELS.length).fill(1);
  for (const [ch, w] of Object.entries(o.contextWeights?.channel ?? {})) channelWeights[CHANNELS.indexOf(ch as Channel)] = w as number;
  const reasonWeights = new Map<number, number>();
  for (const [r, w] of Object.entries(o.contextWeights?.reason ?? {})) reasonWeights.set(vocab.codeOf('reason', r, 0), w);
  const months = p.recurringChargePeriodLength;
  return {
    index,
    id: o.id,
    offering: o,
    actionClass: o.actionClass,
    marketing: o.actionClass !== 'communication',
    live: LIVE_STATUSES.has(o.lifecycleStatus),
    validFrom: from,
    validTo: to,
    eligible,
    eligibilityAst,
    applicable,
    channelMask,
    channelWeights,
    reasonWeights,
    discountShare: p.priceType === 'discount' ? (p.percentage ?? 0) / 100 : 0,
    margin: p.margin,
    months,
    fixedCost: p.cost.value,
    costOnAcceptance: p.costPaidOn === 'acceptance',
    revenue: p.priceType === 'recurring' ? p.price.value * months : p.priceType === 'oneTime' ? p.price.value : 0,
    retentionEffect: o.retentionEffect,
    acceptancePrior: o.acceptancePrior,
    lever: o.lever,
    topMonthlyPrice: o.planChange?.topMonthlyPrice ?? Infinity,
    treatmentWeights: Float64Array.from(o.treatments.map((t) => t.weight ?? 1)),
  };
}

/**
 * Validates and compiles a catalogue document. Every bad offering is reported with its id and
 * the path of the bad field (e.g. `productOffering[2].eligibility`); nothing is thrown.
 */
export function parseCatalogue(doc: unknown): CatalogueResult {
  const top = documentSchema.safeParse(doc);
  if (!top.success) {
    return { ok: false, problems: top.error.issues.map((i) => ({ path: pathText('catalogue', i.path), message: i.message })) };
  }
  const vocab = new RuleVocabulary();
  const problems: CatalogueProblem[] = [];
  const offers: CompiledOffer[] = [];
  const seen = new Map<string, number>();
  top.data.productOffering.forEach((raw, i) => {
    const base = `productOffering[${i}]`;
    const rawId = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    const parsed = productOfferingSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ offerId: rawId, path: pathText(base, issue.path), message: issue.message });
      return;
    }
    const o = parsed.data;
    const prior = seen.get(o.id);
    if (prior !== undefined) {
      problems.push({ offerId: o.id, path: `${base}.id`, message: `duplicate offering id '${o.id}' (also productOffering[${prior}]): ids must be unique` });
      return;
    }
    seen.set(o.id, i);
    const compiled = compileOffer(o, offers.length, vocab, problems, base);
    if (compiled) offers.push(compiled);
  });
  for (const list of CATALOGUE_ENTRY_LISTS) {
    const ids = new Set<string>();
    (top.data[list] as CatalogueEntry[] | undefined)?.forEach((e, i) => {
      if (ids.has(e.id)) problems.push({ path: `${list}[${i}].id`, message: `duplicate ${list} id '${e.id}': ids must be unique` });
      ids.add(e.id);
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    catalogue: {
      id: top.data.id ?? 'catalogue',
      name: top.data.name ?? top.data.id ?? 'catalogue',
      offers,
      byId: new Map(offers.map((o) => [o.id, o])),
      byBackendOffer: backendOfferIndex(offers),
      vocabulary: vocab,
    },
  };
}

/** Back end offer id → the offering it fulfils, for the ids exactly one offering is fulfilled by. */
function backendOfferIndex(offers: readonly CompiledOffer[]): Map<string, string> {
  const index = new Map<string, string | null>();
  for (const o of offers) {
    const backend = o.offering.sandboxOfferId ?? o.id;
    index.set(backend, index.has(backend) ? null : o.id);
  }
  return new Map([...index].filter((e): e is [string, string] => e[1] !== null));
}

/** Like parseCatalogue, but throws BAD_INPUT listing every problem (for start-up and CLI). */
export function loadCatalogue(doc: unknown): OfferCatalogue {
  const r = parseCatalogue(doc);
  if (r.ok) return r.catalogue;
  const lines = r.problems.map((p) => `- ${p.path}${p.offerId ? ` (offering '${p.offerId}')` : ''}: ${p.message}`);
  throw new TwinloopError('BAD_INPUT', `the offer catalogue has ${r.problems.length} problem(s); fix them and load it again:\n${lines.join('\n')}`, {
    context: { problems: r.problems },
  });
}
