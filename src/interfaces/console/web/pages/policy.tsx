import { useEffect, useState } from 'preact/hooks';
import { Alert } from '../alert';
import { putJson } from '../api';
import { eventTime } from '../format';
import { may, useIdentity } from '../identity';
import { useJson } from '../use-json';

/** One version of the action policy (`GET /policy`, `GET /policy/history`). */
interface PolicyVersion {
  readonly version: number;
  readonly document: Record<string, unknown>;
  readonly changedBy: { kind: string; id: string } | null;
  readonly reason: string;
  readonly changedAt: string | null;
}

const who = (v: PolicyVersion) => (v.changedBy ? `${v.changedBy.id} (${v.changedBy.kind})` : 'built in');

/** The editor: the whole document as JSON, a reason, and the version it was edited from (a change made meanwhile is refused, not overwritten). */
function Edit({ current, onSaved }: { current: PolicyVersion; onSaved: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(current.document, null, 2));
  const [reason, setReason] = useState('');
  const [state, setState] = useState<{ busy: boolean; error?: string; saved?: { version: number; unchanged: boolean } }>({ busy: false });
  useEffect(() => setText(JSON.stringify(current.document, null, 2)), [current.version]);
  const save = (e: Event) => {
    e.preventDefault();
    let policy: unknown;
    try {
      policy = JSON.parse(text);
    } catch (err) {
      setState({ busy: false, error: `The policy is not valid JSON: ${(err as Error).message}` });
      return;
    }
    setState({ busy: true });
    putJson<PolicyVersion & { unchanged: boolean }>('/policy', { policy, reason: reason.trim(), basedOn: current.version }).then(
      (v) => {
        setState({ busy: false, saved: { version: v.version, unchanged: v.unchanged } });
        setReason('');
        onSaved();
      },
      (err: Error) => setState({ busy: false, error: err.message }),
    );
  };
  return (
    <form onSubmit={save} aria-label="Change the action policy">
      <label class="block">
        The policy document (docs/policy.md)
        <textarea value={text} rows={18} spellcheck={false} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="toolbar">
        <label class="grow">
          Why it changes <input value={reason} size={50} required onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary" disabled={state.busy || !reason.trim()}>
          {state.busy ? 'Saving…' : `Put in force as version ${current.version + 1}`}
        </button>
      </div>
      {state.saved !== undefined && (
        <p class="outcome executed" role="status">
          {state.saved.unchanged
            ? `Nothing changed: the document is version ${state.saved.version}, in force already; no new version was made.`
            : `Version ${state.saved.version} is in force: it judges the next action request.`}
        </p>
      )}
      <Alert message={state.error} />
    </form>
  );
}

/**
 * The action policy: the version in force (modes, caps, budgets, contact rules; docs/policy.md),
 * its history (who changed it, when and why), and, for a role that may, a change with a reason.
 */
export function Policy() {
  const me = useIdentity();
  const current = useJson<PolicyVersion>('/policy');
  const history = useJson<readonly PolicyVersion[]>('/policy/history?limit=100');
  const [shown, setShown] = useState<number | null>(null);
  const c = current.data;
  const reload = () => {
    current.reload();
    history.reload();
  };
  return (
    <>
      <Alert message={current.error} />
      {c && (
        <section class="panel">
          <h2>
            Version {c.version} in force <span class="muted">(set by {who(c)}{c.changedAt ? `, ${eventTime(c.changedAt)} wall clock` : ''})</span>
          </h2>
          <p data-testid="policy-reason">{c.reason}</p>
          {may(me, 'policy:write') ? <Edit current={c} onSaved={reload} /> : <pre class="json" tabIndex={0} data-testid="policy-document">{JSON.stringify(c.document, null, 2)}</pre>}
        </section>
      )}
      <section class="panel">
        <h2>History</h2>
        <Alert message={history.error} />
        <table data-testid="policy-history">
          <thead>
            <tr>
              <th scope="col" class="num">Version</th>
              <th scope="col">Changed by</th>
              <th scope="col">When (wall clock)</th>
              <th scope="col">Why</th>
              <th scope="col">Document</th>
            </tr>
          </thead>
          <tbody>
            {(history.data ?? []).map((v) => (
              <tr key={v.version}>
                <td class="num">{v.version}</td>
                <td>{who(v)}</td>
                <td>{eventTime(v.changedAt)}</td>
                <td>{v.reason}</td>
                <td>
                  <button type="button" onClick={() => setShown(shown === v.version ? null : v.version)} aria-expanded={shown === v.version}>
                    {shown === v.version ? 'Hide' : 'Show'}
                  </button>
                  {shown === v.version && <pre class="json" tabIndex={0}>{JSON.stringify(v.document, null, 2)}</pre>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
