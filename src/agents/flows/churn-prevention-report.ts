import { ok } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import type { StepDefinition, WorkflowEngine, WorkflowRun } from '../workflows/index.js';
import type { LeftAloneReason } from './churn-prevention-policy.js';

/**
 * What a proactive churn prevention run did, as soon as it has acted (the run itself then sleeps
 * to its horizon, a month, before its result measures churn): whom it contacted, whom it left
 * alone and why, what it spent under which settings. A journaled step writes it once, with its
 * counts in the audit trail; `GET /churn-prevention/runs/:id` and `twinloop churn-prevention
 * report` read it back.
 */

/** The step that writes the report (its id is stored in the journal: never rename it). */
export const CHURN_REPORT_STEP_ID = 'churn-report';
/** The audit entry's action class and event: a run's report is not an action on a customer. */
export const CHURN_RUN_AUDIT_CLASS = 'churn_prevention_run';
export const CHURN_RUN_EVENT = 'churn-prevention.reported';

/** One customer a run contacted: the offer, the route and what it cost when made. */
export interface ContactedCustomer {
  readonly customerId: string;
  readonly offerId: string;
  readonly route: 'digital' | 'assisted';
  readonly cost: number;
  /** An offer paid on acceptance: its request (whose answer settles it) and the part reserved until then. */
  readonly requestId?: string;
  readonly onAcceptance?: number;
}

/** Where an offer's acceptance-paid part stands, by its request id (offer-settlement.ts): undefined when there is none. */
export type SettlementReader = (requestId: string) => Promise<{ readonly state: 'reserved' | 'committed' | 'released'; readonly amount: number } | undefined>;

/** A run's report. */
export interface ChurnRunReport {
  readonly periodId: string;
  /** acted: contacts were tried; nothing-to-do or refused-by-simulation: nobody was contacted, and why. */
  readonly status: 'acted' | 'nothing-to-do' | 'refused-by-simulation';
  readonly reason?: string;
  readonly scanned: number;
  /** Whom the run contacted: the offer, the route and what it cost. */
  readonly contacted: readonly ContactedCustomer[];
  /** Whom it left alone and why: a count per reason and the first ids. */
  readonly leftAlone: Readonly<Partial<Record<LeftAloneReason, { count: number; customerIds: string[] }>>>;
  /** What its contacts cost when made, and (as read by the report routes) its offers accepted since. */
  readonly spend: number;
  /** What its offers still waiting for an answer would cost if accepted (reserved in the budgets, released on a no). */
  readonly reserved?: number;
  readonly budget: number;
  /** The settings the run used (the policy's at scan time, for a proactive run). */
  readonly settings?: { minChurn: number; minValue: number; budget: number; controlShare: number; offers: string[] };
  readonly simulation: readonly { customers: number; low: number; mean: number; simulationId?: string }[];
  /** Customers the simulation check left out (reason `simulation`): their expected net value, mean and low end (the first 200). */
  readonly notClearlyPositive?: readonly { customerId: string; mean: number; low: number }[];
}

/** The report as the step answers it: with where its audit entry is. */
export type ReportedRun = ChurnRunReport & { readonly auditSeq?: number };

/** One line saying what a run did: the audit entry's summary and the CLI's. */
export function describeChurnRun(r: ChurnRunReport): string {
  const left = Object.entries(r.leftAlone).map(([why, v]) => `${why} ${v!.count}`);
  return `scanned ${r.scanned}: contacted ${r.contacted.length} (spend ${round(r.spend)} of ${round(r.budget)}${r.reserved ? `, ${round(r.reserved)} reserved for offers waiting for an answer` : ''})${left.length ? `; left alone: ${left.join(', ')}` : ''}${r.reason ? `; ${r.reason}` : ''}`;
}

/** The step: writes the report's counts to the audit trail (once: the step is journaled) and answers the report. */
export function churnReportStep(audit: (() => Pick<AuditTrail, 'record'>) | undefined): StepDefinition<ChurnRunReport, ReportedRun> {
  return {
    id: CHURN_REPORT_STEP_ID,
    version: 1,
    async run(report, ctx) {
      if (!audit) return ok(report);
      const counts = Object.fromEntries(Object.entries(report.leftAlone).map(([why, v]) => [why, v!.count]));
      const entry = await audit().record({
        type: 'action.executed',
        requestId: `${ctx.idempotencyKey}:report`,
        actor: { kind: 'agent', id: 'churn-prevention' },
        action: { actionClass: CHURN_RUN_AUDIT_CLASS, channel: '*', cost: report.spend, params: { event: CHURN_RUN_EVENT, periodId: report.periodId } },
        why: { summary: describeChurnRun(report), evidence: { settings: report.settings ?? null, simulation: report.simulation } },
        outcome: { status: report.status, event: CHURN_RUN_EVENT, scanned: report.scanned, contacted: report.contacted.length, spend: report.spend, budget: report.budget, leftAlone: counts },
      });
      return ok({ ...report, auditSeq: entry.seq });
    },
  };
}

/** A run as the report routes list it. */
export interface ChurnRunView {
  readonly workflowId: string;
  /** The run's status (a run that has acted sleeps, `waiting`, until its horizon). */
  readonly status: WorkflowRun['status'];
  readonly periodId: string | null;
  readonly scanAt: number | null;
  /** Null until the run has gone through its whole list. */
  readonly report: ReportedRun | null;
  /**
   * While a run is still going through its list (it waits for quiet hours between contacts, so a
   * run can act for hours before its report): how many customers it has contacted so far, read
   * from its journaled contact steps. Null once the report is written, or before the first contact.
   */
  readonly contactedSoFar: number | null;
  /** The run's measured result (treated vs control churn) once it reached its horizon. */
  readonly measured: unknown;
}

/** Where a run's offers paid on acceptance stand: what the accepted ones committed, what the unanswered still hold reserved. */
export interface SettledOffers {
  readonly committed: number;
  readonly reserved: number;
}

/** The settlements of the requests (offers paid on acceptance) summed: committed and still reserved. */
export async function settledOffers(requestIds: readonly string[], settlements: SettlementReader): Promise<SettledOffers> {
  let committed = 0;
  let reserved = 0;
  for (const id of requestIds) {
    const s = await settlements(id);
    if (s?.state === 'committed') committed += s.amount;
    else if (s?.state === 'reserved') reserved += s.amount;
  }
  return { committed: round(committed), reserved: round(reserved) };
}

/** The requests of a run's contacts whose offers have a part paid on acceptance. */
export const requestsPaidOnAcceptance = (contacted: readonly ContactedCustomer[]): string[] => contacted.flatMap((c) => (c.requestId && c.onAcceptance ? [c.requestId] : []));

/** The step that reads, at the run's horizon, what its offers' answers settled (its id is stored in the journal: never rename it). */
export const CHURN_SETTLED_STEP_ID = 'churn-settled';

/** The step: what the accepted offers committed by the horizon, and what is still reserved (journaled: a replay reads the same). */
export function churnSettledStep(settlements: SettlementReader): StepDefinition<{ requestIds: string[] }, SettledOffers> {
  return { id: CHURN_SETTLED_STEP_ID, version: 1, run: async ({ requestIds }) => ok(await settledOffers(requestIds, settlements)) };
}

/**
 * The report with its offers' answers settled so far: an accepted offer's acceptance-paid part
 * moves from `reserved` to `spend`, a declined or ignored one's leaves `reserved`.
 */
export async function settledReport(report: ReportedRun, settlements: SettlementReader): Promise<ReportedRun> {
  const ids = requestsPaidOnAcceptance(report.contacted);
  if (ids.length === 0) return report;
  const { committed, reserved } = await settledOffers(ids, settlements);
  return { ...report, spend: round(report.spend + committed), reserved };
}

/** Reads the runs' reports from the workflow journal. */

/** Reads the runs' reports from the workflow journal (with `settlements`, their offers' answers settled so far). */
export function churnRunReports(engine: Pick<WorkflowEngine, 'list' | 'get' | 'steps'>, definitionId: string, settlements?: SettlementReader) {
  const view = async (workflowId: string): Promise<ChurnRunView | null> => {
    const run = await engine.get(workflowId);
    if (!run || run.definitionId !== definitionId) return null;
    const input = (run.input ?? {}) as { periodId?: string; scanAt?: number };
    const output = (run.output ?? null) as (Omit<ChurnRunReport, 'status'> & { status: string; measured?: unknown }) | null;
    // A run that finished before runs wrote reports has the same figures in its result.
    const fromResult = (o: NonNullable<typeof output>): ReportedRun => ({
      periodId: o.periodId,
      status: o.status === 'measured' ? 'acted' : (o.status as ChurnRunReport['status']),
      ...(o.reason ? { reason: o.reason } : {}),
      scanned: o.scanned,
      contacted: o.contacted,
      leftAlone: o.leftAlone ?? {},
      spend: o.spend,
      ...(o.reserved ? { reserved: o.reserved } : {}),
      budget: o.budget,
      ...(o.settings ? { settings: o.settings } : {}),
      simulation: o.simulation ?? [],
      ...(o.notClearlyPositive ? { notClearlyPositive: o.notClearlyPositive } : {}),
    });
    const steps = (await engine.steps(workflowId)) ?? [];
    const step = steps.find((s) => s.stepId === CHURN_REPORT_STEP_ID && s.status === 'succeeded');
    const written = (step?.output as ReportedRun | undefined) ?? (output && Array.isArray(output.contacted) ? fromResult(output) : null);
    const report = written && settlements ? await settledReport(written, settlements) : written;
    const contactedSoFar = report ? null : contactsSoFar(steps);
    return { workflowId, status: run.status, periodId: input.periodId ?? null, scanAt: input.scanAt ?? null, report, contactedSoFar, measured: output?.measured ?? null };
  };
  return {
    /** The runs, newest first. */
    async list(limit = 20): Promise<ChurnRunView[]> {
      const runs = await engine.list({ definitionId, limit });
      return (await Promise.all(runs.map((r) => view(r.workflowId)))).filter((v): v is ChurnRunView => v !== null);
    },
    async get(workflowId: string): Promise<ChurnRunView> {
      const found = await view(workflowId);
      if (!found) throw new TwinloopError('NOT_FOUND', `no churn prevention run ${workflowId}; GET /churn-prevention/runs lists them`);
      return found;
    },
  };
}

/** Customers a run's contact steps (`offer-ID` in the app, `task-ID` for a call) executed so far; null before the first. */
function contactsSoFar(steps: readonly { key: string; status: string; output: unknown }[]): number | null {
  const contacted = new Set<string>();
  for (const s of steps) {
    const id = /^(?:offer|task)-(.+)$/.exec(s.key)?.[1];
    if (id !== undefined && s.status === 'succeeded' && (s.output as { status?: string } | null)?.status === 'executed') contacted.add(id);
  }
  return contacted.size ? contacted.size : null;
}

const round = (x: number) => Math.round(x * 100) / 100;
