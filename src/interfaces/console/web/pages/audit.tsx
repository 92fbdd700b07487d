import { actionCostText, outcomeText } from '../audit-outcome';
import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { getJson, seg } from '../api';
import { count, eventTime } from '../format';
import { useJson } from '../use-json';

interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  /** Which clock `at` is on: the operator's (the world's in the sandbox) or the wall's (people's acts on keys, the policy, models). */
  readonly clock?: 'operator' | 'wall';
  readonly hash: string;
  readonly entry: {
    readonly type?: string;
    readonly requestId?: string;
    readonly actor?: { kind: string; id: string };
    readonly action?: { actionClass?: string; channel?: string; customerId?: string; cost?: number };
    readonly why?: { summary?: string };
    readonly outcome?: Record<string, unknown>;
    /** What an administration entry changed (the policy, a key, the champion model). */
    readonly target?: { kind: string; id?: string; version?: number };
  };
}
type Verification = { ok: true; entries: number; headSeq: number; headHash: string } | { ok: false; entries: number; firstBreak: { kind: string; seq: number; message: string } };

const PAGE = 100;

/**
 * The audit trail: every request, verdict, approval and execution, hash-chained, newest first,
 * 100 entries a page, paged backwards ("Earlier") and forwards again ("Newer"); the search runs on
 * the server over the whole trail (customer, actor, type, request id); "Verify chain" walks the
 * whole chain on the server and names the first broken link.
 */
export function Audit() {
  // The `before` cursor of each page read so far: the last is the page shown (undefined: the newest).
  const [cursors, setCursors] = useState<readonly (number | undefined)[]>([undefined]);
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const before = cursors[cursors.length - 1];
  const query = new URLSearchParams({ order: 'newest', limit: String(PAGE) });
  if (before !== undefined) query.set('before', String(before));
  if (search) query.set('q', search);
  const page = useJson<readonly AuditRecord[]>(`/audit?${query}`);
  const [verification, setVerification] = useState<{ result?: Verification; error?: string; busy: boolean }>({ busy: false });
  const rows = page.data ?? [];
  const verify = () => {
    setVerification({ busy: true });
    getJson<Verification>('/audit/verify').then(
      (result) => setVerification({ result, busy: false }),
      (err: Error) => setVerification({ error: err.message, busy: false }),
    );
  };
  const v = verification.result;
  return (
    <>
      <div class="toolbar">
        <button type="button" onClick={verify} disabled={verification.busy}>
          {verification.busy ? 'Verifying…' : 'Verify chain'}
        </button>
        {v && (
          <span class={v.ok ? 'outcome executed' : 'error'} role="status" data-testid="verify-result">
            {v.ok ? `Chain intact: ${count(v.entries)} entries, head ${v.headSeq} (${v.headHash.slice(0, 12)}…)` : `Broken at ${v.firstBreak.seq} (${v.firstBreak.kind}): ${v.firstBreak.message}`}
          </span>
        )}
        {verification.error && (
          <span class="error" role="alert">
            {verification.error}
          </span>
        )}
      </div>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(typed.trim());
          setCursors([undefined]);
        }}
      >
        <label>
          Search the whole trail <input type="search" value={typed} size={30} placeholder="customer, actor, type, request id" onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Alert message={page.error} />
      {page.data && (
        <section class="panel">
          <h2>
            {search ? <>Entries containing “{search}”</> : 'Entries'}
            {before !== undefined ? ` before ${before}` : ', the newest'} <span class="muted">({count(rows.length)} shown, newest first)</span>
          </h2>
          <table>
            <thead>
              <tr>
                <th scope="col" class="num">Seq</th>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Why / outcome</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.seq}>
                  <td class="num">{r.seq}</td>
                  <td>
                    {eventTime(new Date(r.at).toISOString())} <span class="muted">{r.clock === 'wall' ? 'wall clock' : 'world'}</span>
                  </td>
                  <td>{r.entry.type ?? '–'}</td>
                  <td>{r.entry.actor ? `${r.entry.actor.id} (${r.entry.actor.kind})` : '–'}</td>
                  <td>
                    {r.entry.action?.actionClass ?? ''} {r.entry.action?.customerId && <a href={`/console/customers/${seg(r.entry.action.customerId)}`}>{r.entry.action.customerId}</a>}
                    {r.entry.action && actionCostText(r.entry.action, r.entry.outcome) && ` · ${actionCostText(r.entry.action, r.entry.outcome)}`}
                    {r.entry.target && `${r.entry.target.kind} ${r.entry.target.id ?? (r.entry.target.version !== undefined ? `version ${r.entry.target.version}` : '')}`}
                  </td>
                  <td>
                    {r.entry.why?.summary ?? ''}
                    {r.entry.outcome && <span class="muted">{(r.entry.why?.summary ? ' · ' : '') + outcomeText(r.entry.outcome)}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="toolbar">
            {cursors.length > 1 && (
              <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
                Newer
              </button>
            )}
            {rows.length === PAGE && (
              <button type="button" onClick={() => setCursors([...cursors, rows[rows.length - 1].seq])}>
                Earlier
              </button>
            )}
          </p>
        </section>
      )}
    </>
  );
}
