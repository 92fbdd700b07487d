import type { ProfileRange, ProfileView } from '../../../intelligence/profile/live-profiles';
import type { ResponseClass } from '../../../intelligence/profile/response-model';
import { count, eventTime, percent } from './format';

/**
 * A twin's response profile (`responseProfile` of `GET /twins/:id`, docs/learning.md: the
 * posterior over how the customer responds to contact, and what it expects of each offer kind
 * with its range) in the words the customer page shows it in; pure, so it is tested alone.
 */
export type ResponseProfile = ProfileView;
type OfferKind = keyof ResponseProfile['acceptance'];

/** What each response class means, in the words of the response model (intelligence/profile/response-model.ts). */
export const CLASS_MEANING: Readonly<Record<ResponseClass, string>> = {
  'sure-thing': 'stays whether contacted or not',
  'lost-cause': 'leaves whether contacted or not',
  persuadable: 'an accepted offer makes them likelier to stay',
  'sleeping-dog': 'any contact makes them likelier to leave',
};

/** One offer kind's row: how likely the customer takes it, and how likely they leave it unanswered rather than decline. */
export interface KindRow {
  readonly kind: string;
  readonly accepts: string;
  readonly ignores: string;
}

const range = (r: ProfileRange | undefined) => (r ? `${percent(r.mean)} (${percent(r.low)} to ${percent(r.high)})` : '–');

/** The classes, likeliest first, each with its probability and meaning. */
export function classLines(p: ResponseProfile): { readonly name: string; readonly probability: string; readonly meaning: string }[] {
  return (Object.entries(p.classes) as [ResponseClass, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([name, prob]) => ({ name: name.replace(/-/g, ' '), probability: percent(prob), meaning: CLASS_MEANING[name] ?? '' }));
}

/** One row per offer kind, in the profile's order. */
export function kindRows(p: ResponseProfile): KindRow[] {
  return (Object.keys(p.acceptance) as OfferKind[]).map((kind) => ({ kind: kind.replace(/_/g, ' '), accepts: range(p.acceptance[kind]), ignores: range(p.ignore[kind]) }));
}

/** Where the profile comes from: the customer's own answers and the customers it is pooled with. */
export function evidenceLine(p: ResponseProfile): string {
  // Every class alike and no answer of their own: nothing is known of them yet, which is no finding.
  const values = Object.values(p.classes);
  const flat = values.length > 0 && Math.max(...values) - Math.min(...values) < 0.005;
  const own = p.contacts === 0 && flat ? 'No answers yet: the prior (every class alike until this customer or customers like them answer)' : p.contacts === 0 ? 'No offer made to this customer yet: read from customers like them' : `From ${p.contacts} offer${p.contacts === 1 ? '' : 's'} made to this customer and their answers, pooled with customers like them`;
  const base = p.model.customers === 0 ? 'the model has not learnt from any customer\'s answers yet (it is refitted at each model check, every minute by default), so it reads with its priors' : `the model learns from the ${count(p.model.customers)} customers with answers, fitted ${eventTime(p.model.fittedAt)}`;
  return `${own}; ${base}.`;
}
