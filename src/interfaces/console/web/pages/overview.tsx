import type { ComponentChildren } from 'preact';
import { count, money, percent } from '../format';
import { may, useIdentity } from '../identity';
import { twinsDetail } from '../twins-count';
import { useJson } from '../use-json';

interface Population {
  readonly asOf: string | null;
  readonly twins: number;
  readonly risk: {
    readonly scored: number;
    readonly churned: number;
    readonly horizonDays: number;
    readonly modelId: string;
    readonly bands: readonly { from: number; to: number | null; customers: number }[];
    readonly expectedChurners: number;
    readonly valueAtRisk: number;
    readonly lifetimeValue: number;
    /** "At risk": the level the riskiest `share` start at, and the customers at it or above; null while not known. */
    readonly atRisk: { readonly churn: number; readonly share: number; readonly of: number; readonly over: string; readonly customers: number } | null;
  } | null;
  readonly note?: string;
}
/** The churn risk from which the overview lists customers (a boundary of the population's bands). */
const HIGH_RISK = 0.2;
/** Customers in the bands at or above `HIGH_RISK`: those the expected-churn tile's link lists. */
const highRisk = (risk: NonNullable<Population['risk']>) => risk.bands.filter((b) => b.from >= HIGH_RISK).reduce((n, b) => n + b.customers, 0);

interface ModelVersion {
  readonly id: string;
  readonly status: string;
  readonly metrics?: { readonly auc?: number };
}
interface Named {
  readonly status: string;
}
interface IntentRecord {
  readonly intent: { readonly lifecycleStatus: string };
}

/** A number with its label; `href` makes it a link to the page that lists what it counts. */
function Tile({ label, value, href, detail, testId }: { label: string; value: ComponentChildren; href?: string; detail?: ComponentChildren; testId?: string }) {
  const body = (
    <>
      <span class="tile-value" data-testid={testId}>
        {value}
      </span>
      <span class="tile-label">{label}</span>
      {detail && <span class="tile-detail">{detail}</span>}
    </>
  );
  return href ? (
    <a class="tile" href={href}>
      {body}
    </a>
  ) : (
    <div class="tile">{body}</div>
  );
}

const byStatus = (items: readonly Named[] | undefined, statuses: readonly string[]) => (items ? items.filter((i) => statuses.includes(i.status)).length : undefined);

/** The churn-risk bands as bars, each a link to the customers in it. */
function RiskBands({ risk }: { risk: NonNullable<Population['risk']> }) {
  const most = Math.max(1, ...risk.bands.map((b) => b.customers));
  return (
    <section class="panel" aria-labelledby="bands-title">
      <h2 id="bands-title">
        Churn risk within {risk.horizonDays} days <span class="muted">(model {risk.modelId})</span>
      </h2>
      <table class="bands">
        <thead>
          <tr>
            <th scope="col">Churn probability</th>
            <th scope="col">Customers</th>
            <th scope="col">
              <span class="visually-hidden">Share</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {risk.bands.map((b) => {
            const query = `churn.gte=${b.from}` + (b.to === null ? '' : `&churn.lt=${b.to}`);
            const label = b.to === null ? `${percent(b.from)} or more` : `${percent(b.from)} to ${percent(b.to)}`;
            return (
              <tr key={b.from}>
                <th scope="row">{label}</th>
                <td class="num">
                  <a href={`/console/customers?${query}`}>{count(b.customers)}</a>
                </td>
                <td class="bar-cell">
                  <span class="bar" style={{ width: `${(100 * b.customers) / most}%` }} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The overview: the population at a glance (twins, churn-risk distribution, value at risk) and
 * what waits for people (approvals, intents, workflows, the model serving). Refreshed every 10 s.
 */
export function Overview() {
  const population = useJson<Population>('/population', 10_000);
  const who = useIdentity();
  // A role that may not read approvals is not shown their count (the server would refuse it anyway).
  const seesApprovals = may(who, 'approvals:read');
  const approvals = useJson<readonly unknown[]>(seesApprovals ? '/approvals' : null, 10_000);
  const models = useJson<{ items: readonly ModelVersion[] }>('/models', 30_000);
  const intents = useJson<readonly IntentRecord[]>('/intents', 10_000);
  const workflows = useJson<readonly Named[]>('/workflows?limit=200', 10_000);
  const p = population.data;
  const champion = models.data?.items.find((m) => m.status === 'champion');
  const errors = [population, approvals, models, intents, workflows].map((l) => l.error).filter(Boolean);

  return (
    <>
      {errors.length > 0 && (
        <p class="error" role="alert">
          {errors.join('; ')}
        </p>
      )}
      <div class="tiles">
        <Tile label="customer twins" value={count(p?.twins)} href="/console/customers" detail={p && twinsDetail(p)} testId="overview-twins" />
        <Tile label="active customers, scored for churn" value={count(p?.risk?.scored)} href="/console/customers?churned.eq=0" detail={p?.note} testId="overview-active" />
        {/* The expected number is a sum of probabilities, not a list: the detail says whom the link lists. */}
        <Tile
          label={`expected to churn within ${p?.risk?.horizonDays ?? 30} days`}
          value={count(p?.risk ? Math.round(p.risk.expectedChurners) : undefined)}
          href={`/console/customers?churn.gte=${HIGH_RISK}`}
          detail={p?.risk ? `the sum of every churn risk; ${count(highRisk(p.risk))} at ${percent(HIGH_RISK)} or more listed` : undefined}
          testId="overview-expected-churn"
        />
        {/* The population's at-risk level (what an intent's at-risk segment and the catalogue's at_risk read), and the list of those at it. */}
        <Tile
          label={p?.risk?.atRisk ? `at risk: the riskiest ${percent(p.risk.atRisk.share)}` : 'at risk'}
          value={count(p?.risk?.atRisk?.customers)}
          href="/console/customers?at_risk.eq=1"
          detail={p?.risk ? (p.risk.atRisk ? `churn risk ${percent(p.risk.atRisk.churn)} or more, of ${count(p.risk.atRisk.of)} scored` : 'the level is being read over the workers') : undefined}
          testId="overview-at-risk"
        />
        <Tile label="value at risk" value={money(p?.risk?.valueAtRisk)} detail={p?.risk ? `of ${money(p.risk.lifetimeValue)} lifetime value` : undefined} />
        {seesApprovals && <Tile label="approvals waiting" value={count(approvals.data?.length)} href="/console/approvals" testId="overview-approvals" />}
        <Tile label="intents in progress" href="/console/intents" value={count(byStatus(intents.data?.map((i) => ({ status: i.intent.lifecycleStatus })), ['proposed', 'accepted', 'planning', 'planned', 'executing']))} detail={intents.data ? `${intents.data.length} in all` : undefined} />
        <Tile label="workflows running or waiting" value={count(byStatus(workflows.data, ['pending', 'waiting', 'compensating']))} />
        <Tile label="churn model serving" value={champion ? champion.id : 'none'} detail={champion?.metrics?.auc !== undefined ? `AUC ${champion.metrics.auc.toFixed(3)}` : undefined} />
      </div>
      {p?.risk && <RiskBands risk={p.risk} />}
    </>
  );
}
