import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import { decisionPrefixOf, variantsByDecision } from './campaign-decision-ids.js';

/** Where the answers to a campaign's offers are kept when its customers' owners are other processes (partition workers): by `<decisionId>|<answer>`. */
export const CAMPAIGN_ANSWERS = 'campaign-answers';
/**
 * A customer's answer as a campaign counts it: one per customer, whatever number of events said
 * it (a redelivered event, a decline then its window's "ignored"); an acceptance outranks a no (a
 * late acceptance after an ignored offer is an acceptance). A presentation is no answer: the
 * campaign counts it when the contact is made (campaign-state.ts statsOf).
 */
export type Answer = 'accepted' | 'declined';
/** A variant's customers by their answer. */
export interface AnswerCounts {
  accepted: number;
  declined: number;
}

/** The answer an offer event's action gives: anything but a presentation or an acceptance (declined, ignored after its window) is a no. */
export const answerOfAction = (action: string): Answer | undefined => (action === 'presented' ? undefined : action === 'accepted' ? 'accepted' : 'declined');
/** A customer's answer once `next` is heard, after `before`: accepted stays accepted. */
export const answerAfter = (before: Answer | undefined, next: Answer): Answer => (before === 'accepted' ? 'accepted' : next);

/** No answers kept by other owners: a campaign whose customers are all this process's counts its answers as they come. */
export const NO_SHARED_ANSWERS: ReadonlyMap<string, AnswerCounts> = new Map();

/**
 * The answers to a campaign's offers that its customers' owners kept in the shared store (on
 * partition workers the offer events come back to the customer's owner, not to the process
 * running the campaign), per variant, each customer counted once, by the answer that counts.
 */
export async function sharedAnswers(records: RecordStore, campaignId: string, treated: Readonly<Record<string, string>>, reasked?: Readonly<Record<string, unknown>>): Promise<Map<string, AnswerCounts>> {
  const variantOf = variantsByDecision(campaignId, treated, reasked);
  const byDecision = new Map<string, Answer>();
  const prefix = decisionPrefixOf(campaignId);
  for (let after: string | undefined; ; ) {
    const page = await records.list<unknown>(CAMPAIGN_ANSWERS, { prefix, limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
    for (const r of page) {
      const cut = r.id.lastIndexOf('|');
      const decisionId = r.id.slice(0, cut);
      const answer = answerOfAction(r.id.slice(cut + 1));
      if (answer && variantOf.has(decisionId)) byDecision.set(decisionId, answerAfter(byDecision.get(decisionId), answer));
    }
    if (page.length < MAX_PAGE_SIZE) break;
    after = page[page.length - 1].id;
  }
  const out = new Map<string, AnswerCounts>();
  for (const [decisionId, answer] of byDecision) {
    const variantId = variantOf.get(decisionId)!;
    const counts = out.get(variantId) ?? { accepted: 0, declined: 0 };
    counts[answer]++;
    out.set(variantId, counts);
  }
  return out;
}
