import { useEffect, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { count, money, percent } from '../format';
import { runDates } from '../run-dates';
import { may, useIdentity } from '../identity';
import { IntervalChart, SCENARIO_COLORS } from '../interval-chart';
// The lab's own result types (type-only: nothing of the server is bundled).
import type { Estimate, ScenarioResult } from '../../../../simulation/index';
import { navigate } from '../router';
import { useJson } from '../use-json';

/** A run of the simulation lab (`GET /simulations/:id`). */
export interface SimulationRun {
  readonly id: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly progress: number;
  readonly scenarios: readonly (Record<string, unknown> & { name: string; kind: string })[];
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** How long it took on the wall clock (ms): its dates are event times. */
  readonly tookMs?: number;
  readonly error?: { code: string; message: string };
  /** What the run waits for before its first draw (a restarted server's read of the log), with how far it is. */
  readonly waitingFor?: string;
  readonly results?: readonly ScenarioResult[];
  /** Why its columns do not stand on one baseline (scenarios of different seeds, horizons, draws); empty when they compare. */
  readonly warnings?: readonly string[];
}

/** The measures compared, with how each is written. */
const MEASURES = {
  netValue: { label: 'Net value (revenue change − cost)', format: money },
  // The world without any scenario: drawn with the same numbers in every column of a run of one seed, horizon and draws (docs/simulation.md).
  churnersBaseline: { label: 'Churners without treatment', format: (n: number) => n.toFixed(1) },
  churnersAvoided: { label: 'Churners avoided', format: (n: number) => n.toFixed(1) },
  revenueDelta: { label: 'Revenue change', format: money },
  cost: { label: 'Cost', format: money },
  accepted: { label: 'Offers accepted', format: (n: number) => n.toFixed(1) },
} as const;
type Measure = keyof typeof MEASURES;

const interval = (e: Estimate, f: (n: number) => string) => `${f(e.mean)} (90 %: ${f(e.p05)} to ${f(e.p95)})`;

/** Every scenario's overall outcome, in numbers. */
function Comparison({ results, oneBaseline }: { results: readonly ScenarioResult[]; oneBaseline: boolean }) {
  return (
    <table data-testid="comparison">
      <caption>
        Overall, mean and 90 % interval over the draws
        {results.length > 1 && (oneBaseline ? '; one world without treatment for every scenario (the same churners without treatment), so the columns compare' : '; each scenario against its own world without treatment: see above')}
      </caption>
      <thead>
        <tr>
          <th scope="col">Scenario</th>
          <th scope="col" class="num">Treated</th>
          {(Object.keys(MEASURES) as Measure[]).map((m) => (
            <th key={m} scope="col">
              {MEASURES[m].label}
            </th>
          ))}
          <th scope="col">Return</th>
        </tr>
      </thead>
      <tbody>
        {results.map((r) => (
          <tr key={r.name}>
            <th scope="row">
              {r.name} <span class="muted">({r.kind.replace(/_/g, ' ')}, {r.horizonMonths} months)</span>
            </th>
            <td class="num">{count(r.overall.treated)}</td>
            {(Object.keys(MEASURES) as Measure[]).map((m) => (
              <td key={m}>{interval(r.overall[m], MEASURES[m].format)}</td>
            ))}
            <td>{r.overall.return ? interval(r.overall.return, percent) : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A log hazard ratio with its sd, as the multiplier of the churn hazard it is. */
const ratio = (mean: number, sd: number) => `× ${Math.exp(mean).toFixed(2)} (e^(${mean.toFixed(2)} ± ${sd.toFixed(2)}))`;

/**
 * What each network scenario took an incident's effect on churn from: its own, the operator's
 * history, or the churn model's re-scoring (which may have learned none, and then avoids nothing).
 */
function IncidentEffects({ results }: { results: readonly ScenarioResult[] }) {
  const network = results.filter((r) => r.incidentEffect);
  if (network.length === 0) return null;
  return (
    <ul class="reasons" data-testid="incident-effect">
      {network.map((r) => {
        const e = r.incidentEffect!;
        return (
          <li key={r.name}>
            <strong>{r.name}</strong>: an incident felt in the last 30 days multiplies the churn hazard{' '}
            {e.from === 'scenario'
              ? `${ratio(e.mean, e.sd)}, the scenario's own`
              : e.from === 'history'
                ? `${ratio(e.mean, e.sd)}, learned from the operator's last ${count(e.days)} days (${count(e.churnsExposed)} churns in ${count(e.daysExposed)} customer-days after one, ${count(e.churnsUnexposed)} in ${count(e.daysUnexposed)} without)`
                : "as the churn model re-scores it: no history of incidents and churn to learn it from, and a model that learned no effect of an incident avoids nothing"}
          </li>
        );
      })}
    </ul>
  );
}

/** One measure by segment: every scenario's estimate in each of its segments. */
function BySegment({ results, measure }: { results: readonly ScenarioResult[]; measure: Measure }) {
  const { label, format } = MEASURES[measure];
  const withSegments = results.filter((r) => r.segments.length > 0);
  if (withSegments.length === 0) return <p class="muted">These scenarios were run without segments.</p>;
  const rows = withSegments.flatMap((r) =>
    r.segments.map((s) => ({ label: `${s.segment} · ${r.name}`, estimate: s[measure], color: SCENARIO_COLORS[results.indexOf(r) % SCENARIO_COLORS.length], scenario: r.name, segment: s, by: r.segmentBy })),
  );
  // Grouped by segment, in the lab's order of segments (the risk bands low to high).
  const order = [...new Set(rows.map((r) => r.segment.segment))];
  rows.sort((a, b) => order.indexOf(a.segment.segment) - order.indexOf(b.segment.segment));
  return (
    <>
      <IntervalChart title={`${label} by segment`} rows={rows} format={format} />
      <table data-testid="by-segment">
        <caption>{label} by segment</caption>
        <thead>
          <tr>
            <th scope="col">Segment</th>
            <th scope="col">Scenario</th>
            <th scope="col" class="num">Twins</th>
            <th scope="col" class="num">Treated</th>
            <th scope="col">{label}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label}>
              <td>
                {r.segment.segment} <span class="muted">({r.by.replace(/_/g, ' ')})</span>
              </td>
              <td>{r.scenario}</td>
              <td class="num">{count(r.segment.twins)}</td>
              <td class="num">{count(r.segment.treated)}</td>
              <td>{interval(r.estimate, format)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * One run of the lab: its progress while it runs, then the scenarios side by side (a chart per
 * measure with 90 % intervals, the numbers in a table, one measure by segment); rerun it as it
 * is, or edit a copy in the lab's form.
 */
export function SimulationRunPage({ id }: { id: string }) {
  const who = useIdentity();
  const [live, setLive] = useState(true);
  const run = useJson<SimulationRun>(`/simulations/${seg(id)}`, live ? 1_000 : undefined);
  const [measure, setMeasure] = useState<Measure>('netValue');
  const [rerun, setRerun] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const r = run.data;
  // Read every second while it runs, then no more: a finished run does not change.
  const running = !r || r.status === 'running';
  useEffect(() => setLive(running), [running]);
  if (run.error && !r) return <Alert message={run.error} />;
  if (!r) return <p class="muted">reading…</p>;
  const again = () => {
    setRerun({ busy: true });
    postJson<SimulationRun>('/simulations', { scenarios: r.scenarios }).then(
      (started) => {
        setRerun({ busy: false });
        navigate(`/console/simulations/${seg(started.id)}`);
      },
      (err: Error) => setRerun({ busy: false, error: err.message }),
    );
  };
  const results = r.results ?? [];
  return (
    <>
      <section class="panel">
        <h2>
          {r.scenarios.map((s) => s.name).join(' vs ')} <span class="muted">({r.id})</span>
        </h2>
        <p role="status" data-testid="run-status">
          {r.status === 'running' && r.waitingFor !== undefined ? (
            <>Waiting before its first draw for {r.waitingFor}</>
          ) : r.status === 'running' ? (
            <>
              Running: <progress value={r.progress} max={1} aria-label="Progress of the run" /> {percent(r.progress)} of the draws
            </>
          ) : (
            <>
              {r.status === 'succeeded' ? 'Done' : r.status === 'failed' ? 'Failed' : 'Cancelled'}: {runDates(r)}
            </>
          )}
        </p>
        {r.error && <Alert message={`${r.error.code}: ${r.error.message}`} />}
        {may(who, 'simulations:run') && (
          <div class="toolbar">
            <button type="button" onClick={again} disabled={rerun.busy || r.status === 'running'}>
              {rerun.busy ? 'Starting…' : 'Rerun'}
            </button>
            <a href={`/console/simulations?from=${seg(r.id)}`}>Edit a copy</a>
            <a href="/console/simulations">All runs</a>
          </div>
        )}
        <Alert message={rerun.error} />
      </section>
      {results.length > 0 && (
        <>
          <section class="panel">
            <h2>Side by side</h2>
            <div class="charts">
              {(['netValue', 'churnersAvoided', 'cost'] as const).map((m) => (
                <IntervalChart
                  key={m}
                  title={MEASURES[m].label}
                  rows={results.map((s, i) => ({ label: s.name, estimate: s.overall[m], color: SCENARIO_COLORS[i % SCENARIO_COLORS.length] }))}
                  format={MEASURES[m].format}
                />
              ))}
            </div>
            {(r.warnings ?? []).map((w) => (
              <p key={w} class="error" role="note" data-testid="compare-warning">
                {w}
              </p>
            ))}
            <Comparison results={results} oneBaseline={(r.warnings ?? []).length === 0} />
            <IncidentEffects results={results} />
          </section>
          <section class="panel">
            <h2>By segment</h2>
            <label>
              Measure{' '}
              <select value={measure} onChange={(e) => setMeasure((e.target as HTMLSelectElement).value as Measure)}>
                {(Object.keys(MEASURES) as Measure[]).map((m) => (
                  <option key={m} value={m}>
                    {MEASURES[m].label}
                  </option>
                ))}
              </select>
            </label>
            <BySegment results={results} measure={measure} />
          </section>
        </>
      )}
    </>
  );
}
