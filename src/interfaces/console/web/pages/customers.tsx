import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { seg } from '../api';
import { count, money, percent, riskBand } from '../format';
import { navigate, useLocation } from '../router';
import { useJson } from '../use-json';

interface TwinRow {
  readonly customerId: string;
  readonly features: Readonly<Record<string, number>>;
  readonly scores?: { readonly churn?: { readonly probability: number | null } | number; readonly clv?: unknown };
}
interface TwinPage {
  readonly items: readonly TwinRow[];
  readonly next: number | null;
  readonly twinCount: number;
}

const PAGE = 50;
/** Query parameters of the list that are not filters. */
const NOT_FILTERS = new Set(['offset', 'limit']);

const churnOf = (row: TwinRow): number | null => {
  const c = row.scores?.churn;
  if (typeof c === 'number') return c;
  return c?.probability ?? null;
};

/**
 * Find a customer: by id (straight to their page), or by filters on features and live scores in
 * the query-string form of `/twins` (`churn.gte=0.2&contract_months.eq=0`, docs/filters.md). The
 * filters live in the address, so a list is a link (the overview's numbers point here).
 */
export function Customers() {
  const { query } = useLocation();
  const filters = [...query.entries()].filter(([k]) => !NOT_FILTERS.has(k));
  const filterText = filters.map(([k, v]) => `${k}=${v}`).join('&');
  const offset = Number(query.get('offset') ?? 0) || 0;
  const [id, setId] = useState('');
  const [draft, setDraft] = useState(filterText);
  const list = useJson<TwinPage>(`/twins?${filterText ? filterText + '&' : ''}limit=${PAGE}&offset=${offset}`);
  const withChurn = list.data?.items.some((r) => churnOf(r) !== null) ?? false;

  return (
    <>
      <section class="panel">
        <form
          class="toolbar"
          role="search"
          aria-label="Find a customer by id"
          onSubmit={(e) => {
            e.preventDefault();
            if (id.trim()) navigate(`/console/customers/${seg(id.trim())}`);
          }}
        >
          <label>
            Customer id <input name="customerId" value={id} placeholder="C000001" onInput={(e) => setId((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Open</button>
        </form>
        <form
          class="toolbar"
          role="search"
          aria-label="Filter customers"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(`/console/customers${draft.trim() ? '?' + draft.trim().replace(/^\?/, '') : ''}`);
          }}
        >
          <label class="grow">
            Filters <input name="filters" value={draft} size={48} placeholder="churn.gte=0.2&contract_months.eq=0" onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Search</button>
          <span class="muted">
            <code>field.op=value</code>, ops <code>lt lte gt gte eq ne</code>, any feature or the live scores <code>churn</code> and <code>clv</code>
          </span>
        </form>
      </section>
      <Alert message={list.error} />
      {list.data && (
        <section class="panel">
          <h2 data-testid={list.data.items.length === 0 ? 'empty-list' : undefined}>
            {list.data.items.length === 0 ? 'No customer matches' : `${count(list.data.items.length)} customers${offset > 0 ? ' (further on)' : ''}`}{' '}
            <span class="muted">of {count(list.data.twinCount)} twins{filters.length > 0 ? `, where ${filterText}` : ''}</span>
          </h2>
          {list.data.items.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Status</th>
                  <th scope="col">Segment</th>
                  <th scope="col" class="num">Monthly price</th>
                  <th scope="col" class="num">Last bill</th>
                  <th scope="col" class="num">Tenure (days)</th>
                  <th scope="col" class="num">Complaints 90 d</th>
                  {withChurn && <th scope="col" class="num">Churn risk</th>}
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((r) => {
                  const p = churnOf(r);
                  return (
                    <tr key={r.customerId}>
                      <th scope="row">
                        <a href={`/console/customers/${seg(r.customerId)}`}>{r.customerId}</a>
                      </th>
                      {/* A churned customer keeps its twin (its history is the models' data) but has no plan: its 0.00 is not a price. */}
                      <td>{r.features.churned ? <strong>churned</strong> : 'active'}</td>
                      <td>
                        {r.features.is_business ? 'business' : 'consumer'}, {r.features.is_prepaid ? 'prepaid' : 'postpaid'}
                      </td>
                      <td class="num">{money(r.features.monthly_price)}</td>
                      <td class="num">{money(r.features.bill_last)}</td>
                      {/* The twin's tenure counts on from the start date after a churn (the models read it so); the list shows none for one who left. */}
                      <td class="num">{r.features.churned ? <span title="left: no tenure counts after a churn">–</span> : count(r.features.tenure_days)}</td>
                      <td class="num">{count(r.features.complaints_90d)}</td>
                      {withChurn && <td class={`num risk ${riskBand(p)}`}>{percent(p)}</td>}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <p class="toolbar">
            {offset > 0 && <a href={`/console/customers${filterText ? '?' + filterText : ''}`}>First</a>}
            {list.data.next !== null && <a href={`/console/customers?${filterText ? filterText + '&' : ''}offset=${list.data.next}`}>Next {PAGE}</a>}
          </p>
        </section>
      )}
    </>
  );
}
