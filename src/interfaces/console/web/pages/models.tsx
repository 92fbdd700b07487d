import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
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
interface Detail extends Version {
  readonly metadata: { readonly calibration?: { readonly count: readonly number[]; readonly positives: readonly number[] } };
  readonly drift: { readonly threshold: number; readonly population: number; readonly score: DriftItem; readonly features: readonly DriftItem[] } | { readonly note: string };
  readonly alerts: readonly { id: number; at: string; message: string }[];
}

const fixed = (n: number | undefined, digits = 3) => (typeof n === 'number' ? n.toFixed(digits) : '–');

/** The calibration of the validation rows: per band of predicted probability, how many and how many churned. */
function Calibration({ calibration }: { calibration: NonNullable<Detail['metadata']['calibration']> }) {
  const bands = calibration.count.length;
  return (
    <table>
      <caption class="muted">Validation rows by predicted churn probability, and the share that churned</caption>
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
  return (
    <section class="panel" aria-labelledby="detail-title">
      <h2 id="detail-title">
        {d.id} <span class="muted">({d.status})</span>
      </h2>
      <p>{d.metrics?.validation}</p>
      <h3>Drift</h3>
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
      {list.data && (
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
                        {eventTime(v.promotion.at)} by {v.promotion.by.id}: “{v.promotion.reason}”
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
