import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { getJson, seg } from '../api';
import { count, eventTime } from '../format';
import { useJson } from '../use-json';

interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  readonly hash: string;
  readonly entry: {
    readonly type?: string;
    readonly requestId?: string;
    readonly actor?: { kind: string; id: string };
    readonly action?: { actionClass?: string; channel?: string; customerId?: string; cost?: number };
    readonly why?: { summary?: string };
    readonly outcome?: Record<string, unknown>;
  };
}
type Verification = { ok: true; entries: number; headSeq: number; headHash: string } | { ok: false; entries: number; firstBreak: { kind: string; seq: number; message: string } };

const PAGE = 200;

/**
 * The audit trail: every request, verdict, approval and execution, hash-chained, read 200
 * entries at a time from the start (each page shown newest first); a search over the page shown
 * (customer, actor, type, request id) and "Verify chain",
 * which walks the whole chain on the server and names the first broken link.
 */
export function Audit() {
  const [after, setAfter] = useState(0);
  const page = useJson<readonly AuditRecord[]>(`/audit?after=${after}&limit=${PAGE}`);
  const [search, setSearch] = useState('');
  const [verification, setVerification] = useState<{ result?: Verification; error?: string; busy: boolean }>({ busy: false });
  const needle = search.trim().toLowerCase();
  const rows = (page.data ?? []).filter((r) => !needle || JSON.stringify(r.entry).toLowerCase().includes(needle)).slice().reverse();
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
        <label class="grow">
          Search <input type="search" value={search} size={30} placeholder="customer, actor, type, request id" onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <Alert message={page.error} />
      {page.data && (
        <section class="panel">
          <h2>
            Entries after {after} <span class="muted">({count(rows.length)} shown, newest first)</span>
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
                  <td>{eventTime(new Date(r.at).toISOString())}</td>
                  <td>{r.entry.type ?? '–'}</td>
                  <td>{r.entry.actor ? `${r.entry.actor.id} (${r.entry.actor.kind})` : '–'}</td>
                  <td>
                    {r.entry.action?.actionClass ?? ''} {r.entry.action?.customerId && <a href={`/console/customers/${seg(r.entry.action.customerId)}`}>{r.entry.action.customerId}</a>}
                    {typeof r.entry.action?.cost === 'number' ? ` · ${r.entry.action.cost}` : ''}
                  </td>
                  <td>
                    {r.entry.why?.summary ?? ''}
                    {r.entry.outcome && <code>{JSON.stringify(r.entry.outcome)}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="toolbar">
            {after > 0 && (
              <button type="button" onClick={() => setAfter(Math.max(0, after - PAGE))}>
                Earlier
              </button>
            )}
            {(page.data.length ?? 0) === PAGE && (
              <button type="button" onClick={() => setAfter(page.data![page.data!.length - 1].seq)}>
                Later
              </button>
            )}
          </p>
        </section>
      )}
    </>
  );
}
