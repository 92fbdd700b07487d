import { createHash } from 'node:crypto';
import {
  CHANNEL_LIST,
  COMPARISON,
  CURRENCY,
  FIELD,
  FILLER_WORDS,
  NUM,
  NUMBER_WORD,
  channelsOf,
  countValue,
  currencyCode,
  fieldOf,
  numberValue,
  opOf,
} from './intent-phrases.js';
import type { PolicyMode } from '../../decisioning/policy/index.js';
import { formatFilter, type FeatureFilter } from '../../twin/feature-filter.js';
import {
  INTENT_CHANNELS,
  intentSchema,
  type Budget,
  type Horizon,
  type Intent,
  type IntentChannel,
  type IntentExpectation,
  type IntentGoal,
  type NamedSegment,
  type TargetCondition,
  type TargetMetric,
} from './intent-schema.js';

/**
 * The deterministic natural-language intent parser: a fixed, documented set of phrasings (see
 * docs/intents.md) matched by regular expressions, case-insensitively and tolerant of
 * punctuation. Each matched phrase is removed from the text and explained in `interpretation`;
 * any word left that is not filler makes the parse fail with that word named, so nothing is
 * guessed. Defaults (horizon, mode, target) are applied only where the text is silent, and each
 * is said in the interpretation.
 */

/** The parse result: an intent with how each phrase was read, or why the text was refused. */
export type IntentTextParse =
  | { ok: true; intent: Intent; interpretation: string[] }
  | { ok: false; reason: string; suggestions: string[] };

/** Options of parseIntentText. */
export interface ParseIntentOptions {
  /** Intent id; default: `intent-` and a hash of the text, so the same text gives the same id. */
  readonly id?: string;
  /** Creation time (ms since epoch); default now. */
  readonly now?: number;
  /** Currency of a budget written without one; default EUR. */
  readonly defaultCurrency?: string;
}

/** Example phrasings offered when a text cannot be read. */
export const EXAMPLE_INTENTS: readonly string[] = [
  'keep high-value prepaid customers at risk this month, budget 50000',
  'reduce churn of postpaid customers by 20% in the next 3 months, budget €50k, by sms/app/email only',
  'win back 200 former customers by end of quarter, up to 10,000, with approval',
  'inform customers in cell C-17 about the outage in 2 weeks by sms only, autonomously',
];

interface Found {
  goals: Map<IntentGoal, string>;
  churnReduction: boolean;
  expectations: Omit<IntentExpectation, 'id'>[];
  named: Set<NamedSegment>;
  filters: FeatureFilter[];
  cells: string[];
  horizons: { horizon: Horizon; text: string }[];
  budgets: Budget[];
  allowed?: Set<IntentChannel>;
  excluded: Set<IntentChannel>;
  maxContacts?: number;
  maxDiscount?: number;
  excludedOffers: string[];
  modes: Set<PolicyMode>;
  notes: string[];
}

/** Applies a matched phrase; returns false to decline it, leaving its words to be reported. */
type Apply = (m: RegExpExecArray, f: Found, currency: string) => boolean | void;

const target = (f: Found, targetName: TargetMetric, targetCondition: TargetCondition, targetValue: number, text: string) => {
  f.expectations.push({ targetName, targetCondition, targetValue });
  f.notes.push(`target: ${targetName} ${targetCondition} ${targetValue} (from "${text}")`);
};
const goal = (f: Found, g: IntentGoal, text: string) => {
  if (!f.goals.has(g)) f.goals.set(g, text);
};
const horizon = (f: Found, h: Horizon, text: string) => f.horizons.push({ horizon: h, text });
const budget = (f: Found, amount: number, code: string | undefined, fallback: string, text: string) => {
  const currency = code ?? fallback;
  f.budgets.push({ amount, currency });
  f.notes.push(`budget: ${amount} ${currency}${code ? '' : ' (currency assumed)'} (from "${text}")`);
};
const named = (seg: NamedSegment): Apply => (m, f) => {
  f.named.add(seg);
  f.notes.push(`segment: ${seg} (from "${m[0].trim()}")`);
};
const mode = (md: PolicyMode): Apply => (m, f) => {
  f.modes.add(md);
  f.notes.push(`policy mode: ${md} (from "${m[0].trim()}")`);
};
const verb = (g: IntentGoal, churnReduction = false): Apply => (m, f) => {
  goal(f, g, m[0].trim());
  if (churnReduction) f.churnReduction = true;
};
const months = (n: number, unit: string): Horizon =>
  /week/i.test(unit) ? { amount: n * 7, unit: 'days' } : /day/i.test(unit) ? { amount: n, unit: 'days' } : { amount: n, unit: 'months' };

const COUNT = `(\\d+|${NUMBER_WORD})`;
const NOT_A_COUNT = String.raw`(?!\s*(?:%|percent|contacts?|messages?|touches?|days?|weeks?|months?|times?))`;
const NOT_A_BUDGET = String.raw`(?!\s*(?:%|percent|contacts?|messages?|touches?|customers?|subscribers?|days?|weeks?|months?|times?))`;

/** The phrase table, applied in order: earlier phrases claim their words before later ones look. */
/** Words that begin another phrase (a mode, a budget, a horizon, a channel, a limit): never an offer id in a list. */
const NOT_AN_OFFER = String.raw`(?:autonomously|automatically|hands|fully|on|with|ask|needs?|requires?|subject|after|just|advise|advice|only|recommend|suggest|dry|budget|spend|spending|up|at|max|maximum|no|not|without|by|via|in|within|over|this|next|end|for|to|contact|discounts?|exclude|excluding|except)`;
const PHRASES: readonly (readonly [RegExp, Apply])[] = [
  // Targets, which carry their verb.
  [new RegExp(String.raw`\b(?:reduce|cut|lower|decrease)\s+churn(?:\s+rate)?\s+by\s+${NUM}\s*(?:%|percent|pct)`, 'i'), (m, f) => {
    goal(f, 'retain', m[0].trim());
    target(f, 'churn_rate', 'decreaseBy', numberValue(m[1], m[2]), m[0].trim());
  }],
  [new RegExp(String.raw`\b(keep|retain|save)\s+(?:at\s+least\s+)?${NUM}${NOT_A_COUNT}`, 'i'), (m, f) => {
    goal(f, 'retain', m[1]);
    target(f, 'retained_customers', 'atLeast', numberValue(m[2], m[3]), m[0].trim());
  }],
  [new RegExp(String.raw`\bwin[-\s]+back\s+(?:at\s+least\s+)?${NUM}${NOT_A_COUNT}`, 'i'), (m, f) => {
    goal(f, 'win-back', 'win back');
    target(f, 'retained_customers', 'atLeast', numberValue(m[1], m[2]), m[0].trim());
  }],
  [new RegExp(String.raw`\b(?:upsell|up-sell|upgrade)\s+(?:at\s+least\s+)?${NUM}${NOT_A_COUNT}`, 'i'), (m, f) => {
    goal(f, 'upsell', 'upsell');
    target(f, 'accepted_offers', 'atLeast', numberValue(m[1], m[2]), m[0].trim());
  }],
  [new RegExp(String.raw`\bchurn(?:\s+rate)?\s+(?:of\s+)?(?:below|under|at\s+most|<=?|no\s+more\s+than)\s+${NUM}\s*(?:%|percent)`, 'i'), (m, f) =>
    target(f, 'churn_rate', 'atMost', numberValue(m[1], m[2]), m[0].trim())],
  [new RegExp(String.raw`\bnet\s+value\s+(?:of\s+)?(?:at\s+least|above|over|>=?|of)\s+${CURRENCY}?\s*${NUM}\s*${CURRENCY}?`, 'i'), (m, f) =>
    target(f, 'net_value', 'atLeast', numberValue(m[1], m[2]), m[0].trim())],
  [/\b(?:positive\s+net\s+value|break\s*-?\s*even|pays?\s+for\s+itself)\b/i, (m, f) => target(f, 'net_value', 'atLeast', 0, m[0].trim())],
  [new RegExp(String.raw`\bacceptance(?:\s+rate)?\s+(?:of\s+)?(?:at\s+least|above|over)\s+${NUM}\s*(?:%|percent)`, 'i'), (m, f) =>
    target(f, 'acceptance_rate', 'atLeast', numberValue(m[1], m[2]), m[0].trim())],
  // Contact limits and discount caps, before budgets so that "up to 2 contacts" is not money.
  [new RegExp(String.raw`\b(?:at\s+most|max(?:imum)?|no\s+more\s+than|up\s+to)\s+${COUNT}\s+(?:contacts?|messages?|touches?)(?:\s+(?:per|each)\s+customer)?`, 'i'), (m, f) => {
    f.maxContacts = countValue(m[1]);
    f.notes.push(`at most ${f.maxContacts} contact(s) per customer (from "${m[0].trim()}")`);
  }],
  [new RegExp(String.raw`\bcontact\s+(?:each\s+customer\s+|customers\s+|them\s+)?(?:at\s+most\s+)?(once|twice|${COUNT}\s+times)`, 'i'), (m, f) => {
    f.maxContacts = m[1].toLowerCase() === 'once' ? 1 : m[1].toLowerCase() === 'twice' ? 2 : countValue(m[2]);
    f.notes.push(`at most ${f.maxContacts} contact(s) per customer (from "${m[0].trim()}")`);
  }],
  [new RegExp(String.raw`\b(?:max(?:imum)?\s+discount(?:\s+of)?|discounts?\s+(?:of\s+)?(?:up\s+to|at\s+most|below|under|capped\s+at)|no\s+discounts?\s+(?:above|over|beyond))\s+${NUM}\s*(?:%|percent)`, 'i'), (m, f) => {
    f.maxDiscount = numberValue(m[1], m[2]);
    f.notes.push(`discounts capped at ${f.maxDiscount}% (from "${m[0].trim()}")`);
  }],
  [/\bno\s+discounts?\b/i, (m, f) => {
    f.maxDiscount = 0;
    f.notes.push(`no discounts (from "${m[0].trim()}")`);
  }],
  // A list of offers goes on past a comma, "and" or "or" only to a word no other phrase begins with:
  // "exclude offer retain-25, autonomously" excluded an offer "autonomously" and ran in approve mode.
  [new RegExp(String.raw`\b(?:exclude|excluding|except|without|not|no)\s+(?:the\s+)?offers?\s+([a-z0-9][\w-]*(?:\s*(?:,|\band\b|\bor\b)\s*(?!${NOT_AN_OFFER}\b)[a-z0-9][\w-]*)*)`, 'i'), (m, f) => {
    const ids = m[1].split(/\s*(?:,|\band\b|\bor\b)\s*/i).filter(Boolean);
    f.excludedOffers.push(...ids);
    f.notes.push(`excluded offers: ${ids.join(', ')} (from "${m[0].trim()}")`);
  }],
  // Budgets.
  [new RegExp(String.raw`\bbudget(?:\s+(?:of|is))?\s*[:=]?\s*(${CURRENCY})?\s*${NUM}\s*(${CURRENCY})?`, 'i'), (m, f, c) =>
    budget(f, numberValue(m[2], m[3]), currencyCode(m[1] ?? m[4]), c, m[0].trim())],
  [new RegExp(String.raw`\b(?:spend(?:ing)?\s+)?(?:up\s+to|at\s+most|max(?:imum)?\s+spend(?:\s+of)?|no\s+more\s+than)\s+(${CURRENCY})?\s*${NUM}${NOT_A_BUDGET}\s*(${CURRENCY})?`, 'i'), (m, f, c) =>
    budget(f, numberValue(m[2], m[3]), currencyCode(m[1] ?? m[4]), c, m[0].trim())],
  [new RegExp(String.raw`(${CURRENCY})\s*${NUM}`, 'i'), (m, f, c) => budget(f, numberValue(m[2], m[3]), currencyCode(m[1]), c, m[0].trim())],
  [new RegExp(String.raw`\b${NUM}\s*(${CURRENCY})`, 'i'), (m, f, c) => budget(f, numberValue(m[1], m[2]), currencyCode(m[3]), c, m[0].trim())],
  // Horizons.
  [/\b(?:(?:by|until|before)\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter\b|\bthis\s+quarter\b/i, (m, f) =>
    horizon(f, { amount: 1, unit: 'months', alignTo: 'quarter_end' }, m[0].trim())],
  [/\b(?:(?:by|until|before)\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month\b|\bthis\s+month\b/i, (m, f) =>
    horizon(f, { amount: 1, unit: 'months', alignTo: 'month_end' }, m[0].trim())],
  [/\b(?:in\s+|within\s+|over\s+|during\s+)?(?:the\s+)?next\s+(month|week)\b|\bthis\s+week\b/i, (m, f) =>
    horizon(f, /week/i.test(m[0]) ? { amount: 7, unit: 'days' } : { amount: 1, unit: 'months' }, m[0].trim())],
  [new RegExp(String.raw`\b(?:(?:in|within|over|for|during)\s+)?(?:the\s+)?(?:next\s+)?${COUNT}\s+(days?|weeks?|months?)\b`, 'i'), (m, f) =>
    horizon(f, months(countValue(m[1]), m[2]), m[0].trim())],
  // Segment filters, before the named segments so that "churn risk above 0.7" is a filter.
  [new RegExp(String.raw`\b(${FIELD})\s*(${COMPARISON})\s*(-?\d+(?:\.\d+)?)`, 'i'), (m, f) => {
    const field = fieldOf(m[1]);
    if (!field) return false;
    const filter: FeatureFilter = { field, op: opOf(m[2]), value: Number(m[3]) };
    f.filters.push(filter);
    f.notes.push(`segment filter: ${formatFilter(filter)} (from "${m[0].trim()}")`);
  }],
  // Channels.
  [new RegExp(String.raw`\b(?:no|without|not\s+by|not\s+via|avoid|never\s+by)\s+(${CHANNEL_LIST})`, 'i'), (m, f) => {
    for (const ch of channelsOf(m[1])) f.excluded.add(ch);
    f.notes.push(`channels excluded: ${channelsOf(m[1]).join(', ')} (from "${m[0].trim()}")`);
  }],
  [new RegExp(String.raw`\b(?:only\s+)?(?:by|via|through|over|on|using)\s+(${CHANNEL_LIST})(?:\s+only)?\b`, 'i'), (m, f) => {
    f.allowed ??= new Set();
    for (const ch of channelsOf(m[1])) f.allowed.add(ch);
    f.notes.push(`channels allowed: ${channelsOf(m[1]).join(', ')} (from "${m[0].trim()}")`);
  }],
  // Policy modes.
  [/\b(?:with\s+(?:my\s+|human\s+|manager\s+)?approval|(?:needs?|requires?|ask\s+for|after|subject\s+to)\s+approval|ask\s+(?:me\s+)?first)\b/i, mode('approve')],
  [/\b(?:autonomously|automatically|on\s+autopilot|without\s+(?:asking|approval)|fully\s+automated|hands[-\s]off)\b/i, mode('autonomous')],
  [/\b(?:just\s+advise|advise\s+only|only\s+advise|advice\s+only|(?:just\s+|only\s+)?(?:suggest|recommend)(?:\s+only)?|dry[-\s]run)\b/i, mode('advise')],
  // Named segments.
  [/\b(?:high[-\s]?value|valuable|top[-\s]value|vip)\b/i, named('high-value')],
  [/\bpre[-\s]?paid\b/i, named('prepaid')],
  [/\bpost[-\s]?paid\b/i, named('postpaid')],
  [/\b(?:business|enterprise|b2b|sme|smb)\b/i, named('business')],
  [/\b(?:consumer|residential|b2c)\b/i, named('consumer')],
  [/\b(?:at[-\s]+(?:churn[-\s]+)?risk(?:\s+of\s+(?:churn(?:ing)?|leaving))?|likely\s+to\s+(?:churn|leave)|churn[-\s]risk|risky)\b/i, named('at-risk')],
  [/\bnew(?:ly\s+joined)?\s+(?:customers?|subscribers?|users?|joiners)\b/i, named('new-customers')],
  [/\b(?:former|lapsed|lost|churned)(?:\s+(?:customers?|subscribers?|users?))?\b/i, named('churned')],
  [/\b(?:in|on|under)?\s*cells?\s+([a-z0-9][\w-]*(?:\s*(?:,|\band\b|\bor\b)\s*[a-z0-9][\w-]*)*)/i, (m, f) => {
    const ids = m[1].split(/\s*(?:,|\band\b|\bor\b)\s*/i).filter(Boolean);
    f.cells.push(...ids);
    f.notes.push(`segment: customers in cell ${ids.join(', ')} (from "${m[0].trim()}")`);
  }],
  // Goal verbs without a number.
  [/\b(?:reduce|cut|lower|prevent|stop)\s+churn(?:\s+rate)?\b/i, verb('retain', true)],
  [/\b(?:keep|retain|save|hold\s+on\s+to|protect)\b/i, verb('retain')],
  [/\b(?:win[-\s]+back|re-?acquire|bring\s+back)\b/i, verb('win-back')],
  [/\b(?:upsell|up-sell|grow|upgrade|cross-?sell)\b/i, verb('upsell')],
  [/\b(?:inform|notify|tell|warn|proactively\s+contact)\b/i, verb('inform')],
  // A relative target after "reduce churn of <segment>": "... by 20%".
  [new RegExp(String.raw`\bby\s+${NUM}\s*(?:%|percent|pct)`, 'i'), (m, f) => {
    if (!f.churnReduction) return false;
    target(f, 'churn_rate', 'decreaseBy', numberValue(m[1], m[2]), `reduce churn ${m[0].trim()}`);
  }],
];

/** Phrases that are recognised as topic words of an inform intent ("about the outage"). */
const TOPIC = /\babout\s+(?:the\s+)?(?:outage|incident|network\s+issue|maintenance|disruption|service\s+issue)s?\b/i;

/**
 * Reads an operator's sentence into an intent (status `proposed`), or says which words it could
 * not read and how to phrase them. Deterministic: the same text and options give the same intent.
 */
export function parseIntentText(text: string, options: ParseIntentOptions = {}): IntentTextParse {
  const original = text.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim();
  if (!original) return { ok: false, reason: 'the intent text is empty', suggestions: [...EXAMPLE_INTENTS] };
  const currency = options.defaultCurrency ?? 'EUR';
  const f: Found = {
    goals: new Map(), churnReduction: false, expectations: [], named: new Set(), filters: [], cells: [], horizons: [],
    budgets: [], excluded: new Set(), excludedOffers: [], modes: new Set(), notes: [],
  };
  let rest = ` ${original} `;
  let topic: string | undefined;
  const topicMatch = TOPIC.exec(rest);
  if (topicMatch) {
    topic = topicMatch[0].trim();
    rest = blank(rest, topicMatch);
  }
  for (const [pattern, apply] of PHRASES) {
    const re = new RegExp(pattern.source, 'gi');
    for (let m = re.exec(rest); m; m = re.exec(rest)) {
      // A phrase that declines (e.g. "by 20%" with no churn verb) leaves its words to be reported.
      if (apply(m, f, currency) !== false) rest = blank(rest, m);
    }
  }
  const leftover = rest
    .toLowerCase()
    .split(/[^a-z0-9%€$£_-]+/)
    .map((w) => w.replace(/^-+|-+$/g, ''))
    .filter((w) => w && !FILLER_WORDS.has(w));
  const problem = problemOf(f, leftover);
  if (problem) return problem;
  return { ok: true, ...assemble(original, f, topic, options) };
}

function blank(s: string, m: RegExpExecArray): string {
  return s.slice(0, m.index) + ' '.repeat(m[0].length) + s.slice(m.index + m[0].length);
}

function problemOf(f: Found, leftover: string[]): IntentTextParse | undefined {
  if (leftover.length) {
    return {
      ok: false,
      reason: `did not understand: ${leftover.map((w) => `"${w}"`).join(', ')}`,
      suggestions: [
        'remove or rephrase the words named; see docs/intents.md for the phrasings understood',
        'goals: keep / retain / reduce churn of / win back / grow / upsell / inform',
        'targets: "reduce churn by 20%", "keep 500 customers", "churn below 2%", "net value of at least 10000"',
        ...EXAMPLE_INTENTS.slice(0, 2),
      ],
    };
  }
  if (f.goals.size === 0) {
    return { ok: false, reason: 'no goal found: say what to do', suggestions: ['start with keep, retain, reduce churn of, win back, grow, upsell or inform', ...EXAMPLE_INTENTS] };
  }
  const conflicts: string[] = [];
  if (f.goals.size > 1) conflicts.push(`several goals (${[...f.goals.keys()].join(', ')}); state one intent at a time`);
  if (f.budgets.length > 1) conflicts.push(`several budgets (${f.budgets.map((b) => `${b.amount} ${b.currency}`).join(', ')}); give one`);
  if (new Set(f.horizons.map((h) => JSON.stringify(h.horizon))).size > 1) conflicts.push(`several horizons (${f.horizons.map((h) => `"${h.text}"`).join(', ')}); give one`);
  if (f.modes.size > 1) conflicts.push(`several policy modes (${[...f.modes].join(', ')}); give one`);
  if (f.named.has('prepaid') && f.named.has('postpaid')) conflicts.push('both prepaid and postpaid: a customer is one or the other; state two intents');
  if (f.named.has('business') && f.named.has('consumer')) conflicts.push('both business and consumer: state two intents');
  const channels = channelSet(f);
  if (channels.length === 0) conflicts.push('every channel is excluded; allow at least one channel');
  if (conflicts.length) return { ok: false, reason: `contradictory intent: ${conflicts.join('; ')}`, suggestions: ['remove one of the conflicting phrases'] };
  return undefined;
}

function channelSet(f: Found): IntentChannel[] {
  const base = f.allowed ? [...f.allowed] : [...INTENT_CHANNELS];
  return INTENT_CHANNELS.filter((ch) => base.includes(ch) && !f.excluded.has(ch));
}

const GOAL_LABEL: Record<IntentGoal, string> = { retain: 'Retain', 'win-back': 'Win back', upsell: 'Upsell', inform: 'Inform' };

function assemble(text: string, f: Found, topic: string | undefined, options: ParseIntentOptions): { intent: Intent; interpretation: string[] } {
  const [goalName, verbText] = [...f.goals.entries()][0];
  const interpretation = [`goal: ${goalName} (from "${verbText}")`, ...f.notes];
  if (topic) interpretation.push(`topic: ${topic}`);
  const expectations = f.expectations.length ? f.expectations : [defaultExpectation(goalName)];
  if (!f.expectations.length) interpretation.push(`no numeric target given: ${expectations[0].targetName} ${expectations[0].targetCondition} ${expectations[0].targetValue} (default for ${goalName})`);
  const h: Horizon = f.horizons.length ? f.horizons[0].horizon : { amount: 1, unit: 'months' };
  interpretation.push(f.horizons.length ? `horizon: ${describeHorizon(h)} (from "${f.horizons[0].text}")` : 'no horizon given: 1 month (default)');
  if (!f.budgets.length) interpretation.push('no budget given: plans are not capped by spend, only by the targets and constraints');
  const policyMode: PolicyMode = f.modes.size ? [...f.modes][0] : 'approve';
  if (!f.modes.size) interpretation.push('no policy mode given: approve (default; a human approves the plan before it runs)');
  if (f.named.size === 0 && f.filters.length === 0 && f.cells.length === 0) interpretation.push('segment: all customers');
  const now = options.now ?? Date.now();
  const iso = new Date(now).toISOString();
  const segmentWords = [...f.named, ...f.filters.map((x) => `${x.field}${x.op}${x.value}`), ...f.cells.map((c) => `cell ${c}`)];
  const intent = intentSchema.parse({
    id: options.id ?? `intent-${createHash('sha256').update(text.toLowerCase()).digest('hex').slice(0, 12)}`,
    name: `${GOAL_LABEL[goalName]} ${segmentWords.length ? segmentWords.join(' ') : 'all'} customers, ${describeHorizon(h)}`,
    description: text,
    goal: goalName,
    intentExpectation: expectations.map((e, i) => ({ id: `exp-${i + 1}`, ...e })),
    segment: { named: [...f.named], filters: f.filters, cells: f.cells },
    horizon: h,
    budget: f.budgets[0],
    constraints: {
      maxContactsPerCustomer: f.maxContacts ?? 1,
      channels: channelSet(f),
      excludedOffers: f.excludedOffers,
      maxDiscountPct: f.maxDiscount ?? 100,
    },
    policyMode,
    lifecycleStatus: 'proposed',
    creationDate: iso,
    lastUpdate: iso,
    source: { kind: 'text', text },
  });
  return { intent, interpretation };
}

/** The expectation an intent gets when the text names no number: the plan must at least pay for itself. */
function defaultExpectation(g: IntentGoal): Omit<IntentExpectation, 'id'> {
  // An information campaign is a cost by design; it is judged on customers kept, not on net value.
  if (g === 'inform') return { targetName: 'retained_customers', targetCondition: 'atLeast', targetValue: 0 };
  return { targetName: 'net_value', targetCondition: 'atLeast', targetValue: 0 };
}

/** A horizon in words ("1 month, to the end of the quarter"). */
export function describeHorizon(h: Horizon): string {
  const base = `${h.amount} ${h.unit === 'days' ? (h.amount === 1 ? 'day' : 'days') : h.amount === 1 ? 'month' : 'months'}`;
  if (h.alignTo === 'month_end') return h.amount === 1 ? 'to the end of this month' : `${base}, to the month end`;
  if (h.alignTo === 'quarter_end') return 'to the end of this quarter';
  return base;
}
