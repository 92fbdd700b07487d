import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import { decisionPrefixOf, variantsByDecision } from './campaign-decision-ids.js';

/** Where the answers to a campaign's offers are kept when its customers' owners are other processes (partition workers): by `<decisionId>|<answer>`. */
export const CAMPAIGN_ANSWERS = 'campaign-answers';
/** An answer as a campaign counts it. */
export type Answer = 'presented' | 'accepted' | 'declined';

/** No answers kept by other owners: a campaign whose customers are all this process's counts its answers as they come. */
export const NO_SHARED_ANSWERS: ReadonlyMap<string, Record<Answer, number>> = new Map();

/**
 * The answers to a campaign's offers that its customers' owners kept in the shared store (on
 * partition workers the offer events come back to the customer's owner, not to the process
 * running the campaign), per variant, counted once per customer and answer.
 */
export async function sharedAnswers(records: RecordStore, campaignId: string, treated: Readonly<Record<string, string>>): Promise<Map<string, Record<Answer, number>>> {
  const variantOf = variantsByDecision(campaignId, treated);
  const out = new Map<string, Record<Answer, number>>();
  const prefix = decisionPrefixOf(campaignId);
  for (let after: string | undefined; ; ) {
    const page = await records.list<unknown>(CAMPAIGN_ANSWERS, { prefix, limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
    for (const r of page) {
      const cut = r.id.lastIndexOf('|');
      const variantId = variantOf.get(r.id.slice(0, cut));
      // As one process counts them (observe): anything but presented and accepted (declined, ignored after its window) is a no.
      const action = r.id.slice(cut + 1);
      const answer: Answer = action === 'presented' || action === 'accepted' ? action : 'declined';
      if (!variantId) continue;
      const counts = out.get(variantId) ?? { presented: 0, accepted: 0, declined: 0 };
      counts[answer]++;
      out.set(variantId, counts);
    }
    if (page.length < MAX_PAGE_SIZE) return out;
    after = page[page.length - 1].id;
  }
}
