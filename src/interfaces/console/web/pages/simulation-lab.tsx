import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { eventTime, percent } from '../format';
import { may, useIdentity } from '../identity';
import { navigate, useLocation } from '../router';
import { fromScenario, newDraft, toScenario, type ScenarioDraft, type ScenarioKind } from '../scenario-draft';
import { KindSelect, ScenarioFields } from '../scenario-form';
import { useJson } from '../use-json';
import type { SimulationRun } from './simulation-run';

/** Names of the twin features and scores a target may use, offered as the field's suggestions (docs/filters.md). */
const TARGET_FIELDS = [
  'churn',
  'monthly_revenue',
  'tenure_days',
  'is_prepaid',
  'is_business',
  'contract_months',
  'monthly_price',
  'arpu_3m',
  'months_over_allowance_3m',
  'payments_late_90d',
  'payments_failed_90d',
  'complaints_90d',
  'network_incidents_30d',
  'network_minutes_30d',
];

/** The scenarios to start from: two retention campaigns of different sizes, the comparison a marketer makes first. */
function startingDrafts(): ScenarioDraft[] {
  const small = newDraft('retention_campaign', 1);
  const large = { ...newDraft('retention_campaign', 2), k: '500', name: 'Retention campaign 2' };
  return [small, large];
}

/** The form: two or more scenarios side by side, run together so their results compare on the same draws. */
function ScenarioBuilder({ initial }: { initial: ScenarioDraft[] }) {
  const [drafts, setDrafts] = useState<ScenarioDraft[]>(initial);
  const [kind, setKind] = useState<ScenarioKind>('price_change');
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const edit = (i: number) => (change: Partial<ScenarioDraft>) => setDrafts((now) => now.map((d, j) => (j === i ? { ...d, ...change } : d)));
  const run = (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    postJson<SimulationRun>('/simulations', { scenarios: drafts.map(toScenario) }).then(
      (started) => navigate(`/console/simulations/${seg(started.id)}`),
      (err: Error) => setState({ busy: false, error: err.message }),
    );
  };
  return (
    <form onSubmit={run} aria-label="Scenarios to compare">
      <datalist id="target-fields">
        {TARGET_FIELDS.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      {drafts.map((d, i) => (
        <ScenarioFields key={i} index={i} draft={d} edit={edit(i)} remove={drafts.length > 1 ? () => setDrafts(drafts.filter((_, j) => j !== i)) : undefined} />
      ))}
      <div class="toolbar">
        <KindSelect label="Another scenario" value={kind} onChange={setKind} />
        <button type="button" onClick={() => setDrafts([...drafts, newDraft(kind, drafts.length + 1)])}>
          Add scenario
        </button>
        <button type="submit" class="primary" disabled={state.busy}>
          {state.busy ? 'Starting…' : drafts.length > 1 ? `Run and compare ${drafts.length} scenarios` : 'Run the scenario'}
        </button>
      </div>
      <Alert message={state.error} />
    </form>
  );
}

/** The runs kept by the lab, newest first: each opens its results, to compare, rerun or copy. */
function Runs() {
  const runs = useJson<readonly SimulationRun[]>('/simulations', 5_000);
  const list = [...(runs.data ?? [])].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return (
    <section class="panel">
      <h2>Runs</h2>
      <Alert message={runs.error} />
      {list.length === 0 ? (
        <p class="muted" data-testid={runs.data ? 'empty-list' : undefined}>{runs.data ? 'No simulation has run yet.' : 'reading…'}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Scenarios</th>
              <th scope="col">Status</th>
              <th scope="col">Started (event time)</th>
            </tr>
          </thead>
          <tbody>
            {list.slice(0, 50).map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={`/console/simulations/${seg(r.id)}`}>{r.id}</a>
                </td>
                <td>{r.scenarios.map((s) => s.name).join(' · ')}</td>
                <td>{r.status === 'running' ? (r.waitingFor !== undefined ? 'waiting for the log to be read' : `running ${percent(r.progress)}`) : r.status}</td>
                {/* A run is dated on the operator's clock (the world's while the sandbox runs), not the browser's: an event time, not an age. */}
                <td>{eventTime(r.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The simulation lab: build scenarios in a form (retention campaign, offer launch, price change,
 * network improvement; docs/simulation.md), run them together, and open a run to compare its
 * results with 90 % intervals, overall and by segment. Every run is kept (`GET /simulations`):
 * open one to rerun it or to edit a copy (`?from=RUN`).
 */
export function SimulationLab() {
  const who = useIdentity();
  const from = useLocation().query.get('from');
  const source = useJson<SimulationRun>(from ? `/simulations/${seg(from)}` : null);
  const canRun = may(who, 'simulations:run');
  return (
    <>
      {canRun && (
        <section class="panel">
          <h2>{from ? `A copy of run ${from}` : 'New comparison'}</h2>
          <p class="muted">
            Each scenario runs on every active twin with the churn model serving; the results are the mean and 90 % interval over the draws. Leave a field empty for the lab's default.
          </p>
          <Alert message={source.error} />
          {from && !source.data ? <p class="muted">reading…</p> : <ScenarioBuilder key={from ?? ''} initial={source.data ? source.data.scenarios.map((s, i) => fromScenario(s, i + 1)) : startingDrafts()} />}
        </section>
      )}
      <Runs />
    </>
  );
}
