import { z } from 'zod';
import { intentDraftSchema } from '../../../agents/intents/intent-schema.js';
import { DRAFT_FIELDS, INTENT_IN_WORDS, INTENT_VOCABULARY, STRUCTURED_INTENT } from './tmf921-mapping.js';

/**
 * The TMF921 v5 IntentSpecifications Twinloop serves (`…/intentSpecification`): the two kinds of
 * expression value an intent may be created from, `TwinloopIntent` (the intent in Twinloop's
 * vocabulary) and `TwinloopIntentText` (the intent in words, for the parser). The structured one's
 * characteristics are made from the intent service's own draft schema (`intentDraftSchema`: each
 * attribute's type, whether it is required, its values), so what the specification says is what
 * the service accepts.
 */

type Json = Record<string, unknown>;

/** What each attribute of a TwinloopIntent means (docs/intents.md). */
const MEANING: Record<(typeof DRAFT_FIELDS)[number], string> = {
  goal: 'What the intent is for',
  intentExpectation: 'The targets to meet: each an Expectation (targetName, targetCondition, targetValue)',
  segment: 'Who the intent is about: the intersection of named segments, filters over features and live scores, and cells (empty: everyone)',
  horizon: 'How long the intent runs from acceptance (amount, unit days or months, alignTo month_end or quarter_end)',
  budget: 'The most its plan may spend (amount, ISO 4217 currency)',
  constraints: 'Guardrails every plan respects: maxContactsPerCustomer, channels, excludedOffers, maxDiscountPct',
  policyMode: 'How far the intent may act without a person: the action policy still decides each action',
};

type JsonSchema = { type?: string; enum?: unknown[]; default?: unknown; minItems?: number; maxItems?: number; properties?: Record<string, JsonSchema>; required?: string[] };

/** A CharacteristicSpecification for one attribute of a JSON Schema object. */
function characteristicOf(name: string, schema: JsonSchema, required: boolean, description: string): Json {
  const many = schema.type === 'array';
  return {
    '@type': 'CharacteristicSpecification',
    id: name,
    name,
    valueType: schema.type ?? 'object',
    description,
    configurable: true,
    minCardinality: required ? Math.max(1, schema.minItems ?? 1) : 0,
    ...(many ? (schema.maxItems !== undefined ? { maxCardinality: schema.maxItems } : {}) : { maxCardinality: 1 }),
    ...(schema.enum
      ? { characteristicValueSpecification: schema.enum.map((value) => ({ '@type': 'CharacteristicValueSpecification', valueType: schema.type ?? 'string', value, ...(value === schema.default ? { isDefault: true } : {}) })) }
      : {}),
  };
}

let draftJsonSchema: JsonSchema | undefined;

/** The specifications, by id, their `href`s under `root`. */
export function intentSpecifications(root: string): Json[] {
  const draft = (draftJsonSchema ??= z.toJSONSchema(intentDraftSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
  const spec = (id: string, name: string, description: string, specCharacteristic: Json[]): Json => ({
    id,
    href: `${root}/intentSpecification/${id}`,
    '@type': 'IntentSpecification',
    name,
    description,
    lifecycleStatus: 'Active',
    version: '1',
    isBundle: false,
    expressionSpecification: { '@type': 'ExpressionSpecification', expressionLanguage: 'JSON-LD', iri: `${INTENT_VOCABULARY}${id}` },
    specCharacteristic,
  });
  return [
    spec(
      STRUCTURED_INTENT,
      'Twinloop intent',
      `An intent in Twinloop's vocabulary: a JsonLdExpression whose expressionValue has "@context" {"@vocab": "${INTENT_VOCABULARY}"}, "@type" "${STRUCTURED_INTENT}" and these attributes, every node typed; the intent's name and description come from the Intent`,
      DRAFT_FIELDS.map((f) => characteristicOf(f, draft.properties?.[f] ?? {}, draft.required?.includes(f) ?? false, MEANING[f])),
    ),
    spec(INTENT_IN_WORDS, 'Twinloop intent in words', `An intent in words for Twinloop's parser: a JsonLdExpression whose expressionValue has "@type" "${INTENT_IN_WORDS}" and the text; it is read into a ${STRUCTURED_INTENT} (docs/intents.md)`, [
      characteristicOf('text', { type: 'string' }, true, 'The intent in words, e.g. "keep high-value prepaid customers at risk this month, budget 50000"'),
    ]),
  ];
}
