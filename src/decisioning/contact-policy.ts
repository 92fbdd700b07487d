import { z } from 'zod';
import { TwinloopError } from '../domain/errors.js';
import { describeInputIssues } from '../domain/input-issues.js';
import { FEATURE_INDEX, NEVER_DAYS, refusesMarketing } from '../twin/twin-features.js';
import { CONTACT_CHANNELS, type ContactChannel, type ContactLedger, type ContactSummary } from './contact-ledger.js';
import { ANSWER_WINDOW_MS } from './decision-record.js';
import { DAY_MS, MONTH_MS } from '../domain/time.js';

/**
 * The contact policy: how often a customer may be contacted with marketing offers, the cool-down
 * after a decline, quiet hours for outbound contact, and consent. Service communications
 * (actionClass `communication`) need no marketing consent and do not count against the caps,
 * but outbound ones still respect quiet hours.
 */

const zoneSchema = z.union([
  z.strictObject({ utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60) }),
  z.strictObject({ timeZone: z.string().min(1).max(64) }),
]);

/** Contact policy settings; every field has a documented default (see DEFAULT_CONTACT_POLICY). */
export const contactPolicySchema = z.strictObject({
  /** Length of the window the caps count over. */
  periodDays: z.number().int().min(1).max(90).default(30),
  /** Marketing contacts allowed per period over all channels. */
  maxContacts: z.number().int().min(0).max(1000).default(4),
  /** Marketing contacts allowed per period on any one channel. */
  maxContactsPerChannel: z.number().int().min(0).max(1000).default(2),
  /** Days after any declined offer during which no marketing offer is made. */
  declineCooldownDays: z.number().min(0).max(365).default(14),
  /** Days after declining an offer before that same offer is made again. */
  sameOfferCooldownDays: z.number().min(0).max(365).default(60),
  /**
   * Days after a service message of the catalogue (a check-in) reached the customer before the
   * same message is proposed (next-best-action) or sent (the guarded executor) again: it asked how the service is, and asking
   * again days later, whatever the customer answered, is noise (0: no such wait).
   */
  sameMessageDays: z.number().min(0).max(365).default(30),
  /** When false, caps and cool-downs only limit outbound contact (the customer chose to call). */
  capsApplyToInbound: z.boolean().default(true),
  /** Local hours [startHour, endHour) with no outbound contact; wraps midnight when start > end. Null = none. */
  quietHours: z
    .strictObject({ startHour: z.number().int().min(0).max(23), endHour: z.number().int().min(0).max(23), zone: zoneSchema })
    .nullable()
    .default({ startHour: 21, endHour: 8, zone: { utcOffsetMinutes: 0 } }),
});

/** A validated contact policy. */
export type ContactPolicy = z.infer<typeof contactPolicySchema>;
/** Contact policy settings as written (any field may be omitted). */
export type ContactPolicyInput = z.input<typeof contactPolicySchema>;

/** The defaults: 4 marketing contacts per 30 days, 2 per channel, 14-day cool-down, a check-in once in 30 days, quiet 21:00–08:00 UTC. */
export const DEFAULT_CONTACT_POLICY: ContactPolicy = contactPolicySchema.parse({});

/** Validates contact policy settings once; throws BAD_INPUT naming the bad field. */
export function resolveContactPolicy(input: ContactPolicyInput = {}): ContactPolicy {
  const r = contactPolicySchema.safeParse(input);
  if (!r.success) {
    const what = describeInputIssues(r.error.issues, input, { whole: 'policy' });
    throw new TwinloopError('BAD_INPUT', `invalid contact policy (${what}); fix the settings and retry`);
  }
  const q = r.data.quietHours;
  if (q && 'timeZone' in q.zone) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: q.zone.timeZone });
    } catch {
      throw new TwinloopError('BAD_INPUT', `unknown time zone '${q.zone.timeZone}' in quietHours: use an IANA name such as Europe/Berlin, or utcOffsetMinutes`);
    }
  }
  return r.data;
}

const QUARTER_HOUR_MS = 900_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, { bucket: number; offset: number }>();

/** Minutes past local midnight at `now` in the zone (offset zones are exact; IANA zones cached per quarter hour). */
export function localMinuteOfDay(now: number, zone: { utcOffsetMinutes: number } | { timeZone: string }): number {
  let offset: number;
  if ('utcOffsetMinutes' in zone) offset = zone.utcOffsetMinutes;
  else {
    // Zone offsets change only on quarter-hour boundaries, so one Intl call per zone and quarter hour suffices.
    const bucket = Math.floor(now / QUARTER_HOUR_MS);
    const hit = offsetCache.get(zone.timeZone);
    if (hit && hit.bucket === bucket) offset = hit.offset;
    else {
      let fmt = formatters.get(zone.timeZone);
      if (!fmt) {
        fmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone.timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', year: 'numeric', month: '2-digit', day: '2-digit' });
        formatters.set(zone.timeZone, fmt);
      }
      const parts = Object.fromEntries(fmt.formatToParts(bucket * QUARTER_HOUR_MS).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offset = Math.round((asUtc - bucket * QUARTER_HOUR_MS) / 60_000);
      offsetCache.set(zone.timeZone, { bucket, offset });
    }
  }
  const local = Math.floor(now / 60_000) + offset;
  return ((local % 1440) + 1440) % 1440;
}

/** True when `minute` (past local midnight) falls in [startHour, endHour), wrapping midnight. */
export function inQuietHours(minute: number, startHour: number, endHour: number): boolean {
  const s = startHour * 60;
  const e = endHour * 60;
  if (s === e) return false;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/**
 * The first time at or after `now` when outbound contact is allowed by the quiet hours (`now`
 * itself outside them): when a scheduled outbound flow should act, so that its contacts are not
 * all refused for the hour it happened to be scheduled at.
 */
export function outsideQuietHours(now: number, policy: Pick<ContactPolicy, 'quietHours'>): number {
  const q = policy.quietHours;
  if (!q) return now;
  const minute = localMinuteOfDay(now, q.zone);
  if (!inQuietHours(minute, q.startHour, q.endHour)) return now;
  const wait = (q.endHour * 60 - minute + 1440) % 1440;
  // From the start of the current minute to the quiet hours' end.
  return now - (now % 60_000) + wait * 60_000;
}

/**
 * When the hours that allow outbound contact next open, at or after `now`: the end of the quiet
 * hours under way, or else of the next ones (undefined when the policy has none). Where a flow that
 * acts every day plans its ticks, so each has the whole of the allowed hours ahead of it.
 */
export function contactHoursOpenAt(now: number, policy: Pick<ContactPolicy, 'quietHours'>): number | undefined {
  const q = policy.quietHours;
  if (!q || q.startHour === q.endHour) return undefined;
  const minute = localMinuteOfDay(now, q.zone);
  if (inQuietHours(minute, q.startHour, q.endHour)) return outsideQuietHours(now, policy);
  // The next quiet hours' first minute, then their end.
  const toStart = (q.startHour * 60 - minute + 1440) % 1440;
  return outsideQuietHours(now - (now % 60_000) + toStart * 60_000, policy);
}

/** The quiet hours in words ("21:00–08:00 UTC", "21:00–08:00 Europe/Berlin"), or null when the policy has none. */
export function quietHoursText(policy: Pick<ContactPolicy, 'quietHours'>): string | null {
  const q = policy.quietHours;
  return q && q.startHour !== q.endHour ? `${hh(q.startHour)}–${hh(q.endHour)} ${zoneText(q.zone)}` : null;
}

/**
 * The customer's contact numbers: from the ledger, or (for a customer the ledger has not seen)
 * from the twin's features. The twin only counts offers over 90 days and not per channel, so its
 * 90-day count stands in for every period (conservative) and per-channel caps are not checked.
 * `ownRequest`: the request being judged, whose own entries in the ledger are left out.
 */
export function contactSummaryOf(
  ledger: ContactLedger | undefined,
  customerId: string,
  features: Float64Array,
  now: number,
  policy: ContactPolicy,
  ownRequest?: string,
): ContactSummary {
  const fromLedger = ledger?.summary(customerId, now, policy.periodDays, ownRequest);
  if (fromLedger) return fromLedger;
  const days = features[FEATURE_INDEX.days_since_offer_declined];
  return {
    contacts: features[FEATURE_INDEX.offers_presented_90d],
    perChannel: new Float64Array(CONTACT_CHANNELS.length).fill(Number.NaN),
    lastDeclineAt: days >= NEVER_DAYS ? -Infinity : now - days * DAY_MS,
    lastDeclineOf: () => -Infinity,
    source: 'twin',
  };
}

/**
 * The contact rules, each named in a refusal (and in the guarded executor's `guardrail`).
 * `held-out`: the customer is another run's control group (agents/governance/holdout-register.ts).
 * `offer-pending`: an offer presented to the customer still awaits their answer (its answer window),
 * whichever flow made it (outbound marketing only: a person with the customer on the line may act).
 * `offer-in-force`: the customer accepted this offer and its months have not run out (they hold it:
 * made again, it gives them nothing, and a data bonus would be offered to a customer who has it).
 * `same-offer-pending`: this very offer was presented and still awaits the customer's answer, so it
 * is not presented again on any path, a person on the line included (two presentations of one offer
 * are two offers the customer may both accept, and the first's answer window would close as ignored
 * though the customer took the offer on the second: the newcomer's C023634).
 * `same-message-recent`: this service message (a check-in) reached the customer within
 * `sameMessageDays` (next-best-action re-proposed a check-in 10 days after one was delivered).
 */
export const CONTACT_RULES = ['quiet-hours', 'marketing-consent', 'decline-cooldown', 'offer-pending', 'contact-cap', 'channel-cap', 'same-offer-cooldown', 'offer-in-force', 'same-offer-pending', 'same-message-recent', 'channel-opt-out', 'customer-not-held', 'held-out', 'offer-eligibility'] as const;
/** A contact rule's name. */
export type ContactRule = (typeof CONTACT_RULES)[number];

/** Why a contact may not be made now: the rule, and the reason in words. */
export interface ContactRefusal {
  readonly rule: ContactRule;
  readonly reason: string;
  /**
   * When the refusal stops holding by itself (ms, on the clock it was judged on): the end of the
   * quiet hours. Absent for a rule that time alone does not lift (consent, caps, opt-outs).
   */
  readonly until?: number;
}

/** The verdicts that are the same for every offering in one decision (computed once per decision). */
export interface ContactGate {
  /** Why marketing offers are blocked now, or null. */
  readonly marketing: ContactRefusal | null;
  /** Why (outbound) care communications are blocked now, or null. */
  readonly service: ContactRefusal | null;
}

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
// UTC itself is said "UTC", not "UTC+00:00" (the default policy's zone read as a code).
const zoneText = (zone: { utcOffsetMinutes: number } | { timeZone: string }) =>
  'timeZone' in zone ? zone.timeZone : zone.utcOffsetMinutes === 0 ? 'UTC' : `UTC${zone.utcOffsetMinutes >= 0 ? '+' : '-'}${clock(Math.abs(zone.utcOffsetMinutes))}`;

/**
 * Why the customer may get no marketing contact at all, or null: the one consent check, which the
 * funnel and the guarded executor apply through `contactGate` and a proactive scan applies before
 * it plans (a customer it would only see refused). `features` are the twin's (`FEATURE_INDEX`).
 */
export function marketingConsentRefusal(features: Float64Array): ContactRefusal | null {
  return refusesMarketing(features) ? { rule: 'marketing-consent', reason: 'no marketing consent (marketing_consent = 0): only service communications are allowed' } : null;
}

/** Checks consent, quiet hours, cool-down and caps for one customer and contact. */
export function contactGate(
  policy: ContactPolicy,
  summary: ContactSummary,
  features: Float64Array,
  context: { channel: ContactChannel; direction: 'inbound' | 'outbound'; now: number },
): ContactGate {
  let quiet: ContactRefusal | null = null;
  const q = policy.quietHours;
  if (q && context.direction === 'outbound') {
    const minute = localMinuteOfDay(context.now, q.zone);
    if (inQuietHours(minute, q.startHour, q.endHour)) {
      // Said as a rule and the hour it is where it applies: "(21:00–08:00 UTC+00:00, now 05:45); inbound contacts are exempt" read as a code.
      quiet = { rule: 'quiet-hours', reason: `quiet hours: no contact the operator starts from ${hh(q.startHour)} to ${hh(q.endHour)} ${zoneText(q.zone)}, and it is ${clock(minute)} there; it may go from ${hh(q.endHour)}, and a contact the customer starts is not held`, until: outsideQuietHours(context.now, policy) };
    }
  }
  let marketing = quiet ?? marketingConsentRefusal(features);
  const capped = context.direction === 'outbound' || policy.capsApplyToInbound;
  if (!marketing && capped) {
    const sinceDecline = (context.now - summary.lastDeclineAt) / DAY_MS;
    if (sinceDecline < policy.declineCooldownDays) {
      marketing = { rule: 'decline-cooldown', reason: `declined an offer ${sinceDecline.toFixed(1)} days ago: cool-down of ${policy.declineCooldownDays} days` };
    } else if (summary.pendingOffer && context.direction === 'outbound') {
      // One offer at a time, whichever flow made it: a second while the first awaits its answer stacks them.
      // A customer in contact (inbound: a care agent on the line) is exempt, whatever the caps say.
      const p = summary.pendingOffer;
      marketing = { rule: 'offer-pending', reason: `offer ${p.offerId} presented ${((context.now - p.at) / DAY_MS).toFixed(1)} days ago still awaits the customer's answer: one offer at a time, another only once it is answered or its answer window ends` };
    } else if (summary.contacts >= policy.maxContacts) {
      marketing = { rule: 'contact-cap', reason: `${summary.contacts} marketing contacts in the last ${summary.source === 'twin' ? '90 (twin count)' : policy.periodDays} days: cap is ${policy.maxContacts} per ${policy.periodDays} days` };
    } else {
      const onChannel = summary.perChannel[CONTACT_CHANNELS.indexOf(context.channel)];
      if (onChannel >= policy.maxContactsPerChannel) {
        marketing = { rule: 'channel-cap', reason: `${onChannel} marketing contacts on ${context.channel} in the last ${policy.periodDays} days: cap is ${policy.maxContactsPerChannel} per channel` };
      }
    }
  }
  return { marketing, service: quiet };
}

/**
 * Why this offering may not be made to the customer again now, or null: they accepted it and its
 * `months` are not over, or it was presented and still awaits their answer (whichever the direction:
 * a person on the line would offer what the customer holds, or has in front of them), or they
 * declined it within the same-offer cool-down (`capped` contacts only).
 */
export function sameOfferRefusal(policy: ContactPolicy, summary: ContactSummary, offer: { readonly id: string; readonly months: number }, now: number, capped: boolean): ContactRefusal | null {
  const accepted = summary.lastAcceptOf?.(offer.id) ?? -Infinity;
  const until = accepted + offer.months * MONTH_MS;
  if (offer.months > 0 && now < until) {
    return { rule: 'offer-in-force', reason: `accepted this offer ${((now - accepted) / DAY_MS).toFixed(1)} days ago: it runs ${offer.months} months (until ${new Date(until).toISOString().slice(0, 10)}), and is made again only once it ends` };
  }
  const pending = summary.pendingOffer;
  if (pending?.offerId === offer.id) {
    return { rule: 'same-offer-pending', reason: `this offer was presented ${((now - pending.at) / DAY_MS).toFixed(1)} days ago and still awaits the customer's answer (until ${new Date(pending.at + ANSWER_WINDOW_MS).toISOString().slice(0, 10)}): they accept it where it was presented, it is not presented twice` };
  }
  if (!capped || summary.source === 'twin') return null;
  const days = (now - summary.lastDeclineOf(offer.id)) / DAY_MS;
  return days < policy.sameOfferCooldownDays ? { rule: 'same-offer-cooldown', reason: `declined this offer ${days.toFixed(1)} days ago: same-offer cool-down of ${policy.sameOfferCooldownDays} days` } : null;
}

/**
 * Why this service message of the catalogue (a communication, such as the check-in) is neither
 * proposed by next-best-action nor sent by the guarded executor now, or null: it reached the
 * customer within `sameMessageDays`, on any path (an intent's campaign, a card accepted on a call).
 * Ledger only: the twin's counts do not say which message.
 */
export function sameMessageRefusal(policy: ContactPolicy, summary: ContactSummary, offerId: string, now: number): ContactRefusal | null {
  const at = summary.lastDeliveredOf?.(offerId) ?? -Infinity;
  const days = (now - at) / DAY_MS;
  if (!(days < policy.sameMessageDays)) return null;
  return { rule: 'same-message-recent', reason: `this message reached the customer ${days.toFixed(1)} days ago (${new Date(at).toISOString().slice(0, 10)}): the same message is proposed or sent again only after ${policy.sameMessageDays} days` };
}
