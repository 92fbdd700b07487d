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

/** A run's report. */
export interface ChurnRunReport {
  readonly periodId: string;
  /** acted: contacts were tried; nothing-to-do or refused-by-simulation: nobody was contacted, and why. */
  readonly status: 'acted' | 'nothing-to-do' | 'refused-by-simulation';
  readonly reason?: string;
  readonly scanned: number;
  /** Whom the run contacted: the offer, the route and what it cost. */
  readonly contacted: readonly { customerId: string; offerId: string; route: 'digital' | 'assisted'; cost: number }[];
  /** Whom it left alone and why: a count per reason and the first ids. */
  readonly leftAlone: Readonly<Partial<Record<LeftAloneReason, { count: number; customerIds: string[] }>>>;
  readonly spend: number;
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
  return `scanned ${r.scanned}: contacted ${r.contacted.length} (spend ${round(r.spend)} of ${round(r.budget)})${left.length ? `; left alone: ${left.join(', ')}` : ''}${r.reason ? `; ${r.reason}` : ''}`;
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

/** Reads the runs' reports from the workflow journal. */
export function churnRunReports(engine: Pick<WorkflowEngine, 'list' | 'get' | 'steps'>, definitionId: string) {
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
      budget: o.budget,
      ...(o.settings ? { settings: o.settings } : {}),
      simulation: o.simulation ?? [],
      ...(o.notClearlyPositive ? { notClearlyPositive: o.notClearlyPositive } : {}),
    });
    const steps = (await engine.steps(workflowId)) ?? [];
    const step = steps.find((s) => s.stepId === CHURN_REPORT_STEP_ID && s.status === 'succeeded');
    const report = (step?.output as ReportedRun | undefined) ?? (output && Array.isArray(output.contacted) ? fromResult(output) : null);
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
