/** What an approval asks for, as its request holds it (the action request: what is done, to whom, with what). */
export interface AskedAction {
  readonly actionClass?: string;
  /** The action's own parameters: the offer made (`offerId`), the plan changed to (`planId`), the add-on (`addonId`). */
  readonly params?: Readonly<Record<string, unknown>>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * The head of an approval's card: the action's class and what it is of: the offer it makes, the
 * plan it changes to, the add-on it adds (`offer retain-10`, `plan_change upgrade to fibre-l`,
 * `addon data-5gb`). The offer is the request's `params.offerId`: the card read a top-level
 * `offerId` no request carries, and showed no offer at all.
 */
export function approvalTitle(r: AskedAction): string {
  const p = r.params ?? {};
  const offer = text(p.offerId);
  const addon = text(p.addonId);
  const plan = text(p.planId);
  return [r.actionClass ?? 'action', offer, addon, plan ? `to ${plan}` : null].filter((x) => x !== null).join(' ');
}
