import type { Decision } from '../../decisioning/decision-funnel.js';
import { decisionActionRequest } from '../../decisioning/decision-action.js';
import type { ActionRequestInput, Actor } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from './operator-services.js';

/**
 * The action request that carries out one ranked action of a decision, as the operator's
 * catalogue has it now (decisionActionRequest, the one builder), asked by `actor`; `accepted` where
 * the actor accepted it for the customer, their yes (a person only, FORBIDDEN otherwise; no
 * event-clock expiry: see decisionActionRequest).
 */
export function actionForDecision(s: OperatorServices, decision: Decision, actionId: string, actor: Actor, options: { accepted?: boolean } = {}): ActionRequestInput {
  const offer = s.decisions.catalogue.byId.get(actionId);
  if (!offer) throw new TwinloopError('NOT_FOUND', `offering ${actionId} is no longer in the catalogue`);
  return { ...decisionActionRequest(decision, offer, options.accepted ? { acceptedBy: actor } : {}), actor };
}
