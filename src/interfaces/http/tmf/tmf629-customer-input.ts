import { z } from 'zod';
import { customerData } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import { describeInputIssues } from '../../../domain/input-issues.js';
import type { TwinView } from '../../../twin/twin-view.js';
import { applyMergePatch } from './tmf-common.js';

/**
 * What a TMF629 Customer written by a client (POST, or PATCH as a merge patch) means for a twin:
 * the profile the twin keeps, sent as a `customer` event through the intake (so replaying the log
 * still rebuilds the twin), and the party record the twin does not keep — the customer's name,
 * contact media and the other standard attributes, personal data kept apart from the event log so
 * that it can be erased ([decision 0017](../../../../docs/decisions/0017-customer-personal-data-outside-the-event-log.md)).
 * The one place that knows both the TMF body and the event's data (docs/tmf.md).
 */

type Json = Record<string, unknown>;

/** The profile of a `customer` event. */
export type CustomerProfile = z.infer<typeof customerData>;

/** What TMF629 keeps of a customer beside the twin: personal data and attributes next-best-action does not read. */
export interface CustomerParty {
  /** The customer's name as the client gave it (answered as the Customer's `name`; personal data). */
  readonly name?: string;
  /** The engaged party as the client gave it (its id, href, name); `@referredType` follows the segment. */
  readonly engagedParty?: Json;
  readonly contactMedium?: Json[];
  /** Other standard attributes (account, agreement, creditProfile, paymentMethod, relatedParty, statusReason), kept as written. */
  readonly attributes?: Json;
}

/** The record-store collection of the customers' party records (one per customer id). */
export const CUSTOMER_PARTY_COLLECTION = 'customer_party';

/** The characteristics a client writes, and the profile field each one is. */
export const WRITABLE_CHARACTERISTICS = ['segment', 'billing', 'contractMonths', 'contractEnd', 'paymentMethod', 'marketingConsent', 'smsConsent', 'emailConsent'] as const;
type Writable = (typeof WRITABLE_CHARACTERISTICS)[number];

/** The characteristics the live intelligence computes: answered, never written. */
export const SCORE_CHARACTERISTICS = new Set(['churnRisk', 'lifetimeValue', 'usageTrend', 'complaints', 'payments', 'offerPropensity']);

/** Attributes the mapping reads itself; every other one goes to the party record's `attributes`. */
const MAPPED = new Set(['id', 'href', 'name', 'status', 'characteristic', 'contactMedium', 'engagedParty', 'validFor', '@type', '@baseType', '@schemaLocation']);

/** The segment an engaged party's type means, and back. */
const SEGMENT_OF_PARTY: Record<string, CustomerProfile['segment']> = { Organization: 'business', Individual: 'consumer' };

/** A twin's profile as a `customer` event's data (what a change starts from). */
export function profileOf(view: TwinView): CustomerProfile | undefined {
  const p = view.profile;
  if (!p) return undefined;
  const consent = p.marketingConsent === null ? undefined : { marketing: p.marketingConsent, ...(p.channelConsent.sms === null ? {} : { sms: p.channelConsent.sms }), ...(p.channelConsent.email === null ? {} : { email: p.channelConsent.email }) };
  return {
    segment: p.segment,
    billing: p.billing,
    contractMonths: p.contractMonths,
    ...(p.contractEnd ? { contractEnd: p.contractEnd } : {}),
    paymentMethod: p.paymentMethod,
    since: p.since,
    ...(consent ? { consent } : {}),
  };
}

/** A profile as the plain fields a body's characteristics write over (consents flattened). */
function flat(p: Partial<CustomerProfile>): Partial<Record<Writable | 'since', unknown>> {
  const { consent, ...rest } = p;
  return { ...rest, ...(consent ? { marketingConsent: consent.marketing, smsConsent: consent.sms, emailConsent: consent.email } : {}) };
}

/** The profile from flat fields, checked by the event's own schema; BAD_INPUT naming the TMF attribute. */
function profileFrom(fields: Partial<Record<Writable | 'since', unknown>>): CustomerProfile {
  const { marketingConsent, smsConsent, emailConsent, ...rest } = fields;
  if (marketingConsent === undefined && (smsConsent !== undefined || emailConsent !== undefined)) {
    throw new TwinloopError('BAD_INPUT', 'characteristic marketingConsent: give it with smsConsent or emailConsent (a channel consent is kept beside the marketing one)');
  }
  const data = Object.fromEntries(Object.entries({ ...rest, consent: marketingConsent === undefined ? undefined : { marketing: marketingConsent, sms: smsConsent, email: emailConsent } }).filter(([, v]) => v !== undefined));
  if (data.consent) data.consent = Object.fromEntries(Object.entries(data.consent as Json).filter(([, v]) => v !== undefined));
  const checked = customerData.safeParse(data);
  if (checked.success) return checked.data;
  // Every problem, each named as the TMF body writes the field (a characteristic, the start of validFor), not as the event does.
  const problems = checked.error.issues.map((issue) => {
    const [field, sub] = issue.path.map(String);
    const where = field === 'since' ? 'validFor.startDateTime' : field === 'consent' ? `characteristic ${sub === 'marketing' ? 'marketingConsent' : `${sub ?? 'marketing'}Consent`}` : `characteristic ${field}`;
    const value = issue.path.reduce<unknown>((node, k) => (node as Json | undefined)?.[k as string], data);
    if (value === undefined) return `${where}: required (writable characteristics: ${WRITABLE_CHARACTERISTICS.join(', ')})`;
    return describeInputIssues([{ ...issue, path: [] }], value, { whole: where });
  });
  throw new TwinloopError('BAD_INPUT', [...new Set(problems)].join('; '));
}

/** The characteristics of a body as profile fields; BAD_INPUT for a score, an unknown or a repeated name. */
function characteristicFields(list: unknown): Partial<Record<Writable, unknown>> {
  if (list === undefined) return {};
  if (!Array.isArray(list)) throw new TwinloopError('BAD_INPUT', 'characteristic: a list of {name, value}');
  const out: Partial<Record<Writable, unknown>> = {};
  list.forEach((c: Json, i) => {
    const name = String(c?.name);
    if (SCORE_CHARACTERISTICS.has(name)) throw new TwinloopError('BAD_INPUT', `characteristic[${i}] ${name}: a live score, computed by the churn model from the twin's events; it is answered, never written`);
    if (!(WRITABLE_CHARACTERISTICS as readonly string[]).includes(name)) throw new TwinloopError('BAD_INPUT', `characteristic[${i}] ${name}: not a characteristic of a Twinloop customer; writable ones: ${WRITABLE_CHARACTERISTICS.join(', ')}`);
    if (name in out) throw new TwinloopError('BAD_INPUT', `characteristic[${i}] ${name}: given twice`);
    out[name as Writable] = c.value;
  });
  return out;
}

/** The segment an engaged party names, if any; BAD_INPUT for another type. */
function segmentOfParty(party: unknown): CustomerProfile['segment'] | undefined {
  const type = (party as Json | null | undefined)?.['@referredType'];
  if (type === undefined) return undefined;
  const segment = SEGMENT_OF_PARTY[String(type)];
  if (!segment) throw new TwinloopError('BAD_INPUT', `engagedParty.@referredType: "${String(type)}"; a customer is an Individual (consumer) or an Organization (business)`);
  return segment;
}

/** The `status` a write may carry: the one the customer has (status follows its products). */
function checkStatus(status: unknown, current: string): void {
  if (status === undefined || status === current) return;
  throw new TwinloopError(
    'BAD_INPUT',
    `status: "${String(status)}" cannot be written; it follows the customer's products (Initialized before the first plan, Approved while one is held, Terminated once every plan ended): order a plan or a termination through TMF622 productOrder`,
  );
}

/** The party record of a body: name, engaged party, contact media, the other attributes. */
function partyFrom(body: Json): CustomerParty {
  const attributes = Object.fromEntries(Object.entries(body).filter(([k, v]) => !MAPPED.has(k) && v !== null && v !== undefined));
  const party = body.engagedParty as Json | undefined;
  const engaged = party ? Object.fromEntries(Object.entries(party).filter(([k]) => k !== '@referredType')) : undefined;
  return {
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
    ...(engaged && Object.keys(engaged).length > 0 ? { engagedParty: engaged } : {}),
    ...(Array.isArray(body.contactMedium) && body.contactMedium.length > 0 ? { contactMedium: body.contactMedium as Json[] } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
}

/** A new customer from a TMF629 `Customer_Create` body (already checked against the specification), dated `now` unless `validFor` says since when. */
export function newCustomer(body: Json, now: string): { profile: CustomerProfile; party: CustomerParty } {
  checkStatus(body.status, 'Initialized');
  const chars = characteristicFields(body.characteristic);
  const fromParty = segmentOfParty(body.engagedParty);
  if (fromParty && chars.segment !== undefined && chars.segment !== fromParty) throw new TwinloopError('BAD_INPUT', `characteristic segment: "${String(chars.segment)}" but engagedParty is an ${String((body.engagedParty as Json)['@referredType'])} (${fromParty})`);
  const since = (body.validFor as Json | undefined)?.startDateTime ?? now;
  if (typeof since === 'string' && Date.parse(since) > Date.parse(now)) throw new TwinloopError('BAD_INPUT', `validFor.startDateTime: ${since} is after now (${now}); a customer is registered once the relationship began`);
  const profile = profileFrom({ contractMonths: 0, ...chars, segment: chars.segment ?? fromParty, since });
  return { profile, party: partyFrom(body) };
}

/**
 * A customer changed by a JSON merge patch: the profile it then has (undefined when the patch
 * leaves it as it is) and its party record. `name` and `contactMedium` are set or (null) removed;
 * each characteristic named sets that field (the others keep theirs; scores are never written).
 */
export function patchedCustomer(patch: Json, current: { id: string; profile: CustomerProfile; party: CustomerParty; status: string }): { profile: CustomerProfile | undefined; party: CustomerParty } {
  if (patch.id !== undefined && patch.id !== current.id) throw new TwinloopError('BAD_INPUT', `id: a customer's id cannot change ("${String(patch.id)}" ≠ "${current.id}")`);
  checkStatus(patch.status, current.status);
  const chars = characteristicFields(patch.characteristic === null ? undefined : patch.characteristic);
  const fromParty = patch.engagedParty === null ? undefined : segmentOfParty(patch.engagedParty);
  const startDateTime = (patch.validFor as Json | null | undefined)?.startDateTime;
  const fields = { ...flat(current.profile), ...chars, ...(fromParty && chars.segment === undefined ? { segment: fromParty } : {}), ...(typeof startDateTime === 'string' ? { since: startDateTime } : {}) };
  const profile = profileFrom(fields);
  const before = current.party;
  const written = partyFrom(patch);
  const engaged = patch.engagedParty === null ? undefined : applyMergePatch(before.engagedParty ?? {}, Object.fromEntries(Object.entries((patch.engagedParty as Json | undefined) ?? {}).filter(([k]) => k !== '@referredType'))) as Json;
  const attributes = applyMergePatch(before.attributes ?? {}, Object.fromEntries(Object.entries(patch).filter(([k]) => !MAPPED.has(k)))) as Json;
  const pick = <K extends 'name' | 'contactMedium'>(key: K): CustomerParty[K] => (patch[key] === null ? undefined : patch[key] === undefined ? before[key] : written[key]);
  const party: CustomerParty = Object.fromEntries(
    Object.entries({ name: pick('name'), engagedParty: engaged && Object.keys(engaged).length > 0 ? engaged : undefined, contactMedium: pick('contactMedium'), attributes: Object.keys(attributes).length > 0 ? attributes : undefined }).filter(([, v]) => v !== undefined),
  );
  return { profile: JSON.stringify(profile) === JSON.stringify(profileFrom(flat(current.profile))) ? undefined : profile, party };
}

/** The party record's contributions to an answered Customer (over the twin's). */
export function partyAttributes(party: CustomerParty | undefined): Json {
  if (!party) return {};
  return { ...party.attributes, ...(party.name ? { name: party.name } : {}), ...(party.contactMedium ? { contactMedium: party.contactMedium } : {}) };
}
