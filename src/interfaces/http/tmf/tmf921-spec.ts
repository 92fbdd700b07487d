/**
 * TMF921 Intent Management v5.0.0: the definitions Twinloop serves and checks its answers
 * against, rendered here from the official v5 OpenAPI components (decision 0016). Unlike the v4
 * APIs, whose official files are vendored unmodified in `specs/tmf/`, no copy of the v5 file whose
 * redistribution is allowed could be had; so this module states the official definitions' structure
 * (each name, attribute, type, `required` list and reference as the specification has them) and
 * nothing else: no descriptions, no examples. Two liberties, each forced by a tool rather than
 * chosen: the specification's `allOf` chains (Entity → Extensible + Addressable, …) are written out
 * flat, their properties and `required` lists merged, and its `oneOf`s resolved by the `@type`
 * discriminator (IntentRefOrValue, an expression's value) are `anyOf`s, since a JSON Schema
 * validator without the discriminator cannot tell the branches apart. Replacing this module by the
 * official file, once one can be vendored, changes no route: they all read `tmfSchema('TMF921', …)`.
 */

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const obj: Schema = { type: 'object' };
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const arrayOf = (name: string): Schema => ({ type: 'array', items: ref(name) });

/** Extensible: the polymorphism attributes every v5 resource carries (`@type` required). */
const extensible = { '@type': str, '@baseType': str, '@schemaLocation': str };
/** Addressable: `href` and `id`. */
const addressable = { href: str, id: str };
/** The attributes of the JSON-LD node the specification calls `common` (an expression value's nodes). */
const jsonLdNode = (self: string): Schema => ({
  '@id': { type: 'string', format: 'uri' },
  '@value': str,
  '@language': str,
  '@type': str,
  '@container': { type: 'string', enum: ['@language', '@list', '@index', '@set'] },
  '@list': {},
  '@set': {},
  '@reverse': { type: 'string', additionalProperties: { anyOf: [ref(self)] } },
  '@base': { type: 'string', format: 'uri' },
  '@vocab': { type: 'string', format: 'uri' },
});

/** Any JSON value but an object (the other branch of a JSON-LD node). */
const notAnObject: Schema = { type: ['string', 'number', 'boolean', 'array', 'null'] };

/** Every attribute of an Intent (Entity + the Intent's own), for the resource and its create form. */
const intentProperties = (suffix: '' | '_FVO'): Schema => ({
  ...extensible,
  ...addressable,
  description: str,
  validFor: ref('TimePeriod'),
  isBundle: bool,
  priority: str,
  statusChangeDate: dateTime,
  context: str,
  version: str,
  intentSpecification: ref('EntityRef'),
  intentRelationship: arrayOf('EntityRelationship'),
  characteristic: arrayOf('Characteristic'),
  relatedParty: arrayOf('RelatedPartyRefOrPartyRoleRef'),
  attachment: arrayOf('AttachmentRefOrValue'),
  name: str,
  expression: ref(`IntentExpression${suffix}`),
  creationDate: dateTime,
  lastUpdate: dateTime,
  lifecycleStatus: str,
});

/** An event of the API: Event's attributes with `event` holding the resource under `key`. */
const event = (key: string, definition: string): Schema => ({
  type: 'object',
  required: ['@type'],
  properties: {
    ...extensible,
    ...addressable,
    correlationId: str,
    domain: str,
    title: str,
    description: str,
    priority: str,
    timeOccurred: dateTime,
    source: ref('EntityRef'),
    reportingSystem: ref('EntityRef'),
    relatedParty: arrayOf('RelatedPartyRefOrPartyRoleRef'),
    analyticCharacteristic: arrayOf('Characteristic'),
    eventId: str,
    eventTime: dateTime,
    eventType: str,
    event: { type: 'object', properties: { [key]: ref(definition) } },
  },
});

/** The TMF921 v5 definitions, by their names in the specification. */
const definitions: Record<string, Schema> = {
  TimePeriod: { type: 'object', properties: { startDateTime: dateTime, endDateTime: dateTime } },
  Quantity: { type: 'object', properties: { amount: { type: 'number', default: 1 }, units: str } },
  EntityRef: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str } },
  EntityRelationship: {
    type: 'object',
    properties: { href: str, name: str, role: str, validFor: ref('TimePeriod'), associationSpec: ref('EntityRef'), '@baseType': str, '@schemaLocation': str, relationshipType: str, id: str, '@referredType': str, '@type': str },
  },
  CharacteristicRelationship: { type: 'object', required: ['@type'], properties: { ...extensible, id: str, relationshipType: str } },
  // Characteristic and its typed subclasses (StringCharacteristic, NumberCharacteristic, …: `value` of that type).
  Characteristic: { type: 'object', required: ['@type'], properties: { ...extensible, id: str, name: str, valueType: str, characteristicRelationship: arrayOf('CharacteristicRelationship'), value: {} } },
  // PartyRef or PartyRoleRef (by `@type`): an EntityRef, the role ref with partyId and partyName.
  PartyRefOrPartyRoleRef: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str, partyId: str, partyName: str } },
  RelatedPartyRefOrPartyRoleRef: { type: 'object', required: ['@type'], properties: { ...extensible, role: str, partyOrPartyRole: ref('PartyRefOrPartyRoleRef') } },
  AttachmentRefOrValue: {
    type: 'object',
    required: ['@type'],
    properties: { ...extensible, ...addressable, name: str, description: str, url: str, content: str, size: ref('Quantity'), validFor: ref('TimePeriod'), attachmentType: str, mimeType: str, '@referredType': str },
  },
  // An intent's expression: IntentExpression, JsonLdExpression (a JSON-LD object) or TurtleExpression (Turtle text), by `@type`.
  IntentExpression: { type: 'object', required: ['@type'], properties: { ...extensible, iri: str, expressionValue: { anyOf: [ref('JsonLdExpressionValue'), str] } } },
  IntentExpression_FVO: { type: 'object', required: ['@type', 'iri'], properties: { ...extensible, iri: str, expressionValue: { anyOf: [ref('JsonLdExpressionValue_FVO'), str] } } },
  JsonLdExpression: { type: 'object', required: ['@type'], properties: { ...extensible, iri: str, expressionValue: ref('JsonLdExpressionValue') } },
  JsonLdExpression_FVO: { type: 'object', required: ['@type', 'iri', 'expressionValue'], properties: { ...extensible, iri: str, expressionValue: ref('JsonLdExpressionValue_FVO') } },
  TurtleExpression: { type: 'object', required: ['@type'], properties: { ...extensible, iri: str, expressionValue: str } },
  // The JSON-LD value: `@context`, `@graph` and the node attributes, any other attribute a node (the specification's context, graph and common).
  JsonLdExpressionValue: {
    type: 'object',
    properties: { '@context': obj, '@graph': arrayOf('JsonLdNode'), ...jsonLdNode('JsonLdNode') },
    additionalProperties: { anyOf: [ref('JsonLdNode')] },
  },
  JsonLdExpressionValue_FVO: {
    type: 'object',
    required: ['@type'],
    properties: { '@context': obj, '@graph': arrayOf('JsonLdNode_FVO'), ...jsonLdNode('JsonLdNode_FVO') },
    additionalProperties: { anyOf: [ref('JsonLdNode_FVO')] },
  },
  // The specification's node has no `type`: any JSON value, held to these attributes when it is an object (said as a union here, which schema converters keep).
  JsonLdNode: { anyOf: [{ type: 'object', properties: jsonLdNode('JsonLdNode'), additionalProperties: { anyOf: [ref('JsonLdNode')] } }, notAnObject] },
  JsonLdNode_FVO: { anyOf: [{ type: 'object', required: ['@type'], properties: jsonLdNode('JsonLdNode_FVO'), additionalProperties: { anyOf: [ref('JsonLdNode_FVO')] } }, notAnObject] },
  Intent: { type: 'object', required: ['@type'], properties: intentProperties('') },
  Intent_FVO: { type: 'object', required: ['@type', 'name', 'expression'], properties: intentProperties('_FVO') },
  IntentRef: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str } },
  IntentRefOrValue: { anyOf: [ref('IntentRef'), ref('Intent')] },
  IntentReport: {
    type: 'object',
    required: ['@type'],
    properties: { ...extensible, ...addressable, description: str, validFor: ref('TimePeriod'), intent: ref('IntentRefOrValue'), name: str, expression: ref('IntentExpression'), creationDate: dateTime },
  },
  IntentCreateEvent: event('intent', 'Intent'),
  IntentStatusChangeEvent: event('intent', 'Intent'),
  IntentAttributeValueChangeEvent: event('intent', 'Intent'),
  IntentDeleteEvent: event('intent', 'Intent'),
  IntentReportCreateEvent: event('intentReport', 'IntentReport'),
  IntentReportAttributeValueChange: event('intentReport', 'IntentReport'),
  IntentReportDeleteEvent: event('intentReport', 'IntentReport'),
  // An intent specification: Entity + EntitySpecification + IntentSpecification's own attributes.
  IntentSpecification: {
    type: 'object',
    required: ['@type'],
    properties: {
      ...extensible,
      ...addressable,
      name: str,
      description: str,
      lastUpdate: dateTime,
      lifecycleStatus: str,
      isBundle: bool,
      validFor: ref('TimePeriod'),
      version: str,
      attachment: arrayOf('AttachmentRefOrValue'),
      targetEntitySchema: ref('TargetEntitySchema'),
      specCharacteristic: arrayOf('CharacteristicSpecification'),
      relatedParty: arrayOf('RelatedPartyRefOrPartyRoleRef'),
      constraint: arrayOf('ConstraintRef'),
      entitySpecRelationship: arrayOf('EntitySpecificationRelationship'),
      expressionSpecification: ref('ExpressionSpecification'),
      intentSpecRelationship: arrayOf('IntentSpecificationRelationship'),
    },
  },
  ExpressionSpecification: { type: 'object', required: ['@type'], properties: { ...extensible, expressionLanguage: str, iri: str } },
  IntentSpecificationRelationship: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str, role: str, relationshipType: str, validFor: ref('TimePeriod') } },
  TargetEntitySchema: { type: 'object', properties: { '@type': str, '@schemaLocation': str } },
  ConstraintRef: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str, version: str } },
  AssociationSpecificationRef: { type: 'object', required: ['@type', 'id'], properties: { ...extensible, ...addressable, name: str, '@referredType': str } },
  EntitySpecificationRelationship: {
    type: 'object',
    properties: { href: str, name: str, role: str, validFor: ref('TimePeriod'), associationSpec: ref('AssociationSpecificationRef'), '@baseType': str, '@schemaLocation': str, relationshipType: str },
  },
  CharacteristicSpecification: {
    type: 'object',
    required: ['@type'],
    properties: {
      ...extensible,
      id: str,
      name: str,
      valueType: str,
      description: str,
      configurable: bool,
      validFor: ref('TimePeriod'),
      minCardinality: int,
      maxCardinality: int,
      isUnique: bool,
      regex: str,
      extensible: bool,
      '@valueSchemaLocation': str,
      charSpecRelationship: arrayOf('CharacteristicSpecificationRelationship'),
      characteristicValueSpecification: arrayOf('CharacteristicValueSpecification'),
    },
  },
  CharacteristicSpecificationRelationship: {
    type: 'object',
    required: ['@type'],
    properties: { ...extensible, relationshipType: str, name: str, characteristicSpecificationId: str, parentSpecificationHref: { type: 'string', format: 'uri' }, validFor: ref('TimePeriod'), parentSpecificationId: str },
  },
  CharacteristicValueSpecification: {
    type: 'object',
    required: ['@type'],
    properties: { ...extensible, valueType: str, isDefault: bool, unitOfMeasure: str, validFor: ref('TimePeriod'), valueFrom: int, valueTo: int, rangeInterval: str, regex: str },
  },
  // RFC 6902: the body of a PATCH sent as application/json-patch+json.
  JsonPatch: { type: 'object', required: ['op', 'path'], properties: { op: { type: 'string', enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] }, path: str, value: {}, from: str } },
  JsonPatchOperations: { type: 'array', items: ref('JsonPatch') },
  Hub: { type: 'object', required: ['@type', 'callback'], properties: { ...extensible, ...addressable, callback: str, query: str } },
  Hub_FVO: { type: 'object', required: ['@type', 'callback'], properties: { ...extensible, callback: str, query: str } },
  Error: { type: 'object', required: ['@type', 'code', 'reason'], properties: { ...extensible, code: str, reason: str, message: str, status: str, referenceError: str } },
};

/** TMF921 v5 as the spec readers of tmf-spec.ts take it (a `SwaggerDocument`; its paths are the routes', in tmf921-routes.ts). */
export const TMF921_V5: { basePath: string; info: { title: string; version: string }; paths: Record<string, Record<string, unknown>>; definitions: Record<string, Schema> } = {
  basePath: '/tmf-api/intentManagement/v5',
  info: { title: 'Intent Management', version: '5.0.0' },
  paths: {},
  definitions,
};
