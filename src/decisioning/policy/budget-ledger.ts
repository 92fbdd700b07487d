import { TwinloopError } from '../../domain/errors.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { budgetScope, budgetsFor, periodKey, type ActionPolicy } from './action-policy.js';
import type { ActionRequest } from './action-request.js';
import type { BudgetClaim, BudgetStanding } from './policy-verdict.js';

/**
 * Budgets per period and action class (or domain): an action reserves its cost before it runs,
 * then commits what it really cost, or releases the reservation when it did not run. Spending
 * lives in the governance store, so it survives a restart and is shared by every process.
 */

/** The part of the governance store the ledger uses. */
export type BudgetStore = Pick<GovernanceStore, 'reserveBudget' | 'commitBudget' | 'releaseBudget' | 'budgetSpend'>;

/** Reserved budget lines, to commit or release exactly once. */
export interface BudgetReservation {
  readonly claims: readonly BudgetClaim[];
  /** The request the reservation belongs to: committing or releasing it twice does nothing more. */
  readonly requestId?: string;
}

/** A reservation, or the budget that had no room. */
export type ReserveResult =
  | { ok: true; reservation: BudgetReservation }
  | { ok: false; scope: string; periodKey: string; reason: string };

/** The ledger over a store. */
export interface BudgetLedger {
  /** Spending so far on every budget that counts the request, in the periods `now` falls in. */
  standingFor(policy: ActionPolicy, request: Pick<ActionRequest, 'actionClass' | 'domain'>, now: number): Promise<BudgetStanding[]>;
  /**
   * Reserves every claim or none (atomic in the store, so concurrent callers cannot overspend).
   * With `requestId`, the reservation is that request's: a request already holding one (reserved,
   * or committed before a crash) gets it back without reserving again, so it is charged once.
   */
  reserve(claims: readonly BudgetClaim[], requestId?: string): Promise<ReserveResult>;
  /** Books the actual cost (default: the reserved amount) and frees the reservation. */
  commit(reservation: BudgetReservation, actualCost?: number): Promise<void>;
  /** Frees the reservation; nothing is booked. */
  release(reservation: BudgetReservation): Promise<void>;
}

/** A ledger keeping its spending in `store`. */
export function createBudgetLedger(store: BudgetStore): BudgetLedger {
  return {
    async standingFor(policy, request, now) {
      const out: BudgetStanding[] = [];
      for (const b of budgetsFor(policy, request)) {
        const s = await store.budgetSpend(periodKey(b.period, now), budgetScope(b));
        out.push({ scope: s.scope, periodKey: s.periodKey, reserved: s.reserved, committed: s.committed });
      }
      return out;
    },
    async reserve(claims, requestId) {
      const lines = claims.filter((c) => c.amount > 0);
      if (lines.length === 0) return { ok: true, reservation: { claims: [] } };
      const r = await store.reserveBudget(
        lines.map((c) => ({ periodKey: c.periodKey, scope: c.scope, amount: c.amount, limit: c.limit })),
        requestId,
      );
      if (r.ok) return { ok: true, reservation: { claims: lines, requestId } };
      const left = Math.max(0, r.line.limit - r.spend.reserved - r.spend.committed);
      return { ok: false, scope: r.line.scope, periodKey: r.line.periodKey, reason: `budget ${r.line.scope} for ${r.line.periodKey} has ${left} of ${r.line.limit} left; this costs ${r.line.amount}` };
    },
    async commit(reservation, actualCost) {
      if (actualCost !== undefined && (!Number.isFinite(actualCost) || actualCost < 0)) {
        throw new TwinloopError('BAD_INPUT', `an action's actual cost must be finite and ≥ 0; got ${actualCost}`);
      }
      if (reservation.claims.length === 0) return;
      await store.commitBudget(
        reservation.claims.map((c) => ({ periodKey: c.periodKey, scope: c.scope, reserved: c.amount, committed: actualCost ?? c.amount })),
        reservation.requestId,
      );
    },
    async release(reservation) {
      if (reservation.claims.length === 0) return;
      await store.releaseBudget(
        reservation.claims.map((c) => ({ periodKey: c.periodKey, scope: c.scope, amount: c.amount })),
        reservation.requestId,
      );
    },
  };
}
