/** Next-best-action: what the decisioning layer offers to the layers above. */
export { DO_NOTHING, type DecisionOutcome, type DecisionRecord, type LoggedCandidate } from './decision-record.js';
export { parseRule, printRule, formatRuleProblem, type RuleNode, type RuleProblem, type ParseResult } from './eligibility-rule.js';
export { compileRule, evaluateRule, RuleVocabulary, RULE_SLOT, RULE_VALUE_COUNT, type CompiledRule, type CompileResult } from './rule-compiler.js';
export {
  ACTION_CLASSES,
  LIFECYCLE_STATUSES,
  loadCatalogue,
  parseCatalogue,
  productOfferingSchema,
  type ActionClass,
  type CatalogueDocument,
  type CatalogueProblem,
  type CatalogueResult,
  type CompiledOffer,
  type OfferCatalogue,
  type ProductOffering,
} from './offer-catalogue.js';
export { DEFAULT_CATALOGUE_DOCUMENT, defaultCatalogue } from './default-catalogue.js';
export { ContactLedger, type ContactEntry, type ContactResponse, type ContactSummary } from './contact-ledger.js';
export {
  contactPolicySchema,
  DEFAULT_CONTACT_POLICY,
  resolveContactPolicy,
  type ContactPolicy,
  type ContactPolicyInput,
} from './contact-policy.js';
export { contextKeyOf, PriorAcceptance, riskBandOf, RISK_BANDS, type AcceptanceModel, type RiskBand } from './acceptance-model.js';
export { DEFAULT_THOMPSON, type CustomerScores, type Exploration, type UpliftEstimate } from './arbitration.js';
export {
  DecisionFunnel,
  decideForTwin,
  DEFAULT_MAX_CANDIDATES,
  type Decision,
  type DecisionContext,
  type DiscardedAction,
  type FunnelOptions,
  type FunnelStep,
  type RankedAction,
  type TwinSource,
} from './decision-funnel.js';
export { syntheticCatalogueDocument, syntheticFeatures } from './synthetic-catalogue.js';
