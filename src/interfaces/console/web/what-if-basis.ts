import { money, percent } from './format';

/** What a customer's what-if (`GET /twins/:id/what-if`) valued the offers on. */
export interface WhatIfBasis {
  readonly churn: number | null;
  readonly clv: number | null;
  /** `note` says why there was no score (no churn model serves yet, or the customer is not in the scored population). */
  readonly basedOn?: { readonly scored: boolean; readonly note?: string };
}

/** The what-if's basis in words: the customer's scores, or why there are none (never "0 %" for a customer not scored). */
export function whatIfBasis(w: WhatIfBasis): string {
  if (w.churn === null || w.basedOn?.scored === false) return `churn risk ${w.basedOn?.note ?? 'not scored'}; nothing is sent or logged`;
  return `churn risk now ${percent(w.churn)}, lifetime value ${money(w.clv ?? 0)}; nothing is sent or logged`;
}
