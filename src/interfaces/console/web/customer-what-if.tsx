import { useState } from 'preact/hooks';
import { Alert } from './alert';
import { seg } from './api';
import { money, percent } from './format';
import { useJson } from './use-json';
import { whatIfBasis, type WhatIfBasis } from './what-if-basis';

/** One offering in `GET /twins/:id/what-if`. */
interface OfferWhatIf {
  readonly actionId: string;
  readonly name: string;
  readonly actionClass: string;
  readonly eligible: boolean;
  readonly funnel: { readonly step: 'proposed'; readonly rank: number } | { readonly step: string; readonly reason: string };
  readonly acceptance: number;
  readonly churnNow: number | null;
  readonly churnIfAccepted: number | null;
  readonly expectedChurn: number | null;
  readonly deltaLifetimeValue: number;
  readonly costIfAccepted: number;
  readonly costPerContact: number;
  readonly revenueIfAccepted: number;
  readonly valueIfAccepted: number;
  readonly expectedValue: number;
}
interface CustomerWhatIf extends WhatIfBasis {
  readonly channel: string;
  readonly offers: readonly OfferWhatIf[];
}

/** The contacts an offer can be made in (the channels of the event vocabulary). */
const CHANNELS = ['call', 'chat', 'store', 'app', 'web'] as const;

/**
 * A what-if for one customer: what each eligible offering is expected to do to their churn and to
 * the operator's value if it were made now in the chosen contact, in next-best-action's own
 * numbers, and whether it would propose it (or why not). Nothing is logged or carried out.
 */
export function CustomerWhatIf({ id }: { id: string }) {
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>('call');
  const answer = useJson<CustomerWhatIf>(`/twins/${seg(id)}/what-if?channel=${channel}`);
  const w = answer.data;
  const eligible = w?.offers.filter((o) => o.eligible) ?? [];
  const other = w?.offers.filter((o) => !o.eligible) ?? [];
  return (
    <section class="panel wide" aria-labelledby="what-if-title">
      <h2 id="what-if-title">What if: each offer for this customer</h2>
      <p class="toolbar">
        <label>
          Made in a{' '}
          <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value as (typeof CHANNELS)[number])}>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>{' '}
          contact now
        </label>
        {w && <span class="muted" data-testid="what-if-basis">{whatIfBasis(w)}</span>}
      </p>
      <Alert message={answer.error} />
      {w && eligible.length === 0 && <p class="muted">No offering of the catalogue is open to this customer now.</p>}
      {eligible.length > 0 && (
        <table data-testid="what-if">
          <caption class="muted">
            Expected churn = churn now − P(accept) × the reduction if accepted; value if accepted = Δ lifetime value + revenue − cost if accepted; expected value = P(accept) × value if accepted − cost per contact
          </caption>
          <thead>
            <tr>
              <th scope="col">Offer</th>
              <th scope="col" class="num">P(accept)</th>
              <th scope="col" class="num">Churn if accepted</th>
              <th scope="col" class="num">Expected churn</th>
              <th scope="col" class="num">Δ lifetime value if accepted</th>
              <th scope="col" class="num">Revenue if accepted</th>
              <th scope="col" class="num">Cost if accepted</th>
              <th scope="col" class="num">Value if accepted</th>
              <th scope="col" class="num">Cost per contact</th>
              <th scope="col" class="num">Expected value</th>
              <th scope="col">Next-best-action</th>
            </tr>
          </thead>
          <tbody>
            {eligible.map((o) => (
              <tr key={o.actionId}>
                <th scope="row">
                  {o.name} <span class="muted">({o.actionId})</span>
                </th>
                <td class="num">{percent(o.acceptance)}</td>
                <td class="num">{o.churnNow === null ? '–' : `${percent(o.churnNow)} → ${percent(o.churnIfAccepted)}`}</td>
                <td class="num">{percent(o.expectedChurn)}</td>
                {/* Each term of the caption's formulas in its own column: a cost column of both costs
                    summed, and no revenue or value column, left the expected value unexplained. */}
                <td class="num">{money(o.deltaLifetimeValue)}</td>
                <td class="num">{money(o.revenueIfAccepted)}</td>
                <td class="num">{money(o.costIfAccepted)}</td>
                <td class="num">{money(o.valueIfAccepted)}</td>
                <td class="num">{money(o.costPerContact)}</td>
                <td class="num">{money(o.expectedValue)}</td>
                <td>{'rank' in o.funnel ? `proposes it (#${o.funnel.rank})` : `not now (${o.funnel.step}): ${o.funnel.reason}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {other.length > 0 && (
        <details>
          <summary>Not eligible ({other.length})</summary>
          <ul>
            {other.map((o) => (
              <li key={o.actionId}>
                {o.name}: {'reason' in o.funnel ? o.funnel.reason : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
