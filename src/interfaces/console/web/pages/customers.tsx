import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { seg } from '../api';
import { count, money, percent, riskBand } from '../format';
import { navigate, useLocation } from '../router';
import { useJson } from '../use-json';

interface TwinRow {
  readonly customerId: string;
  readonly features: Readonly<Record<string, number>>;
  /** The live scores, once a model serves (null: none, as a churned twin's churn). */
  readonly scores?: { readonly churn?: number | null; readonly clv?: number | null; readonly at_risk?: number | null };
}
interface TwinPage {
  readonly items: readonly TwinRow[];
  readonly next: number | null;
  readonly twinCount: number;
}

const PAGE = 50;
/** Query parameters of the list that are not filters. */
const NOT_FILTERS = new Set(['offset', 'limit', 'sort']);
/** The filter that lists the customers at risk (the population's riskiest tenth, docs/filters.md). */
const AT_RISK_FILTER = 'at_risk.eq=1';

const churnOf = (row: TwinRow): number | null => row.scores?.churn ?? null;

/**
 * A column heading that ranks the list by its field: the first click lists the highest first
 * (`sort=-field`, a marketer's question: the riskiest, the most valuable), the next the lowest.
 */
function SortHeading({ field, label, sort, filterText }: { field: string; label: string; sort: string | null; filterText: string }) {
  const now = sort === `-${field}` ? 'descending' : sort === field ? 'ascending' : undefined;
  const next = now === 'descending' ? field : `-${field}`;
  return (
    <th scope="col" class="num" aria-sort={now ?? 'none'}>
      <a href={`/console/customers?${filterText ? filterText + '&' : ''}sort=${next}`} title={now === 'descending' ? 'List the lowest first' : 'List the highest first'}>
        {label} {now === 'descending' ? '↓' : now === 'ascending' ? '↑' : ''}
      </a>
    </th>
  );
}

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
  const sort = query.get('sort');
  const sortText = sort ? `sort=${encodeURIComponent(sort)}&` : '';
  const [id, setId] = useState('');
  const [draft, setDraft] = useState(filterText);
  const list = useJson<TwinPage>(`/twins?${filterText ? filterText + '&' : ''}${sortText}limit=${PAGE}&offset=${offset}`);
  // The score columns once a model serves (every listed twin then carries its scores).
  const withScores = list.data?.items.some((r) => r.scores !== undefined) ?? false;
  const atRiskOnly = filters.some(([k, v]) => `${k}=${v}` === AT_RISK_FILTER);
  const withoutAtRisk = filters.filter(([k, v]) => `${k}=${v}` !== AT_RISK_FILTER).map(([k, v]) => `${k}=${v}`).join('&');
  const atRiskToggle = atRiskOnly ? withoutAtRisk : [withoutAtRisk, AT_RISK_FILTER].filter(Boolean).join('&');

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
            <code>field.op=value</code>, ops <code>lt lte gt gte eq ne</code>, any feature or the live scores <code>churn</code>, <code>clv</code> and <code>at_risk</code>
          </span>
        </form>
        <p class="toolbar">
          <a href={`/console/customers${atRiskToggle || sort ? '?' : ''}${atRiskToggle}${atRiskToggle && sort ? '&' : ''}${sort ? `sort=${encodeURIComponent(sort)}` : ''}`} data-testid="at-risk-toggle">
            {atRiskOnly ? 'All customers' : 'At risk only'}
          </a>
          <span class="muted">at risk: the riskiest tenth of the active customers by the served churn model (<code>{AT_RISK_FILTER}</code>)</span>
        </p>
      </section>
      <Alert message={list.error} />
      {list.data && (
        <section class="panel">
          <h2 data-testid={list.data.items.length === 0 ? 'empty-list' : undefined}>
            {list.data.items.length === 0 ? 'No customer matches' : `${count(list.data.items.length)} customers${offset > 0 ? ' (further on)' : ''}`}{' '}
            <span class="muted">
              of {count(list.data.twinCount)} twins{filters.length > 0 ? `, where ${filterText}` : ''}
              {sort ? `, by ${sort.replace(/^-/, '')} (${sort.startsWith('-') ? 'highest' : 'lowest'} first)` : ''}
            </span>
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
                  {withScores && <SortHeading field="churn" label="Churn risk" sort={sort} filterText={filterText} />}
                  {withScores && <SortHeading field="clv" label="Lifetime value" sort={sort} filterText={filterText} />}
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
                      {/* A customer who left was one until their last plan ended: their tenure stops there. */}
                      <td class="num">{count(r.features.tenure_days)}</td>
                      <td class="num">{count(r.features.complaints_90d)}</td>
                      {withScores && (
                        <td class={`num risk ${riskBand(p)}`}>
                          {percent(p)}
                          {r.scores?.at_risk === 1 && <span class="muted"> · at risk</span>}
                        </td>
                      )}
                      {withScores && <td class="num">{money(r.scores?.clv)}</td>}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <p class="toolbar">
            {offset > 0 && <a href={`/console/customers?${filterText ? filterText + '&' : ''}${sortText}`.replace(/[?&]$/, '')}>First</a>}
            {list.data.next !== null && <a href={`/console/customers?${filterText ? filterText + '&' : ''}${sortText}offset=${list.data.next}`}>Next {PAGE}</a>}
          </p>
        </section>
      )}
    </>
  );
}
