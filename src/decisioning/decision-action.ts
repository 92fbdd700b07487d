import type { Decision } from './decision-funnel.js';
import { ANSWER_WINDOW_MS } from './decision-record.js';
import type { CompiledOffer } from './offer-catalogue.js';
import { offeringParams } from './offering-params.js';
import { TwinloopError } from '../domain/errors.js';
import type { ActionRequestInput, Actor } from './policy/index.js';
import { personOnTheLine } from './action-contact.js';

/**
 * The one builder of an action request from a decision: what accepting a decision's card
 * (POST /decisions/ID/accept), a decision acted on at once (POST /decisions with act) and the
 * customer care flow send the guarded executor. Built in one place so that every path carries an
 * offering out alike (a service check-in with its purpose and channel, an offer presented).
 */

/** The id of the request that carries out (or would have carried out) one ranked action of a decision. */
export const decisionRequestId = (decisionId: string, actionId: string) => `${decisionId}:${actionId}`;

/**
 * Until when a decision's offer may be carried out: its answer window (ANSWER_WINDOW_MS) from when
 * it was made. After it the decision is closed (an unanswered offer counts as ignored): accepting
 * it is refused, and a request built from it carries it as `expiresAt`, so an approval decided
 * later carries nothing out (the policy's `expired` guardrail); unless the customer accepted it in
 * the window (`decisionActionRequest`'s `accepted`).
 */
export const decisionExpiresAt = (decision: Pick<Decision, 'at'>): number => decision.at + ANSWER_WINDOW_MS;

/** A decision's action request without its actor (who asks is the caller's: a person, an agent, a flow). */
export type DecisionActionRequest = Omit<ActionRequestInput, 'actor'> & { id: string; params: Record<string, unknown> };

/**
 * The action request that carries out one ranked action (`offer`, of the catalogue) of a decision:
 * its class, priced by the guarded executor from the catalogue at the customer's monthly price,
 * the decision and offer ids for the connector, and the decision's reasons as the why (the
 * executor adds the customer's facts its segments and audit read). Plain data (a flow journals it).
 *
 * `acceptedBy`: the person who accepted the action for the customer in its window, on the call or
 * the assist card (their yes is in). What is left, a person's approval where the policy asks for
 * one, waits in people's time and judges the act on the world as it then is (decision 0028), so
 * the request carries no event-clock expiry: at the sandbox's 3,600x the answer window ends
 * minutes after the acceptance, and the approval the console gives 48 hours would expire unseen.
 * It carries `customerAccepted` (acceptedRequest): an offer is then booked accepted by the back
 * end, naming that person, not presented for the customer to answer again.
 */
export function decisionActionRequest(decision: Decision, offer: CompiledOffer, options: { acceptedBy?: Pick<Actor, 'kind' | 'id'> } = {}): DecisionActionRequest {
  const actionId = offer.id;
  const ranked = decision.ranked.find((r) => r.actionId === actionId);
  const reasons = ranked && (decision.explained ? ranked.reasons : decision.reasonsOf(actionId));
  const request: DecisionActionRequest = {
    id: decisionRequestId(decision.decisionId, actionId),
    actionClass: offer.actionClass,
    channel: decision.context.channel,
    customerId: decision.customerId,
    expiresAt: decisionExpiresAt(decision),
    params: {
      offerId: actionId,
      ...offeringParams(offer, { purpose: 'care', notificationChannel: 'sms', body: ranked?.treatment?.message }),
      decisionId: decision.decisionId,
      ...(ranked?.treatment?.id === undefined ? {} : { treatment: ranked.treatment.id }),
      campaignId: `nba-${decision.context.channel}`,
      // The contact the decision was made in: a check-in SMS sent while the customer is on the line
      // answers them (no quiet hours), one sent from an app visit reaches out.
      ...(decision.context.direction === undefined ? {} : { direction: decision.context.direction }),
    },
    why: {
      summary: `next-best-action ${actionId} for ${decision.customerId} on ${decision.context.channel}`,
      evidence: { ...(ranked ? { score: ranked.score, expectedValue: ranked.expectedValue } : {}), ...(reasons ? { reasons: [...reasons] } : {}) },
    },
  };
  return options.acceptedBy ? acceptedRequest(request, options.acceptedBy) : request;
}

/**
 * A decision's action request once a person has accepted it for the customer (their yes given in
 * the contact): no event-clock expiry, and `customerAccepted` (the request's typed field, never a
 * param) for the connector (see decisionActionRequest's `acceptedBy`). For a request built before
 * the yes (the care case's card). FORBIDDEN for an acceptor who is not a person: an automated
 * caller cannot give the customer's answer; its request is presented for the customer to answer.
 */
export function acceptedRequest(request: DecisionActionRequest, by: Pick<Actor, 'kind' | 'id'>): DecisionActionRequest {
  if (by.kind !== 'human') {
    throw new TwinloopError('FORBIDDEN', `only a person serving the customer records their yes, and ${by.kind} ${by.id} is not one; carry the decision out with POST /decisions (execute: true) or POST /actions, and the offer is presented for the customer to answer`);
  }
  const { expiresAt: _expiry, ...rest } = request;
  // The customer's yes is heard only in a contact a person holds with them (a call, a chat, the
  // store): a decision made on web or app accepted by a person is presented for the customer to answer.
  return personOnTheLine({ actor: by, channel: request.channel }) ? { ...rest, customerAccepted: true } : rest;
}
