import { z } from 'zod';
import type { OnboardingInput, OnboardingResult } from '../../../agents/flows/onboarding-flow.js';
import type { WorkflowRun } from '../../../agents/workflows/index.js';
import { CHANNELS } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import { describeInputIssues } from '../../../domain/input-issues.js';
import { productIdOf, TMF629_BASE, TMF637_BASE } from './tmf629-mapping.js';

/**
 * A TMF622 order for a new line, and back: the one place that knows both an order's applicant
 * party and the onboarding flow's input (agents/flows/onboarding-flow.ts). The applicant is the
 * order's one `relatedParty` of role `applicant` (`@type` `TwinloopApplicant`, `@baseType`
 * `RelatedParty`), carrying what they present for the identity and credit checks: `name` (the
 * full name), `birthDate`, `documentType`, `documentNumber`. The item is `add`, its
 * `productOffering` the plan asked for (optional: the flow recommends one), its
 * `product.productCharacteristic` `expectedDataMb` and `expectedVoiceMin` the monthly use expected.
 * The answered order names the applicant by id only: what they presented stays on the onboarding
 * run (`GET /workflows/{id}`, personal data masked by role), out of lists and hub events.
 */

type Json = Record<string, unknown>;

/** The onboarding flow's id (agents/flows/onboarding-flow.ts `ONBOARDING_WORKFLOW_ID`), which a new line's order runs. */
export const NEW_LINE_FLOW = 'onboarding';
/** The party role that makes an order a new line. */
export const APPLICANT_ROLE = 'applicant';

const applicantParty = z.looseObject({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(200),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z.string().min(1).max(64),
});

/** Whether the order's parties name an applicant: the order is then a new line. */
export const namesApplicant = (parties: readonly Json[]): boolean => parties.some((p) => String(p.role ?? '').toLowerCase() === APPLICANT_ROLE);

/** A characteristic's number by name, or undefined. */
function numberCharacteristic(item: Json, name: string): number | undefined {
  const chars = (item.product as Json | undefined)?.productCharacteristic;
  const found = Array.isArray(chars) ? (chars as Json[]).find((c) => c.name === name) : undefined;
  if (found === undefined) return undefined;
  const value = Number(found.value);
  if (!Number.isFinite(value) || value < 0) throw new TwinloopError('BAD_INPUT', `productOrderItem[0].product.productCharacteristic ${name}: a number of at least 0 (found ${JSON.stringify(found.value)})`);
  return value;
}

/** The onboarding input a new line's order asks for; BAD_INPUT naming the order's attribute otherwise. */
export function newLineInput(parties: readonly Json[], item: Json, channel: string | undefined): OnboardingInput {
  const index = parties.findIndex((p) => String(p.role ?? '').toLowerCase() === APPLICANT_ROLE);
  if (parties.length !== 1) throw new TwinloopError('BAD_INPUT', `relatedParty: a new line names the applicant alone (${parties.length} parties given); a customer's order names the customer alone`);
  const parsed = applicantParty.safeParse(parties[index]);
  if (!parsed.success) {
    throw new TwinloopError('BAD_INPUT', `${describeInputIssues(parsed.error.issues, parties[index], { prefix: ['relatedParty', index] })}; an applicant presents id, name, birthDate (YYYY-MM-DD), documentType (passport, id_card, driving_licence) and documentNumber`);
  }
  if (item.action !== 'add') throw new TwinloopError('BAD_INPUT', `productOrderItem[0].action: "${String(item.action)}" for an applicant; a new line is added ("add", the plan as productOffering)`);
  const offering = (item.productOffering as Json | undefined)?.id;
  if (offering !== undefined && typeof offering !== 'string') throw new TwinloopError('BAD_INPUT', 'productOrderItem[0].productOffering.id: the plan asked for, a text');
  const dataMb = numberCharacteristic(item, 'expectedDataMb');
  const voiceMin = numberCharacteristic(item, 'expectedVoiceMin');
  if ((dataMb === undefined) !== (voiceMin === undefined)) throw new TwinloopError('BAD_INPUT', 'productOrderItem[0].product.productCharacteristic: give expectedDataMb and expectedVoiceMin together (the monthly use the plan should cover), or neither');
  const a = parsed.data;
  return {
    applicant: { applicantId: a.id, fullName: a.name, birthDate: a.birthDate, documentType: a.documentType, documentNumber: a.documentNumber, ...(offering ? { preferredPlanId: offering } : {}) },
    ...(dataMb !== undefined && voiceMin !== undefined ? { expectedUse: { dataMb, voiceMin } } : {}),
    ...(channel !== undefined ? { channel: channel as (typeof CHANNELS)[number] } : {}),
  };
}

/**
 * A new line's order as TMF622 has it, from its onboarding run and the state the run is in: the
 * applicant as the related party; once completed, the new customer too (TMF629) and the line as
 * the item's product (TMF637), the plan the flow chose as its offering.
 */
export function toTmfNewLine(run: WorkflowRun, state: string, customerRoot: string): Json {
  const input = run.input as OnboardingInput;
  const output = state === 'completed' ? (run.output as OnboardingResult | null) : null;
  const productRoot = customerRoot.replace(TMF629_BASE, TMF637_BASE);
  const plan = output?.planId ?? input.applicant.preferredPlanId;
  const product = output?.subscriptionId ? productIdOf(output.customerId, output.subscriptionId) : undefined;
  return {
    category: 'newLine',
    description: `New line${plan ? ` on ${plan}` : ''} for applicant ${input.applicant.applicantId}`,
    ...(input.channel ? { channel: [{ id: input.channel, role: 'salesChannel', '@referredType': 'Channel' }] } : {}),
    relatedParty: [
      { id: input.applicant.applicantId, role: APPLICANT_ROLE, '@referredType': 'Individual' },
      ...(output ? [{ id: output.customerId, href: `${customerRoot}/customer/${output.customerId}`, role: 'customer', '@referredType': 'Customer' }] : []),
    ],
    productOrderItem: [
      {
        id: '1',
        quantity: 1,
        action: 'add',
        state,
        ...(plan ? { productOffering: { id: plan, name: plan, '@referredType': 'ProductOffering' } } : {}),
        ...(product ? { product: { id: product, href: `${productRoot}/product/${product}`, '@referredType': 'Product' } } : {}),
      },
    ],
  };
}
