import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import { RESPONSE_CLASSES } from '../../intelligence/profile/response-model.js';
import { FEATURE_NAMES } from '../../twin/twin-features.js';
import { PAYMENT_METHODS } from '../../twin/twin-reducer.js';
import { OFFER_KINDS } from '../../twin/twin-responses.js';
import { isoTime, jsonObject, list } from './api-schemas.js';

/** The answers of the twin routes, as `twin/twin-view.ts`, `twin/twin-history.ts` and `intelligence/live/live-scoring.ts` shape them. */

/** Every feature by name; a feature without a value (e.g. a trend with no usage yet) is null. */
const features = z.object(Object.fromEntries(FEATURE_NAMES.map((n) => [n, z.number().nullable()])));

const product = z.object({
  subscriptionId: z.string(),
  productId: z.string().nullable(),
  kind: z.enum(['plan', 'addon']),
  status: z.enum(['active', 'suspended', 'terminated']),
  monthlyPrice: z.number(),
  dataAllowanceMb: z.number(),
  voiceAllowanceMin: z.number(),
  activatedAt: isoTime.nullable(),
  statusSince: z.string(),
});

const reason = z.object({ feature: z.string(), value: z.number().nullable(), contribution: z.number(), text: z.string() });

const churnScore = z.union([
  z.object({
    probability: z.number(),
    interval: z.tuple([z.number(), z.number()]).describe('Plausible range of the probability'),
    horizonDays: z.number().int(),
    logOdds: z.number(),
    baseline: z.number().describe("The model's log-odds for the average training row: baseline + Σ contributions = logOdds"),
    units: z.enum(['calibrated log-odds', 'model log-odds']),
    reasons: list(reason),
  }),
  z.object({ probability: z.null(), note: z.string().describe('Why there is no churn figure (churned, no plan yet)'), reasons: list(reason) }),
]);

/** The `scores` block of a current twin read: every score with its reasons (docs/models.md). */
export const twinScores = z.object({
  churn: churnScore,
  clv: z.object({ value: z.number(), low: z.number(), high: z.number(), monthlyRevenue: z.number(), monthlyTrend: z.number(), monthlyHazard: z.number(), reasons: list(z.string()) }),
  usageTrend: z.object({ value: z.number().nullable(), direction: z.enum(['rising', 'falling', 'stable']), voiceTrend: z.number().nullable(), dataMb30d: z.number(), monthsOverAllowance3m: z.number(), reason: z.string() }),
  complaints: z.object({ complaints90d: z.number(), openTickets: z.number(), tickets30d: z.number(), daysSinceLast: z.number().nullable(), level: z.string(), reason: z.string() }),
  payments: z.object({ late90d: z.number(), daysLate90d: z.number(), failed90d: z.number(), lateTotal: z.number(), failedTotal: z.number(), status: z.string(), reason: z.string() }),
  offerPropensity: z.object({ value: z.number(), accepted90d: z.number(), presented90d: z.number(), declined90d: z.number(), prior: z.number(), reason: z.string() }),
  model: z.object({ id: z.string(), version: z.number().int(), learner: z.string(), horizonDays: z.number().int() }),
});

const answers = z.object({ presented: z.number().int(), accepted: z.number().int(), declined: z.number().int(), ignored: z.number().int() });
/** How the customer has answered contact so far (`twin/twin-responses.ts`). */
const contacts = z.object({
  byKind: z.object(Object.fromEntries(OFFER_KINDS.map((k) => [k, answers]))),
  presented: z.number().int(),
  accepted: z.number().int(),
  declined: z.number().int(),
  ignored: z.number().int(),
  lastContactAt: z.number().describe('ms since the epoch, 0 = never'),
  lastAcceptedAt: z.number().describe('ms since the epoch, 0 = never'),
  leftAt: z.number().describe('When the last plan ended (ms), 0 = still a customer'),
});
const interval = z.object({ mean: z.number(), low: z.number(), high: z.number() });
/** The response profile of a current read (`intelligence/profile/`): the classes the customer plausibly is, and the acceptance they imply. */
const responseProfile = z.object({
  classes: z.object(Object.fromEntries(RESPONSE_CLASSES.map((c) => [c, z.number()]))),
  contacts: z.number().int(),
  acceptance: z.object(Object.fromEntries(OFFER_KINDS.map((k) => [k, interval]))).describe('Expected acceptance per offer kind, with its range: the 90 % intervals of the rates of the classes the customer plausibly is (each ≥ 5 %), so the prior\'s spread when nothing is known yet'),
  ignore: z.object(Object.fromEntries(OFFER_KINDS.map((k) => [k, interval]))).describe('Expected share of the offers not accepted that the customer leaves unanswered rather than declines, per kind, the same way'),
  model: z.object({ customers: z.number().int(), fittedAt: isoTime }),
});

/** A twin now or as of a past time; a current read also carries `scores` (null until a churn model serves) and its `responseProfile`. */
export const twinAnswer = z.object({
  customerId: z.string(),
  asOf: isoTime.describe('The time the features are evaluated at'),
  profile: z
    .object({
      segment: z.enum(['consumer', 'business']),
      billing: z.enum(['prepaid', 'postpaid']),
      contractMonths: z.number(),
      contractEnd: z.iso.date().nullable().describe('The day the contract in force ends; null when none is known (month-to-month, prepaid, or not sent)'),
      paymentMethod: z.enum(PAYMENT_METHODS),
      since: isoTime,
      marketingConsent: z.boolean().nullable(),
      channelConsent: z.object({ sms: z.boolean().nullable(), email: z.boolean().nullable() }).describe('Contact by SMS / e-mail: false is an opt-out, null when the customer never said'),
    })
    .nullable(),
  products: list(product),
  cells: list(z.object({ cellId: z.string(), siteId: z.string().nullable(), records: z.number().int().describe('Usage records served by this cell'), lastSeen: isoTime.describe('Day of the latest record here') })).describe('Where the customer uses the network, from their usage records: home cell first'),
  lastInteraction: z.object(Object.fromEntries(CHANNELS.map((c) => [c, isoTime.nullable()]))),
  features,
  periodUsage: z
    .object({
      basis: z.enum(['since-last-bill', 'calendar-month']).describe("Where the period starts: the day the customer's last bill was issued, or the calendar month for a customer with no bill in the last cycle (prepaid, new)"),
      from: z.iso.date().describe('First day counted'),
      through: z.iso.date().describe("The read's day (counted)"),
      days: z.number().int(),
      dataMb: z.number(),
      voiceMin: z.number(),
      sms: z.number().int(),
      dataAllowanceMb: z.number().describe('Monthly allowance of the plans and add-ons in force (0: none given)'),
      voiceAllowanceMin: z.number(),
      dataShare: z.number().nullable().describe('Used / allowance; null without an allowance'),
      voiceShare: z.number().nullable(),
    })
    .describe('What the customer has used so far in the billing period running at asOf, against the allowances in force: an overuse shows the day it happens, not when the bill closes the month'),
  contacts,
  eventCount: z.number().int(),
  firstEventAt: isoTime.nullable(),
  lastEventAt: isoTime.nullable(),
  scores: twinScores.nullable().optional(),
  responseProfile: responseProfile.optional(),
}).meta({ id: 'Twin', description: 'A living twin: profile, products, features, and live scores with reasons' });

/** A page of `GET /twins`. */
export const twinPage = z.object({
  items: list(z.object({ customerId: z.string(), features, scores: z.record(z.string(), z.number().nullable()).optional().describe('The live scores a filter read (churn, clv)') })),
  next: z.number().int().nullable().describe('The `offset` to resume the scan from; null at the end'),
  twinCount: z.number().int(),
});

/** A page of `GET /twins` over partition workers: in the partition order, resumed by an opaque cursor (docs/scale.md). */
export const twinCursorPage = twinPage.extend({
  next: z.string().nullable().describe('The `cursor` to resume from (the last twin\'s place in the partition order); null at the end'),
  twinCount: z.number().int().describe('Twins of the partitions listed'),
  partitions: z.array(z.number().int()).describe('The partitions listed: on a worker its live ones, through the gateway all of them'),
});

/** A page of a twin's events in log order. */
export const timelinePage = z.object({
  items: list(
    z.object({
      seq: z.number().int(),
      id: z.string(),
      kind: z.string(),
      time: isoTime,
      receivedAt: isoTime,
      event: jsonObject.describe('The event as logged (a TwinEvent with its receivedAt)'),
    }),
  ),
  next: z.number().int().nullable().describe('The `after` of the next page; null at the end'),
  historyComplete: z.boolean().describe("false while the first start's history still goes through the intake or is written to the log (or sealed): the page then lacks it (see `history`)"),
  history: z
    .object({
      stage: z
        .enum(['intake', 'writing', 'sealing'])
        .describe("Where the first start's history is: going through the intake (none of it in the log yet; the page is empty), written to the log behind it, or written and being sealed (regrouped by customer)"),
      written: z.number().min(0).max(1).describe("Share of the first start's history written to the log"),
      sealed: z.number().min(0).max(1).optional().describe('Share of it sealed (regrouped by customer), once all written'),
      retryAfterSeconds: z.number().int().describe('Ask again after this many seconds for more of it'),
      fromSeq: z.number().int().nullable().describe("The page holds the customer's events after this seq only (the history's last); null while the history goes through the intake (its end is not known yet)"),
      note: z.string().describe('Why the history is not in the page'),
    })
    .optional()
    .describe('Present when historyComplete is false'),
});

/** What changed in a twin between two times. */
export const twinDiff = z.object({
  customerId: z.string(),
  from: isoTime,
  to: isoTime,
  features: list(z.object({ name: z.string(), from: z.number().nullable(), to: z.number().nullable() })),
  products: list(z.object({ subscriptionId: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
  profileChanged: z.boolean(),
});
