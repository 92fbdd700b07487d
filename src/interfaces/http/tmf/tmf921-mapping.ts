import { horizonEnd } from '../../../agents/intents/intent-schema.js';
import type { IntentReport } from '../../../agents/intents/intent-report.js';
import type { IntentRecord } from '../../../agents/intents/intent-store.js';
import { TwinloopError } from '../../../domain/errors.js';

/**
 * Twinloop's intents as TMF921 Intent Management v5 resources (docs/tmf.md, "TMF921"), and back:
 * the one place that knows both shapes. An intent's meaning rides in its `expression`, a
 * `JsonLdExpression` whose value is the intent in Twinloop's vocabulary (goal, expectations,
 * segment, horizon, budget, constraints, policy mode: docs/intents.md), each node typed with
 * `@type` as JSON-LD wants; its history is its list of IntentReports.
 */

type Json = Record<string, unknown>;

/** The base path of TMF921 v5. */
export const TMF921_BASE = '/tmf-api/intentManagement/v5';

/** The IRI of Twinloop's intent vocabulary: the JSON-LD `@vocab` of every expression value. */
export const INTENT_VOCABULARY = 'urn:twinloop:vocabulary:intent#';

/** The `@type` of an expression value written in Twinloop's vocabulary, and of one that is words for the parser. */
export const STRUCTURED_INTENT = 'TwinloopIntent';
export const INTENT_IN_WORDS = 'TwinloopIntentText';
/** The `@type` of a report's expression value. */
export const REPORT_VALUE = 'TwinloopIntentReport';

/** The fields of a draft (docs/intents.md) an expression value carries. */
export const DRAFT_FIELDS = ['goal', 'intentExpectation', 'segment', 'horizon', 'budget', 'constraints', 'policyMode'] as const;

/** The statuses an intent's history moves it to: the last such event dates `statusChangeDate`. */
const STATUS_EVENTS = new Set(['accepted', 'planning', 'planned', 'executed', 'achieved', 'not-achieved', 'failed', 'expired', 'cancelled']);

const iri = (id: string) => `urn:twinloop:intent:${id}`;

/** A value with a JSON-LD `@type` on every object in it (arrays' items included), as the v5 create form asks of nested nodes. */
function typed(value: unknown, type: string): unknown {
  if (Array.isArray(value)) return value.map((v) => typed(v, type));
  if (value === null || typeof value !== 'object') return value;
  return { '@type': type, ...(value as Json) };
}

/** The intent in Twinloop's vocabulary, as a JSON-LD expression value. */
function intentValue(r: IntentRecord): Json {
  const i = r.intent;
  return {
    '@context': { '@vocab': INTENT_VOCABULARY },
    '@id': iri(i.id),
    '@type': STRUCTURED_INTENT,
    goal: i.goal,
    intentExpectation: typed(i.intentExpectation, 'Expectation'),
    segment: { '@type': 'Segment', named: i.segment.named, filters: typed(i.segment.filters, 'Filter'), cells: i.segment.cells },
    horizon: typed(i.horizon, 'Horizon'),
    ...(i.budget ? { budget: typed(i.budget, 'Budget') } : {}),
    constraints: typed(i.constraints, 'Constraints'),
    policyMode: i.policyMode,
  };
}

const characteristic = (name: string, value: string | number): Json => ({ '@type': typeof value === 'number' ? 'NumberCharacteristic' : 'StringCharacteristic', name, valueType: typeof value, value });

/** A stored intent as a TMF921 v5 Intent. */
export function toTmf921Intent(r: IntentRecord, root: string): Json {
  const i = r.intent;
  const statusChange = [...r.events].reverse().find((e) => STATUS_EVENTS.has(e.kind));
  return {
    id: i.id,
    href: `${root}/intent/${encodeURIComponent(i.id)}`,
    '@type': 'Intent',
    name: i.name,
    description: i.description,
    lifecycleStatus: i.lifecycleStatus,
    creationDate: i.creationDate,
    lastUpdate: i.lastUpdate,
    statusChangeDate: statusChange?.at ?? i.creationDate,
    context: i.goal,
    version: '1',
    // What the expression follows (…/intentSpecification): the value is always answered in the vocabulary, whatever it was created from.
    intentSpecification: { '@type': 'EntityRef', id: STRUCTURED_INTENT, href: `${root}/intentSpecification/${STRUCTURED_INTENT}`, name: 'Twinloop intent', '@referredType': 'IntentSpecification' },
    ...(r.startedAt !== undefined ? { validFor: { startDateTime: new Date(r.startedAt).toISOString(), endDateTime: new Date(horizonEnd(i.horizon, r.startedAt)).toISOString() } } : {}),
    expression: { '@type': 'JsonLdExpression', iri: iri(i.id), expressionValue: intentValue(r) },
    characteristic: [characteristic('source', i.source.kind), characteristic('spend', r.spend), ...(r.plan ? [characteristic('plan', r.plan.plan.id)] : [])],
    relatedParty: r.createdBy
      ? [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'intentOwner', partyOrPartyRole: { '@type': 'PartyRef', id: r.createdBy.id, '@referredType': r.createdBy.kind === 'human' ? 'Individual' : 'Agent' } }]
      : [],
  };
}

/** JSON-LD keywords (`@type`, `@context`, …) removed at every depth: Twinloop's draft is plain data. */
function withoutKeywords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeywords);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Json).filter(([k]) => !k.startsWith('@')).map(([k, v]) => [k, withoutKeywords(v)]));
}

/** What a TMF921 v5 Intent_FVO asks Twinloop to create: words for the parser, or a structured draft (validated by the intent service). */
export type Tmf921Request = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'draft'; readonly draft: Json };

/** Reads the create form's `expression` (a JsonLdExpression in Twinloop's vocabulary); BAD_INPUT naming the attribute otherwise. */
export function fromTmf921Intent(body: Json): Tmf921Request {
  const expression = body.expression as Json;
  const kinds = `a JsonLdExpression whose expressionValue has "@type" "${STRUCTURED_INTENT}" (the intent's fields, docs/tmf.md) or "${INTENT_IN_WORDS}" (with "text")`;
  if (expression['@type'] !== 'JsonLdExpression') throw new TwinloopError('BAD_INPUT', `expression.@type: "${String(expression['@type'])}" is not understood here; send ${kinds}`);
  const value = expression.expressionValue;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TwinloopError('BAD_INPUT', `expression.expressionValue: a JSON-LD object is needed; send ${kinds}`);
  const v = value as Json;
  if (v['@type'] === INTENT_IN_WORDS) {
    if (typeof v.text !== 'string' || v.text.trim() === '') throw new TwinloopError('BAD_INPUT', 'expression.expressionValue.text: the intent in words, e.g. "keep high-value prepaid customers at risk this month, budget 50000"');
    return { kind: 'text', text: v.text };
  }
  if (v['@type'] !== STRUCTURED_INTENT) throw new TwinloopError('BAD_INPUT', `expression.expressionValue.@type: "${String(v['@type'])}" is not understood here; send ${kinds}`);
  const unknown = Object.keys(v).filter((k) => !k.startsWith('@') && !(DRAFT_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new TwinloopError('BAD_INPUT', `expression.expressionValue.${unknown[0]}: not an attribute of a ${STRUCTURED_INTENT} (${DRAFT_FIELDS.join(', ')})`);
  const fields = withoutKeywords(v) as Json;
  return { kind: 'draft', draft: { name: body.name, ...(typeof body.description === 'string' ? { description: body.description } : {}), ...fields } };
}

/**
 * The intent's reports: one per entry of its history (accepted, planned with the plan's simulated
 * outcome, executed, each assessment, re-planned, achieved…), numbered from 1 in order, each
 * saying what happened then. The newest also carries the progress now (`report`: each
 * expectation's target, current and projected values and status, the plan, spend against budget),
 * as `GET /intents/{id}/report` answers it.
 */
export function toTmf921Reports(r: IntentRecord, now: IntentReport | undefined, root: string): Json[] {
  const intentHref = `${root}/intent/${encodeURIComponent(r.intent.id)}`;
  return r.events.map((e, n) => {
    const id = String(n + 1);
    const newest = n === r.events.length - 1;
    return {
      id,
      href: `${intentHref}/intentReport/${id}`,
      '@type': 'IntentReport',
      name: e.kind,
      description: e.detail,
      creationDate: e.at,
      intent: { '@type': 'IntentRef', id: r.intent.id, href: intentHref, name: r.intent.name },
      expression: {
        '@type': 'JsonLdExpression',
        iri: `${iri(r.intent.id)}:report:${id}`,
        expressionValue: {
          '@context': { '@vocab': INTENT_VOCABULARY },
          '@type': REPORT_VALUE,
          event: e.kind,
          ...(newest && now ? { progress: progressOf(now) } : {}),
        },
      },
    };
  });
}

/** The report now, its nodes typed for JSON-LD (the plan's details stay on `GET /intents/{id}/report`). */
function progressOf(report: IntentReport): Json {
  return {
    '@type': 'Progress',
    generatedAt: report.generatedAt,
    lifecycleStatus: report.lifecycleStatus,
    ...(report.status ? { status: report.status } : {}),
    expectations: typed(report.expectations, 'ExpectationProgress'),
    ...(report.plan ? { plan: report.plan.id } : {}),
    ...(report.planSelection ? { planSelection: report.planSelection } : {}),
    shortfalls: report.shortfalls,
    spend: typed(report.spend, 'Spend'),
    ...(report.failureReason ? { failureReason: report.failureReason } : {}),
  };
}
