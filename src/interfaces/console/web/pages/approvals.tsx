import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { postJson, seg } from '../api';
import { money, span } from '../format';
import { may, useIdentity } from '../identity';
import type { GuardedResult } from '../types';
import { useJson } from '../use-json';

interface Approval {
  readonly id: string;
  readonly status: string;
  readonly request: Readonly<Record<string, unknown>> & { customerId?: string; actionClass?: string; channel?: string; cost?: number; offerId?: string; why?: { summary?: string } };
  readonly why: readonly string[];
  readonly riskClass: string;
  readonly rule: string | null;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly requestedBy: { readonly kind: string; readonly id: string };
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly onTimeout: string;
}

function Decide({ approval, onDone }: { approval: Approval; onDone(): void }) {
  const who = useIdentity();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; ok: boolean }>();
  const own = approval.requestedBy.kind === 'human' && approval.requestedBy.id === who.name;
  if (!may(who, 'approvals:decide')) return <p class="muted">Your role may read approvals but not decide them.</p>;
  if (own) return <p class="muted" data-testid="own-request">You asked for this action: another person must decide it (four eyes).</p>;
  const decide = (verb: 'approve' | 'reject') => {
    setBusy(true);
    postJson<GuardedResult>(`/approvals/${seg(approval.id)}/${verb}`, { reason: reason.trim() }).then(
      (r) => {
        setResult({ text: `${verb === 'approve' ? 'Approved' : 'Rejected'}: ${r.status}, ${r.reason}`, ok: true });
        setBusy(false);
        setTimeout(onDone, 1500);
      },
      (err: Error) => {
        setResult({ text: err.message, ok: false });
        setBusy(false);
      },
    );
  };
  const id = `reason-${approval.id}`;
  return (
    <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
      <label for={id}>Reason</label>
      <input id={id} value={reason} size={40} required placeholder="why you decide so (kept in the audit trail)" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      <button type="button" disabled={busy || !reason.trim()} onClick={() => decide('approve')}>
        Approve
      </button>
      <button type="button" disabled={busy || !reason.trim()} onClick={() => decide('reject')}>
        Reject
      </button>
      {result && (
        <span class={result.ok ? 'outcome executed' : 'error'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </span>
      )}
    </form>
  );
}

/**
 * Approvals: the queue of actions the policy held for a person, each with its evidence (who asked,
 * why, the policy rule and risk class, the simulated or scored effect the requester attached),
 * approved or rejected with a reason. Nobody decides their own request: the page does not offer
 * it, and the server refuses it (four eyes).
 */
export function Approvals() {
  const list = useJson<readonly Approval[]>('/approvals', 10_000);
  return (
    <>
      <Alert message={list.error} />
      {list.data && list.data.length === 0 && <p class="muted" data-testid="empty-list">No approval is waiting.</p>}
      {list.data?.map((a) => (
        <article class="panel" key={a.id} data-testid="approval" aria-labelledby={`ap-${a.id}`}>
          <h2 id={`ap-${a.id}`}>
            {a.request.actionClass ?? 'action'}
            {a.request.offerId ? ` ${a.request.offerId}` : ''} for{' '}
            {a.request.customerId ? <a href={`/console/customers/${seg(a.request.customerId)}`}>{a.request.customerId}</a> : 'a customer'}
            {typeof a.request.cost === 'number' && <> · cost {money(a.request.cost)}</>}
          </h2>
          <p class="muted">
            asked by <strong>{a.requestedBy.id}</strong> ({a.requestedBy.kind}) {span(a.createdAt - Date.now())} on {a.request.channel ?? '–'}; expires {span(a.expiresAt - Date.now())}, then {a.onTimeout.replace(/-/g, ' ')}
          </p>
          <dl class="facts">
            <dt>Why the policy asked</dt>
            <dd>
              risk class {a.riskClass}
              {a.rule ? `, rule ${a.rule}` : ''}
            </dd>
            {a.request.why?.summary && (
              <>
                <dt>Requester's reason</dt>
                <dd>{a.request.why.summary}</dd>
              </>
            )}
          </dl>
          {a.why.length > 0 && (
            <ul class="reasons">
              {a.why.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {Object.keys(a.evidence).length > 0 && (
            <details>
              <summary>Evidence</summary>
              <pre class="evidence">{JSON.stringify(a.evidence, null, 2)}</pre>
            </details>
          )}
          <Decide approval={a} onDone={list.reload} />
        </article>
      ))}
    </>
  );
}
