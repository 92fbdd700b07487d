import type { FastifyRequest } from 'fastify';
import type { Assist } from '../../agents/assist/assist-service.js';
import { customerYes, type CustomerYes, type CustomerYesInput } from '../../agents/assist/customer-yes.js';
import type { Actor } from '../../decisioning/policy/index.js';
import { roleAllows } from '../auth/roles.js';
import { identityOf } from './http-auth.js';

/**
 * Whether the signed-in person's accept of `decision` is the customer's yes (decision 0050,
 * `customerYes`), judged when the accept comes in: the one judgement for both ways a person
 * accepts on the line, a decision's (`POST /decisions/:id/accept`, the agent desktop) and a care
 * case's (its `agent-decision` signal). The care case's booked every person's accept as the
 * customer's yes, a call long over or a marketer's key alike.
 */
export function customerYesOf(req: FastifyRequest, actor: Actor, assist: Pick<Assist, 'contexts' | 'contactOf'>, decision: CustomerYesInput['decision']): CustomerYes {
  const { role } = identityOf(req);
  return customerYes({
    by: { id: actor.id, role, servesCustomers: roleAllows(role, 'assist:use') },
    decision,
    context: assist.contexts.get(decision.customerId),
    madeIn: assist.contactOf(decision.decisionId),
  });
}
