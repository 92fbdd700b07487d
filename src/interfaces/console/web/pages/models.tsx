import { useMemo, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { TimeChart } from '../chart';
import { count, eventTime, percent } from '../format';
import { may, useIdentity } from '../identity';
import { useJson } from '../use-json';

interface Metrics {
  readonly auc?: number;
  readonly logLoss?: number;
  readonly ece?: number;
  readonly validation?: string;
  readonly validationRows?: number;
}
interface Version {
  readonly id: string;
  readonly status: string;
  readonly createdAt: string;
  readonly learner: string | null;
  readonly horizonDays: number | null;
  readonly metrics: Metrics | null;
  /** The latest time a person made it the champion, and why (audited). */
  readonly promotion: { readonly by: { readonly id: string }; readonly at: string; readonly reason: string; readonly previousChampion: string | null } | null;
}
interface DriftItem {
  readonly subject: string;
  readonly psi: number;
  readonly status: string;
}
interface DriftCheck {
  readonly at: string;
  readonly population: number;
  readonly score: number;
  readonly worstFeature: { readonly subject: string; readonly psi: number } | null;
}
interface Detail extends Version {
  readonly metadata: {
    readonly calibration?: { readonly count: readonly number[]; readonly positives: readonly number[] };
    /** Deciles of the validation rows by predicted probability (versions trained before it was recorded have none). */
    readonly reliability?: readonly { readonly rows: number; readonly predicted: number; readonly observed: number }[];
  };
  readonly drift: { readonly threshold: number; readonly population: number; readonly score: DriftItem; readonly features: readonly DriftItem[] } | { readonly note: string };
  readonly driftHistory: readonly DriftCheck[];
  readonly alerts: readonly { id: number; at: string; message: string }[];
}

const fixed = (n: number | undefined, digits = 3) => (typeof n === 'number' ? n.toFixed(digits) : '–');

/** Drift over time: the score's PSI and the most-moved feature's at each check, against the alert threshold. */
function DriftOverTime({ checks, threshold }: { checks: readonly DriftCheck[]; threshold: number | null }) {
  const times = useMemo(() => checks.map((c) => Date.parse(c.at)), [checks]);
  const series = useMemo(
    () => [
      { label: 'score PSI', values: checks.map((c) => c.score), color: '#1f5fbf' },
      { label: 'largest feature PSI', values: checks.map((c) => c.worstFeature?.psi ?? null), color: '#8a4b00' },
      ...(threshold === null ? [] : [{ label: `alert above ${threshold}`, values: checks.map(() => threshold), color: '#b3261e' }]),
    ],
    [checks, threshold],
  );
  const last = checks.at(-1);
  return (
    <div data-testid="drift-over-time">
      <TimeChart title={`Drift over time: ${count(checks.length)} checks while it served`} times={times} series={series} />
      {last && (
        <p class="muted">
          Latest check {eventTime(last.at)}: score PSI {fixed(last.score)}
          {last.worstFeature && `, most moved feature ${last.worstFeature.subject} (PSI ${fixed(last.worstFeature.psi)})`}, {count(last.population)} twins.
        </p>
      )}
    </div>
  );
}

const PLOT = 260;
const MARGIN = 48;

type PlotPoint = { readonly rows: number; readonly predicted: number; readonly observed: number };

/**
 * The calibration plot (reliability diagram): the validation rows in bins by predicted churn
 * probability, each bin's observed churn rate against its mean prediction; a calibrated model's
 * dots lie on the diagonal. The bins are the deciles the training recorded (`reliability`); a
 * version trained before those were recorded shows its equal-width bands at their middles. Axes
 * run to the largest value shown, since churn probabilities are small. SVG, with a text
 * alternative; the numbers are in the table below it.
 */
function CalibrationPlot({ points, kind }: { points: readonly PlotPoint[]; kind: string }) {
  const top = Math.min(1, Math.max(0.01, ...points.map((p) => Math.max(p.predicted, p.observed))) * 1.1);
  const x = (v: number) => MARGIN + (v / top) * PLOT;
  const y = (v: number) => MARGIN / 2 + PLOT - (v / top) * PLOT;
  const most = Math.max(1, ...points.map((p) => p.rows));
  const ticks = [0, top / 2, top];
  return (
    <figure class="chart">
      <figcaption>Calibration plot: observed churn rate against predicted probability, {kind}</figcaption>
      <svg class="calibration-plot" role="img" aria-label={`Calibration plot of ${points.length} bins: ${points.map((p) => `predicted ${percent(p.predicted)}, observed ${percent(p.observed)}`).join('; ')}`} width={PLOT + MARGIN * 1.5} height={PLOT + MARGIN * 1.5} viewBox={`0 0 ${PLOT + MARGIN * 1.5} ${PLOT + MARGIN * 1.5}`}>
        <line x1={x(0)} y1={y(0)} x2={x(top)} y2={y(top)} stroke="#888" stroke-dasharray="4 3" />
        <line x1={x(0)} y1={y(0)} x2={x(top)} y2={y(0)} stroke="#444" />
        <line x1={x(0)} y1={y(0)} x2={x(0)} y2={y(top)} stroke="#444" />
        {ticks.map((t) => (
          <g key={t}>
            <text x={x(t)} y={y(0) + 14} font-size="11" text-anchor="middle">
              {percent(t)}
            </text>
            <text x={x(0) - 4} y={y(t) + 4} font-size="11" text-anchor="end">
              {percent(t)}
            </text>
          </g>
        ))}
        <text x={x(top / 2)} y={y(0) + 28} font-size="11" text-anchor="middle">
          predicted
        </text>
        <text x={12} y={y(top / 2)} font-size="11" text-anchor="middle" transform={`rotate(-90 12 ${y(top / 2)})`}>
          observed
        </text>
        {points.map((p, i) => (
          <circle key={i} cx={x(p.predicted)} cy={y(p.observed)} r={3 + 4 * Math.sqrt(p.rows / most)} fill="#1f5fbf" fill-opacity="0.7" />
        ))}
      </svg>
    </figure>
  );
}

/** What the plot shows: the recorded deciles, or else the equal-width bands at their middles. */
function plotPoints(metadata: Detail['metadata']): { points: PlotPoint[]; kind: string } | null {
  if (metadata.reliability && metadata.reliability.length > 0) return { points: [...metadata.reliability], kind: `in ${metadata.reliability.length} bins of equal numbers of rows (by predicted probability), each at its mean prediction; the table below cuts the same rows into bands of equal width instead` };
  const c = metadata.calibration;
  if (!c) return null;
  const bands = c.count.length;
  return { points: c.count.flatMap((n, i) => (n === 0 ? [] : [{ rows: n, predicted: (i + 0.5) / bands, observed: c.positives[i] / n }])), kind: 'in bands of equal width, at their middles' };
}

/** The calibration of the validation rows: per band of predicted probability, how many and how many churned. */
function Calibration({ calibration }: { calibration: NonNullable<Detail['metadata']['calibration']> }) {
  const bands = calibration.count.length;
  return (
    <table>
      <caption class="muted">Validation rows by band of predicted churn probability (bands of equal width: most rows fall in the lowest), and the share that churned</caption>
      <thead>
        <tr>
          <th scope="col">Predicted</th>
          <th scope="col" class="num">Rows</th>
          <th scope="col" class="num">Churned</th>
          <th scope="col" class="num">Observed rate</th>
        </tr>
      </thead>
      <tbody>
        {calibration.count.map((n, i) =>
          n === 0 ? null : (
            <tr key={i}>
              <th scope="row">
                {percent(i / bands)} to {percent((i + 1) / bands)}
              </th>
              <td class="num">{count(n)}</td>
              <td class="num">{count(calibration.positives[i])}</td>
              <td class="num">{percent(calibration.positives[i] / n)}</td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

function VersionDetail({ id }: { id: string }) {
  const detail = useJson<Detail>(`/models/${seg(id)}`);
  const d = detail.data;
  if (detail.error) return <Alert message={detail.error} />;
  if (!d) return <p class="muted">reading…</p>;
  const plot = plotPoints(d.metadata);
  return (
    <section class="panel" aria-labelledby="detail-title">
      <h2 id="detail-title">
        {d.id} <span class="muted">({d.status})</span>
      </h2>
      <p>{d.metrics?.validation}</p>
      <h3>Drift</h3>
      {d.driftHistory.length > 0 ? <DriftOverTime checks={d.driftHistory} threshold={'note' in d.drift ? null : d.drift.threshold} /> : <p class="muted">No drift check yet: the serving model is checked once a minute.</p>}
      {'note' in d.drift ? (
        <p class="muted">{d.drift.note}</p>
      ) : (
        <table>
          <caption class="muted">
            Population stability index against the training data ({count(d.drift.population)} twins; drift above {d.drift.threshold})
          </caption>
          <thead>
            <tr>
              <th scope="col">Of</th>
              <th scope="col" class="num">PSI</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {[d.drift.score, ...d.drift.features].map((f) => (
              <tr key={f.subject}>
                <th scope="row">{f.subject}</th>
                <td class="num">{fixed(f.psi)}</td>
                <td class={f.status === 'drift' ? 'risk high' : f.status === 'moderate' ? 'risk medium' : undefined}>{f.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {d.alerts.length > 0 && (
        <ul>
          {d.alerts.map((a) => (
            <li key={a.id}>{a.message}</li>
          ))}
        </ul>
      )}
      <h3>Calibration</h3>
      {plot && <CalibrationPlot points={plot.points} kind={plot.kind} />}
      {d.metadata.calibration ? <Calibration calibration={d.metadata.calibration} /> : <p class="muted">not recorded</p>}
    </section>
  );
}

/** Promotes a version, saying why: the reason is kept in the audit trail and shown with the version. */
function Promote({ version, onDone }: { version: Version; onDone(text: string): void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = `promote-reason-${version.id}`;
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    postJson<Version>(`/models/${seg(version.id)}/promote`, { reason: reason.trim() }).then(
      (v) => {
        setBusy(false);
        onDone(`${v.id} is now the champion: ${v.promotion?.reason ?? reason.trim()}`);
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  return (
    <form class="toolbar" data-testid="promote-form" onSubmit={submit}>
      <label for={id}>Why {version.id} should serve</label>
      <input id={id} value={reason} size={50} required placeholder="e.g. higher AUC on the same validation rows, no drift (kept in the audit trail)" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy || !reason.trim()}>
        Promote {version.id}
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/**
 * Models: the churn model's versions with their validation metrics, the drift of the one serving
 * and each version's calibration; a data scientist promotes a challenger to champion.
 */
export function Models() {
  const who = useIdentity();
  const list = useJson<{ items: readonly Version[] }>('/models', 30_000);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; ok: boolean }>();
  /** The version a person is promoting: its row asks why. */
  const [promoting, setPromoting] = useState<string | null>(null);
  const champion = list.data?.items.find((v) => v.status === 'champion');
  const shown = selected ?? champion?.id ?? list.data?.items[0]?.id ?? null;
  const promotingVersion = list.data?.items.find((v) => v.id === promoting && v.status !== 'champion');
  return (
    <>
      <Alert message={list.error} />
      {message && (
        <p class={message.ok ? 'outcome executed' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      {list.data?.items.length === 0 && (
        <p class="muted" data-testid="empty-list">
          No model version yet: the first is trained once the twins hold enough history (twice the churn horizon).
        </p>
      )}
      {list.data && list.data.items.length > 0 && (
        <section class="panel">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Learner</th>
                <th scope="col" class="num">Horizon (days)</th>
                <th scope="col" class="num">AUC</th>
                <th scope="col" class="num">Log loss</th>
                <th scope="col" class="num">ECE</th>
                <th scope="col" class="num">Validation rows</th>
                <th scope="col">Promoted</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((v) => (
                <tr key={v.id} aria-current={v.id === shown ? 'true' : undefined}>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => setSelected(v.id)}>
                      {v.id}
                    </button>
                  </th>
                  <td>{v.status}</td>
                  <td>{v.learner ?? '–'}</td>
                  <td class="num">{v.horizonDays ?? '–'}</td>
                  <td class="num">{fixed(v.metrics?.auc)}</td>
                  <td class="num">{fixed(v.metrics?.logLoss)}</td>
                  <td class="num">{fixed(v.metrics?.ece, 4)}</td>
                  <td class="num">{count(v.metrics?.validationRows)}</td>
                  <td data-testid="promotion">
                    {v.promotion ? (
                      <>
                        {eventTime(v.promotion.at)} wall clock, by {v.promotion.by.id}: “{v.promotion.reason}”
                      </>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
                  <td>
                    {v.status !== 'champion' && may(who, 'models:train') && (
                      <button type="button" aria-expanded={promoting === v.id} onClick={() => setPromoting(promoting === v.id ? null : v.id)}>
                        Promote
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {promotingVersion && (
            <Promote
              key={promotingVersion.id}
              version={promotingVersion}
              onDone={(text) => {
                setMessage({ text, ok: true });
                setPromoting(null);
                list.reload();
              }}
            />
          )}
        </section>
      )}
      {shown && <VersionDetail key={shown} id={shown} />}
    </>
  );
}
