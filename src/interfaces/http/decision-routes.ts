import { z } from 'zod';
import { decisionAnswer } from '../../decisioning/decision-answer.js';
import { CHOICE_MODES } from '../../decisioning/decision-choice.js';
import { DO_NOTHING } from '../../decisioning/decision-record.js';
import { productOfferingSchema } from '../../decisioning/offer-catalogue.js';
import { channelSchema } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { MAX_DECLINE_REASON } from '../../agents/governance/declined-action.js';
import { decisionExpiresAt, decisionRequestId } from '../../decisioning/decision-action.js';
import type { Assist } from '../../agents/assist/assist-service.js';
import { actionForDecision } from '../runtime/decision-actions.js';
import { customerYesOf } from './customer-yes-of.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { documentedAs, errors, idParams, isoTime, list } from './api-schemas.js';
import { guardedAnswer, guardedResult } from './governance-schemas.js';
import { actorFor, requireActionChannel, requireChannel, requireCustomer, requirePermission } from './http-auth.js';
import type { RouteModule } from './route-module.js';

const decideBody = z
  .strictObject({
    customerId: z.string().min(1).max(200),
    channel: channelSchema,
    reason: z.string().min(1).max(64).optional().describe('Why the customer is in contact, e.g. billing_question'),
    direction: z.enum(['inbound', 'outbound']).optional(),
    execute: z.boolean().default(false).describe('Execute the chosen action now (through the action policy); default: recommend only'),
    explain: z
      .boolean()
      .default(false)
      .describe('The full answer: every ranked action with its reasons in words, and every discarded offer with the funnel step that removed it and why (default: the choice and why, the best three ranked actions and the chosen one, and counts)'),
  })
  .meta({ examples: [{ customerId: 'C000001', channel: 'call', reason: 'billing_question' }] });
const acceptBody = z
  .strictObject({
    actionId: z.string().min(1).optional().describe("The action accepted (default: the decision's chosen one)"),
    agentId: z.string().min(1).max(200).optional().describe("The person who accepted it: always the credential's holder; a body may name only the caller itself"),
  })
  .meta({ examples: [{ actionId: 'retain-10' }] });
const acceptAnswer = guardedResult.extend({
  customerYes: z
    .object({ recorded: z.boolean(), reason: z.string() })
    .describe("Whether the accept was booked as the customer's yes (an offer booked accepted, naming the person) or the action presented for the customer to answer, and why: a yes is recorded only by a person who serves customers (assist:use), on call, chat or store, while the interaction the decision was made in is still in progress"),
});

const declineBody = z
  .strictObject({
    actionId: z.string().min(1).describe('The ranked action declined'),
    reason: z.string().trim().min(1, 'say why you decline it (e.g. "customer already has a data bonus"): it is kept on the timeline and in the audit trail').max(MAX_DECLINE_REASON),
    agentId: z.string().min(1).max(200).optional().describe("The person who declined it: always the credential's holder; a body may name only the caller itself"),
  })
  .meta({ examples: [{ actionId: 'retain-10', reason: 'customer is moving abroad next month' }] });
const declined = z.object({
  status: z.literal('declined'),
  requestId: z.string().describe('The request id the action would have carried'),
  eventId: z.string().describe("The `action` event (status declined) on the customer's timeline"),
  auditSeq: z.number().int().describe('The `action.declined` entry of the audit trail'),
  at: isoTime,
  reason: z.string(),
});

const whatIfQuery = z
  .strictObject({
    channel: channelSchema.default('call').describe('The contact the offers would be made in (default call)'),
    reason: z.string().min(1).max(64).optional().describe('Why the customer is in contact, e.g. billing_question'),
  })
  .meta({ examples: [{ channel: 'call', reason: 'billing_question' }] });
const scoreBasis = z
  .union([
    z.object({ scored: z.literal(true), churn: z.number().describe("The churn risk the offers were valued on (the churn model's horizon)"), clv: z.number().describe('The lifetime value they were valued on') }),
    z.object({ scored: z.literal(false), churn: z.null(), clv: z.null(), note: z.string().describe('Why the customer has no score (e.g. no churn model serves yet: the first start trains one) and what the offers were valued on instead') }),
  ])
  .describe('What the offers were valued on: the live churn risk and lifetime value, or why there were none');
const funnelStep = z.enum(['eligibility', 'applicability', 'suitability', 'contact-policy', 'arbitration']);
const whatIf = z.object({
  customerId: z.string(),
  at: isoTime,
  channel: channelSchema,
  contextKey: z.string(),
  churn: z.number().nullable().describe("Churn probability now, within the churn model's horizon; null when the customer has no score (`basedOn.note` says why)"),
  clv: z.number().nullable().describe('Customer lifetime value; null when the customer has no score'),
  basedOn: scoreBasis,
  offers: list(
    z.object({
      actionId: z.string(),
      name: z.string(),
      actionClass: z.string(),
      eligible: z.boolean().describe('The offering is live, valid now, and its eligibility rule holds for the customer'),
      funnel: z.union([z.object({ step: z.literal('proposed'), rank: z.number().int() }), z.object({ step: funnelStep, reason: z.string() })]).describe('Whether next-best-action would propose it now, or the step that removes it and why'),
      acceptance: z.number().describe('P(accept) in this context'),
      churnNow: z.number().nullable().describe('null when the customer has no score'),
      churnIfAccepted: z.number().nullable(),
      expectedChurn: z.number().nullable().describe('Churn expected when the offer is made: now − P(accept) × the reduction if accepted'),
      deltaLifetimeValue: z.number().describe('Δ lifetime value if accepted'),
      costIfAccepted: z.number(),
      costPerContact: z.number(),
      revenueIfAccepted: z.number().describe("Revenue the offering brings if accepted (an add-on's price, say; 0 for a discount)"),
      valueIfAccepted: z.number().describe('Δ lifetime value + revenue − cost, if accepted'),
      expectedValue: z.number().describe('P(accept) × value if accepted − cost per contact'),
    }),
  ),
}).meta({ id: 'CustomerWhatIf', description: 'What each offering is expected to do to one customer’s churn and value if made now; nothing is logged or carried out' });

const decision = z.object({
  decisionId: z.string(),
  customerId: z.string(),
  at: isoTime,
  context: z.object({ channel: channelSchema, reason: z.string().optional(), direction: z.enum(['inbound', 'outbound']) }),
  contextKey: z.string(),
  chosen: z.string(),
  choice: z
    .object({
      mode: z.enum(CHOICE_MODES).describe('exploit: the highest expected score; explore: another ranked action, tried for what it may teach; guarded: nothing passed the guards'),
      actionId: z.string().describe('The chosen action (as `chosen`)'),
      bestActionId: z.string().describe('The action the expected scores favour'),
      reason: z.string().describe('The choice in words, starting with its mode'),
      cost: z.number().describe('Expected score given up now by not taking the best (0 when exploiting)'),
      probabilityBest: z.number().optional().describe("Share of the posterior draws the chosen action won (Thompson sampling)"),
      valueOfInformation: z.number().optional().describe('E[best score of a posterior draw − its score of the best-expected action]: what knowing the acceptances exactly would add to this decision'),
      belief: z.object({ offerId: z.string(), mean: z.number(), sd: z.number(), weight: z.number().describe('α + β: prior and evidence in pseudo-observations') }).optional().describe("When exploring: the uncertain offer's acceptance in the decision's context"),
    })
    .describe('Why `chosen` was chosen (docs/decisioning.md, "Exploit, explore, guarded")'),
  basedOn: scoreBasis,
  ranked: list(
    z.object({
      actionId: z.string(),
      name: z.string(),
      treatment: z.object({ id: z.string(), name: z.string(), message: z.string() }).nullable(),
      score: z.number().describe('Expected value × the context weight, to 1/10,000 of a currency unit'),
      expectedValue: z.number().describe('To 1/10,000 of a currency unit'),
      propensity: z.number().describe("Probability this action was chosen by the arbitration's draw (sums to 1 over all the ranked actions; `rankedCount`): not the customer's chance of accepting"),
      reasons: list(z.string()).optional().describe('With `explain: true`'),
    }),
  ).describe('Best expected score first: with `explain: true` every ranked action, else the best three and the chosen one'),
  rankedCount: z.number().int().describe('How many actions were ranked (do-nothing among them)'),
  discarded: list(
    z.object({
      actionId: z.string(),
      step: z.enum(['eligibility', 'applicability', 'suitability', 'contact-policy', 'arbitration']),
      reason: z.string().optional(),
    }),
  )
    .optional()
    .describe('With `explain: true`: every offer the funnel removed, the step that removed it and why'),
  discardedCount: z.number().int().describe('How many offers the funnel removed'),
  execution: guardedResult.optional().describe('With `execute: true`: what the policy made of the chosen action'),
}).meta({ id: 'Decision', description: 'The choice and why, with the best ranked actions; with `explain: true` every ranked action with its reasons and every discarded offer with the funnel step that removed it and why' });

// Named for the document only: offerings are written and answered as ProductOfferingInput (the catalogue validates them).
productOfferingSchema.meta({ id: 'ProductOffering', description: 'A TMF620 product offering with what next-best-action needs (docs/decisioning.md)' });
/** Offerings are answered as written (defaults left out): what the ProductOfferingInput component describes. */
const offering = documentedAs('ProductOfferingInput');
const catalogue = z.looseObject({ id: z.string().optional(), name: z.string().optional(), version: z.number().int().describe('The stored version, for optimistic concurrency'), productOffering: list(offering) });
const catalogueBody = z
  .looseObject({
    version: z.union([z.number().int(), z.string()]).optional().describe('The stored version last read (a number): the write fails with 409 when another came first'),
    productOffering: z.array(offering).min(1),
  })
  .describe('ProductOfferings (ProductOfferingInput); every problem is named with its path')
  .meta({ examples: [{ productOffering: [{ id: 'retain-10', name: '10 % loyalty discount', actionClass: 'discount', productOfferingPrice: { priceType: 'discount', percentage: 10 }, treatments: [{ id: 't', name: 'T', message: 'Thanks for staying' }] }] }] });
const offeringBody = documentedAs('ProductOfferingInput')
  .describe("A ProductOffering; its id is the path's")
  .meta({ examples: [{ name: 'Data bonus', actionClass: 'offer', productOfferingPrice: { priceType: 'oneTime' }, treatments: [{ id: 't', name: 'T', message: '5 GB on us' }], eligibility: 'months_over_allowance_3m >= 1' }] });

/**
 * Next-best-action over HTTP: `POST /decisions` (the funnel's answer, optionally executed),
 * `POST /decisions/:id/accept` (a person accepted an action on the assist card: it executes
 * through the policy with that person as the actor), and the offer catalogue as TM Forum TMF620
 * product offerings (`/productOffering`, `/catalogue`). `assist`: the customers' interactions (the
 * omnichannel context) and the interaction each card's decision was made in, which say whether the
 * contact a decision was made in is still in progress when a person accepts its action.
 */
export function decisionRoutes(s: OperatorServices, assist: Pick<Assist, 'contexts' | 'contactOf'>): RouteModule {
  const find = (id: string) => s.decisions.catalogueDocument().document.productOffering.find((o) => (o as { id?: string }).id === id) as Record<string, unknown> | undefined;
  return (app) => {
    app.post(
      '/decisions',
      {
        schema: {
          summary: 'Next-best-action: the choice and why, the best ranked actions with expected value and propensity; `explain: true` adds every ranked action with its reasons and each discarded offer with the funnel step that removed it (docs/decisioning.md). `execute: true` carries out the chosen action under the policy.',
          body: decideBody,
          response: { 200: decision, ...errors(400, 404) },
        },
      },
      async (req) => {
        const body = req.body;
        // Compact unless asked: the funnel then writes no sentences (the same choice; reasonsOf writes them for an action's evidence).
        // The caller's direction is taken only from a person on an assisted channel (judgedDirection): an AI agent's key is answered as for an outbound contact.
        const made = s.decisions.decide(body.customerId, { ...body, asker: actorFor(req) });
        const answer = decisionAnswer(made, body.explain);
        if (!body.execute || made.chosen.actionId === DO_NOTHING) return answer;
        requirePermission(req, 'actions:request', 'execute a decision (execute: true)');
        const asked = actionForDecision(s, made, made.chosen.actionId, actorFor(req));
        requireActionChannel(req, asked);
        // The guarded executor logs the decision before it acts on it (decisionLogged).
        return { ...answer, execution: guardedAnswer(await s.guarded.execute(asked)) };
      },
    );
    app.post(
      '/decisions/:id/accept',
      {
        schema: {
          summary: "A person accepted an action of a recent decision (e.g. on the assist card): it executes through the policy with that person as the actor; the customer's yes is recorded (an offer booked accepted) only for a person who serves customers (assist:use) in a contact they hold (call, chat, store) that is still in progress (the interaction the decision was made in, not ended), else the offer is presented for the customer to answer; `customerYes` says which and why",
          params: idParams,
          body: acceptBody,
          response: { 200: acceptAnswer, ...errors(400, 404, 409) },
        },
      },
      async (req) => {
        const made = s.decisions.get(req.params.id);
        if (!made) throw new TwinloopError('NOT_FOUND', `no recent decision ${req.params.id}; decide again with POST /decisions`);
        // A decision's offer holds for its answer window only: accepted weeks later, it would present an offer made on another day's facts, in a contact long over.
        const expiresAt = decisionExpiresAt(made);
        if (s.clock.now() >= expiresAt) {
          throw new TwinloopError('CONFLICT', `decision ${made.decisionId} expired at ${new Date(expiresAt).toISOString()}: made at ${new Date(made.at).toISOString()}, its offer held for ${Math.round((expiresAt - made.at) / 86_400_000)} days; decide again with POST /decisions`);
        }
        const actionId = req.body.actionId ?? made.chosen.actionId;
        if (actionId === DO_NOTHING) throw new TwinloopError('BAD_INPUT', 'the decision chose to do nothing; name an actionId of its ranked actions to accept one');
        if (!made.ranked.some((r) => r.actionId === actionId)) {
          throw new TwinloopError('BAD_INPUT', `action ${actionId} is not among decision ${made.decisionId}'s ranked actions (${made.ranked.map((r) => r.actionId).join(', ')})`);
        }
        requireCustomer(req, made.customerId);
        // Accepted in its window: what is left is a person's approval, if the policy asks one, in people's time (decision 0028).
        // The customer's yes needs a person on the line (decision 0050): one who serves customers
        // (assist:use; a marketer's accept carries the action out for the customer to answer), in the
        // contact the decision was made in, still in progress (a card reopened or kept open after the call has nobody on the line).
        // (An automated caller's accept is refused by the one builder, acceptedRequest, saying who may.)
        const actor = actorFor(req, req.body.agentId);
        const yes = customerYesOf(req, actor, assist, { decisionId: made.decisionId, customerId: made.customerId, channel: made.context.channel, at: made.at });
        const asked = actionForDecision(s, made, actionId, actor, { accepted: actor.kind !== 'human' || yes.recorded });
        requireActionChannel(req, asked);
        return { ...guardedAnswer(await s.guarded.execute(asked)), customerYes: yes };
      },
    );

    app.post(
      '/decisions/:id/decline',
      {
        schema: {
          summary: "A person declined an action of a recent decision (e.g. on the assist card), saying why: nothing is carried out; the reason goes on the customer's timeline (an `action` event, status declined) and into the audit trail (action.declined)",
          params: idParams,
          body: declineBody,
          response: { 200: declined, ...errors(400, 404) },
        },
      },
      async (req) => {
        const made = s.decisions.get(req.params.id);
        if (!made) throw new TwinloopError('NOT_FOUND', `no recent decision ${req.params.id}; decide again with POST /decisions`);
        const { actionId, reason } = req.body;
        if (actionId === DO_NOTHING) throw new TwinloopError('BAD_INPUT', 'do nothing is no action to decline; name an actionId of the ranked actions');
        if (!made.ranked.some((r) => r.actionId === actionId)) {
          throw new TwinloopError('BAD_INPUT', `action ${actionId} is not among decision ${made.decisionId}'s ranked actions (${made.ranked.map((r) => r.actionId).join(', ')})`);
        }
        requireChannel(req, made.context.channel);
        requireCustomer(req, made.customerId);
        const offer = s.decisions.catalogue.byId.get(actionId);
        if (!offer) throw new TwinloopError('NOT_FOUND', `offering ${actionId} is no longer in the catalogue`);
        const requestId = decisionRequestId(made.decisionId, actionId);
        const by = actorFor(req, req.body.agentId);
        const recorded = await s.declineAction({ requestId, decisionId: made.decisionId, customerId: made.customerId, actionClass: offer.actionClass, channel: made.context.channel, offerId: actionId, by, reason });
        return { status: 'declined' as const, requestId, ...recorded, reason };
      },
    );
    app.get(
      '/twins/:id/what-if',
      {
        schema: {
          summary: "A what-if for one customer: what each offering is expected to do to their churn and value if made now in this contact (next-best-action's numbers per offering, and whether it would propose it); nothing is logged or carried out",
          params: idParams,
          querystring: whatIfQuery,
          response: { 200: whatIf, ...errors(400, 404) },
        },
      },
      async (req) => {
        const w = s.decisions.whatIf(req.params.id, { channel: req.query.channel, reason: req.query.reason, asker: actorFor(req) });
        return { ...w, at: new Date(w.at).toISOString() };
      },
    );
    app.get('/catalogue', { schema: { summary: 'The offer catalogue (TMF620 product offerings) with its version', response: { 200: catalogue } } }, async () => {
      const { document, version } = s.decisions.catalogueDocument();
      return { ...document, version };
    });
    app.put(
      '/catalogue',
      { schema: { summary: 'Replace the catalogue; every problem is named with its path; `version` gives optimistic concurrency', body: catalogueBody, response: { 200: catalogue, ...errors(400, 409) } } },
      async (req) => {
        const { version, ...document } = req.body;
        const saved = await s.decisions.replaceCatalogue(document, typeof version === 'number' ? version : undefined);
        return { ...saved.document, version: saved.version };
      },
    );
    app.get('/productOffering', { schema: { summary: 'The product offerings (TMF620)', response: { 200: list(offering) } } }, async () => s.decisions.catalogueDocument().document.productOffering as Record<string, unknown>[]);
    app.get('/productOffering/:id', { schema: { summary: 'One product offering', params: idParams, response: { 200: offering, ...errors(404) } } }, async (req) => {
      const found = find(req.params.id);
      if (!found) throw new TwinloopError('NOT_FOUND', `no product offering "${req.params.id}"; GET /productOffering lists them`);
      return found;
    });
    app.put(
      '/productOffering/:id',
      { schema: { summary: 'Create or replace a product offering (eligibility rules are parsed and checked)', params: idParams, body: offeringBody, response: { 200: offering, ...errors(400, 409) } } },
      async (req) => {
        if (req.body.id !== undefined && req.body.id !== req.params.id) throw new TwinloopError('BAD_INPUT', `body id "${String(req.body.id)}" differs from the path's "${req.params.id}"`);
        await s.decisions.putOffering({ ...req.body, id: req.params.id });
        return find(req.params.id)!;
      },
    );
    app.delete(
      '/productOffering/:id',
      { schema: { summary: 'Remove a product offering', params: idParams, response: { 204: z.undefined().describe('Removed'), ...errors(404, 409) } } },
      async (req, reply) => {
        await s.decisions.deleteOffering(req.params.id);
        return reply.status(204).send();
      },
    );
  };
}
