import { MONTH_MS } from '../../domain/time.js';
import { FEATURE_INDEX, type FeatureName } from '../../twin/twin-features.js';
import type { ContactRecord } from '../../twin/twin-responses.js';
import type { ChurnPeriod, ProfileEvidence } from './response-model.js';


/**
 * The pooling cell of a customer: the observable traits that the propensity to respond to
 * retention offers leans on in telecoms (contract freedom, tenure, running over the allowance,
 * payment trouble). Customers in one cell share a class prior; 16 cells keep each one populous.
 */
export function profileCell(features: Float64Array | Readonly<Record<FeatureName, number>>): string {
  const [m2m, isNew, over, late] = profileTraits(features);
  return `${m2m ? 'm2m' : 'contract'}|${isNew ? 'new' : 'settled'}|${over ? 'over' : 'within'}|${late ? 'late' : 'prompt'}`;
}

/** The traits of a customer's pooling cell, each 1 or 0: month-to-month, under two years' tenure, over the allowance lately, a late or failed payment lately. */
export function profileTraits(features: Float64Array | Readonly<Record<FeatureName, number>>): [number, number, number, number] {
  const at = (name: FeatureName) => (features instanceof Float64Array ? features[FEATURE_INDEX[name]] : features[name]);
  return [at('contract_months') === 0 ? 1 : 0, at('tenure_days') < 730 ? 1 : 0, at('months_over_allowance_3m') > 0 ? 1 : 0, at('payments_late_90d') + at('payments_failed_90d') > 0 ? 1 : 0];
}

/** A twin's evidence for its response profile: its cell, its answers and the periods watched since its last contact. */
export function profileEvidence(features: Float64Array | Readonly<Record<FeatureName, number>>, record: ContactRecord, periods: readonly ChurnPeriod[] = []): ProfileEvidence {
  return { cell: profileCell(features), answers: record.byKind, periods };
}

/**
 * The periods watched since a customer's last contact: inside the effect window (accepted or just
 * contacted) and after it (untreated), each with the churn the model expected at `hazard` a month
 * and whether the customer left in it. Times in ms; `windowMs` is the assumed effect window.
 */
export function periodsSinceContact(record: ContactRecord, hazard: number, now: number, windowMs: number): ChurnPeriod[] {
  if (!(record.lastContactAt > 0)) return [];
  const end = record.leftAt > 0 ? Math.min(record.leftAt, now) : now;
  const windowEnd = record.lastContactAt + windowMs;
  const out: ChurnPeriod[] = [];
  const inWindow = Math.max(0, Math.min(end, windowEnd) - record.lastContactAt);
  const left = record.leftAt > 0 && record.leftAt <= now;
  if (inWindow > 0) out.push({ expected: (hazard * inWindow) / MONTH_MS, churned: left && record.leftAt <= windowEnd, branch: record.lastAcceptedAt >= record.lastContactAt ? 'accepted' : 'contacted' });
  const after = Math.max(0, end - windowEnd);
  if (after > 0) out.push({ expected: (hazard * after) / MONTH_MS, churned: left && record.leftAt > windowEnd, branch: 'none' });
  return out;
}

/**
 * The period watched since a customer was **held out** at `heldOutAt` (chosen as the contacted
 * were, and left alone: a randomised control), untreated, with the churn the model expected at
 * `hazard` a month and whether the customer left in it. Beside the contacted customers' periods it
 * is the randomised comparison the response model reads the effects against: without it the
 * accepted offer's effect was read from the acceptors' own churn alone, whose untreated hazard is
 * not the others' (who accepts is self-selected). It ends at a contact since, if any.
 */
export function periodSinceHoldout(record: ContactRecord, hazard: number, heldOutAt: number, now: number): ChurnPeriod[] {
  if (record.leftAt > 0 && record.leftAt <= heldOutAt) return [];
  // Untreated until now, the customer's leaving, or a contact since (whose periods are a contact's).
  const until = record.lastContactAt > heldOutAt ? Math.min(now, record.lastContactAt) : now;
  const left = record.leftAt > heldOutAt && record.leftAt <= until;
  const end = left ? record.leftAt : until;
  if (!(end > heldOutAt)) return [];
  return [{ expected: (hazard * (end - heldOutAt)) / MONTH_MS, churned: left, branch: 'none' }];
}

/**
 * The periods of an earlier contact (or holdout) of a customer that a later one of the same agent
 * ended at `endedAt`: untreated since a holdout, or inside the contact's effect window (accepted or
 * just contacted) and untreated after it, each with the churn the model expected at `hazard` a
 * month. Nobody left in them: the customer was still there to be chosen again. Without them a
 * second contact erased the customer's earlier evidence, the twin's contact record holding only
 * the last contact: the acceptors' untreated months after their window (what the persuadables'
 * own hazard is read from) and the held out who were picked later (the survivors among the
 * randomised comparison's other arm, so that the churners were over-counted in it).
 */
export function periodsOfEndedEpisode(e: { readonly at: number; readonly heldOut: boolean; readonly accepted: boolean }, hazard: number, endedAt: number, windowMs: number): ChurnPeriod[] {
  if (!(endedAt > e.at)) return [];
  const months = (from: number, to: number) => (hazard * Math.max(0, to - from)) / MONTH_MS;
  if (e.heldOut) return [{ expected: months(e.at, endedAt), churned: false, branch: 'none' }];
  const windowEnd = Math.min(endedAt, e.at + windowMs);
  const out: ChurnPeriod[] = [{ expected: months(e.at, windowEnd), churned: false, branch: e.accepted ? 'accepted' : 'contacted' }];
  if (endedAt > windowEnd) out.push({ expected: months(windowEnd, endedAt), churned: false, branch: 'none' });
  return out;
}
