import { describeFeature } from '../../../../intelligence/live/readable-reasons';
import { Fragment, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Alert } from '../alert';
import { approvalTitle } from '../approval-title';
import { postJson, seg } from '../api';
import { eventTime, money, span } from '../format';
import { may, useIdentity } from '../identity';
import { budgetText } from '../budget-text';
import { planChangeText, type PlanChange } from '../plan-change';
import type { GuardedResult } from '../types';
import { useJson } from '../use-json';

interface Approval {
  readonly id: string;
  readonly status: string;
  readonly request: Readonly<Record<string, unknown>> & { customerId?: string; expiresAt?: number; actionClass?: string; channel?: string; cost?: number; params?: Readonly<Record<string, unknown>>; why?: { summary?: string } };
  readonly why: readonly string[];
  readonly riskClass: string;
  readonly rule: string | null;
  readonly evidence: Readonly<Record<string, unknown>> & JudgedEvidence;
  readonly requestedBy: { readonly kind: string; readonly id: string };
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly onTimeout: string;
  readonly decidedBy?: string | null;
  readonly decidedAt?: number | null;
  readonly reason?: string | null;
  /** The payments it adds to (a top-up's), as they stand now: the approver decides on them, not on what its asker heard. */
  readonly addsTo?: readonly { readonly requestId: string; readonly status: string | null; readonly reason: string; readonly approvedBy?: string }[];
  /** What came of it once decided (GET /approvals/:id): executed, failed, or refused when judged again at the approval. */
  readonly outcome?: { readonly status: string; readonly reason: string };
}

type Verb = 'approve' | 'reject';

/** Sends a decision (the one way both the queue and an approval's page do): the policy's answer to the approved action, or to the rejection. */
const sendDecision = (id: string, verb: Verb, reason: string) => postJson<GuardedResult>(`/approvals/${seg(id)}/${verb}`, { reason: reason.trim() });
const answerText = (verb: Verb, r: GuardedResult) => `${verb === 'approve' ? 'Approved' : 'Rejected'}: ${r.status}, ${r.reason}`;

/** The reason and the two buttons; `onDecide` sends the decision and answers what to show once it is answered. */
function Decide({ approval, onDecide }: { approval: Approval; onDecide(verb: Verb, reason: string): Promise<string> }) {
  const who = useIdentity();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; ok: boolean }>();
  const own = approval.requestedBy.kind === 'human' && approval.requestedBy.id === who.name;
  if (!may(who, 'approvals:decide')) return <p class="muted">Your role may read approvals but not decide them.</p>;
  if (own) return <p class="muted" data-testid="own-request">You asked for this action: another person must decide it (four eyes).</p>;
  const decide = (verb: Verb) => {
    setBusy(true);
    onDecide(verb, reason).then(
      (text) => {
        setResult({ text, ok: true });
        setBusy(false);
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

/** What the policy judged, as the server lays it over the requester's evidence (agents/governance/approval-evidence.ts). */
interface JudgedEvidence {
  readonly facts?: Readonly<Record<string, number>>;
  readonly factsAsOf?: number;
  readonly amount?: { readonly cost: number; readonly paidAtPresentation?: number; readonly onAcceptance?: number; readonly discountPct?: number; readonly planChange?: PlanChange };
  readonly budgets?: readonly { readonly scope: string; readonly periodKey: string; readonly limit: number; readonly spent: number; readonly left: number }[];
  /** When the customer's last plan ended, if they had left when the request was judged (ms, event time). */
  readonly left?: number;
}
const JUDGED_KEYS = new Set(['facts', 'factsAsOf', 'amount', 'budgets', 'left']);
/** The requester's own evidence: what is left once the policy's judgement is shown on its own. */
const requesterEvidence = (e: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(e).filter(([k]) => !JUDGED_KEYS.has(k)));

/** The customer's facts the policy judged (and when, on the event clock), the amount and the budget lines it books on. */
function Judged({ evidence }: { evidence: JudgedEvidence }) {
  const facts = Object.entries(evidence.facts ?? {});
  const amount = evidence.amount;
  return (
    <dl class="facts" data-testid="judged">
      {evidence.left !== undefined && (
        <>
          <dt>The customer has left</dt>
          <dd class="risk high" data-testid="customer-left">
            their last plan ended {eventTime(new Date(evidence.left).toISOString())}: they are no longer a customer
          </dd>
        </>
      )}
      {amount?.planChange && (
        <>
          <dt>Plan change</dt>
          <dd data-testid="plan-change">{planChangeText(amount.planChange)}</dd>
        </>
      )}
      {amount && (
        <>
          <dt>{amount.planChange ? 'Cost checked (the monthly revenue a move down gives up)' : 'Amount'}</dt>
          <dd>
            {money(amount.cost)}
            {amount.onAcceptance !== undefined && <> ({money(amount.paidAtPresentation ?? 0)} when presented, {money(amount.onAcceptance)} only if the customer accepts)</>}
            {amount.discountPct !== undefined && <>, a {amount.discountPct} % discount (priced again at the approval, at the customer's monthly price then)</>}
          </dd>
        </>
      )}
      {(evidence.budgets ?? []).map((b) => (
        <Fragment key={`${b.scope} ${b.periodKey}`}>
          <dt>{budgetText(b.scope, b.periodKey)}</dt>
          <dd>
            {money(b.left)} left of {money(b.limit)} when asked (judged again at the approval)
          </dd>
        </Fragment>
      ))}
      <dt>Customer's facts judged{evidence.factsAsOf !== undefined ? `, as of ${eventTime(new Date(evidence.factsAsOf).toISOString())}` : ''}</dt>
      <dd data-testid="facts-judged">
        {facts.length === 0 ? (
          'none (no twin): no segment holds the customer'
        ) : (
          <>
            {facts.map(([k, v]) => describeFeature(k, v)).join('; ')}
            {/* The names and values the policy's segments read, for an approver checking a rule: one click away. */}
            <details class="figures">
              <summary>as the policy read them</summary>
              {facts.map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`).join(', ')}
            </details>
          </>
        )}
      </dd>
    </dl>
  );
}

/** What was asked, by whom, why and on what evidence: the same for a pending approval and a decided one. */
function ApprovalCard({ a, children, link = true, decided = a.status !== 'pending' }: { a: Approval; children: ComponentChildren; link?: boolean; decided?: boolean }) {
  return (
    <article class="panel" data-testid={decided ? 'decided' : 'approval'} aria-labelledby={`ap-${a.id}`}>
      <h2 id={`ap-${a.id}`}>
        {approvalTitle(a.request)} for{' '}
        {a.request.customerId ? <a href={`/console/customers/${seg(a.request.customerId)}`}>{a.request.customerId}</a> : 'a customer'}
        {typeof a.request.cost === 'number' && <> · cost {money(a.request.cost)}</>}
        {link && (
          <>
            {' '}
            <a class="muted" href={`/console/approvals/${seg(a.id)}`}>
              (its page)
            </a>
          </>
        )}
      </h2>
      {/* An approval waits in people's time (decision 0028): its ages are real time, the facts' date an event time. */}
      <p class="muted">
        asked by <strong>{a.requestedBy.id}</strong> ({a.requestedBy.kind}) {span(a.createdAt - Date.now())} (real time) on {a.request.channel ?? '–'}
        {!decided && (
          <>
            ; expires {span(a.expiresAt - Date.now())} (real time), then {a.onTimeout.replace(/-/g, ' ')}
            {/* A run's request ends with the run, on the event clock: at the sandbox's speed that may come long before the approval's own deadline. */}
            {typeof a.request.expiresAt === 'number' && (
              <span data-testid="request-ends">
                ; the run that asked ends at {eventTime(new Date(a.request.expiresAt).toISOString())} (event clock): approved after that, nothing is carried out
              </span>
            )}
          </>
        )}
      </p>
      <Judged evidence={a.evidence} />
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
        {/* Read when the page is, not when it was asked: a person may have decided the payment it adds to since (decision 0093). */}
        {(a.addsTo ?? []).map((t) => (
          <Fragment key={t.requestId}>
            <dt>Adds to {t.requestId}, now</dt>
            <dd data-testid="adds-to">
              {t.status === 'executed' ? 'carried out' : t.status === 'pending-approval' ? (t.approvedBy ? 'approved, not carried out yet' : 'waiting for a person: decide it first') : `not carried out (${t.status ?? 'nothing asked'}): approved, this one is refused`}
              <span class="muted"> ({t.reason})</span>
            </dd>
          </Fragment>
        ))}
      </dl>
      {a.why.length > 0 && (
        <ul class="reasons">
          {a.why.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      {Object.keys(requesterEvidence(a.evidence)).length > 0 && (
        <details>
          <summary>The requester's evidence</summary>
          <pre class="evidence">{JSON.stringify(requesterEvidence(a.evidence), null, 2)}</pre>
        </details>
      )}
      {children}
    </article>
  );
}

/** Who withdraws an approval its asker stopped waiting for (agents/governance/approval-queue.ts WITHDRAWN_DECIDER). */
const WITHDRAWN_BY = 'system:approval-withdrawn';

/** Who decided, when and why, and what came of it: executed, failed, or refused when judged again at the approval (its reason). */
function Decision({ a }: { a: Approval }) {
  // Withdrawn by the run that asked (a campaign that ended): said so, not "Expired by system:approval-withdrawn".
  const withdrawn = a.status === 'expired' && a.decidedBy === WITHDRAWN_BY;
  const decided = withdrawn ? 'Withdrawn by the run that asked for it' : a.status === 'approved' ? 'Approved' : a.status === 'rejected' ? 'Rejected' : a.status === 'expired' ? 'Expired' : a.status;
  return (
    <dl class="facts" data-testid="decision">
      <dt>Decision</dt>
      <dd>
        <strong>{decided}</strong>
        {a.decidedBy && !withdrawn ? ` by ${a.decidedBy}` : ''}
        {a.decidedAt ? `, ${span(a.decidedAt - Date.now())} (real time)` : ''}
        {a.reason ? `: ${a.reason}` : ''}
      </dd>
      <dt>Outcome</dt>
      <dd>
        {a.outcome ? (
          <span class={`outcome ${a.outcome.status}`} data-testid="outcome">
            {a.outcome.status}: {a.outcome.reason}
          </span>
        ) : (
          <span class="muted" data-testid="outcome">
            not carried out yet: the approved action is carried out at the next settle (every few seconds), then its result shows here
          </span>
        )}
      </dd>
    </dl>
  );
}

/**
 * A decision made on this page: the approval as it was shown when decided, the decision sent, and
 * the server's answer once it came (carrying an approved action out waits for the back end, seconds
 * on a loaded world).
 */
interface DecidedHere {
  readonly approval: Approval;
  readonly verb: Verb;
  readonly reason: string;
  readonly answer?: { readonly ok: true; readonly text: string } | { readonly ok: false; readonly text: string };
}

/**
 * A decision made here: shown at once as sent (the approval as it was shown), then with the
 * server's answer and the approval read back from GET /approvals/:id with its outcome, where it stays.
 * Registered only once the server had answered, the decision was lost whenever the queue was read
 * again meanwhile (every 10 s): the approval had left the queue, the page said "No approval is waiting."
 */
function Decided({ d }: { d: DecidedHere }) {
  const one = useJson<Approval>(d.answer ? `/approvals/${seg(d.approval.id)}` : null, 3_000);
  const a = one.data ?? d.approval;
  const doing = d.verb === 'approve' ? 'Approving' : 'Rejecting';
  return (
    <ApprovalCard a={a} decided>
      {!d.answer && (
        <p class="muted" role="status" data-testid="sending">
          {doing} with your reason “{d.reason}”: sent, waiting for the server's answer (an approved action is carried out first, with the back end's answer)
        </p>
      )}
      {d.answer?.ok === true && (
        <p class="outcome executed" role="status">
          {d.answer.text}
        </p>
      )}
      {d.answer?.ok === false && (
        <p class="error" role="alert" data-testid="not-decided">
          Not {d.verb === 'approve' ? 'approved' : 'rejected'}: {d.answer.text}
          {a.status === 'pending' ? ' It is still waiting, back in the queue below.' : ''}
        </p>
      )}
      <Alert message={one.error} />
      {a.status !== 'pending' && <Decision a={a} />}
    </ApprovalCard>
  );
}

/**
 * Approvals: the queue of actions the policy held for a person, each with its evidence (who asked,
 * why, the policy rule and risk class, the simulated or scored effect the requester attached),
 * approved or rejected with a reason. Nobody decides their own request: the page does not offer
 * it, and the server refuses it (four eyes). An approval decided here stays on the page from the
 * moment it is sent, with what came of it (executed, failed, or refused when judged again at the
 * approval); each has its page.
 */
export function Approvals() {
  const list = useJson<readonly Approval[]>('/approvals', 10_000);
  const [decided, setDecided] = useState<readonly DecidedHere[]>([]);
  const decide = (approval: Approval) => (verb: Verb, reason: string) => {
    const sent = sendDecision(approval.id, verb, reason);
    const mine = { approval, verb, reason: reason.trim() };
    setDecided((ds) => [mine, ...ds.filter((x) => x.approval.id !== approval.id)]);
    const answered = (answer: DecidedHere['answer']) => {
      setDecided((ds) => ds.map((x) => (x.approval === approval && x.verb === verb && !x.answer ? { ...x, answer } : x)));
      list.reload();
    };
    return sent.then(
      (r) => {
        answered({ ok: true, text: answerText(verb, r) });
        return answerText(verb, r);
      },
      (err: Error) => {
        answered({ ok: false, text: err.message });
        throw err;
      },
    );
  };
  // A decision the server refused (decided by someone else meanwhile, or an error) leaves the approval in the queue.
  const pending = list.data?.filter((a) => !decided.some((d) => d.approval.id === a.id && d.answer?.ok !== false));
  return (
    <>
      <Alert message={list.error} />
      {decided.length > 0 && (
        <section aria-label="Decided here">
          <h2>Decided here</h2>
          {decided.map((d) => (
            <Decided key={d.approval.id} d={d} />
          ))}
        </section>
      )}
      {pending && pending.length === 0 && <p class="muted" data-testid="empty-list">No approval is waiting.</p>}
      {pending?.map((a) => (
        <ApprovalCard key={a.id} a={a}>
          <Decide approval={a} onDecide={decide(a)} />
        </ApprovalCard>
      ))}
    </>
  );
}

/** One approval's page (`/console/approvals/ID`): pending, to decide; decided, with its decision and outcome. */
export function ApprovalPage({ id }: { id: string }) {
  const one = useJson<Approval>(`/approvals/${seg(id)}`, 5_000);
  if (!one.data) return <Alert message={one.error} />;
  const a = one.data;
  const decide = (verb: Verb, reason: string) =>
    sendDecision(a.id, verb, reason).then((r) => {
      one.reload();
      return answerText(verb, r);
    });
  return (
    <ApprovalCard a={a} link={false}>
      {a.status === 'pending' ? <Decide approval={a} onDecide={decide} /> : <Decision a={a} />}
    </ApprovalCard>
  );
}

