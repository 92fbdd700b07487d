import type { WorkflowContext } from '../workflows/index.js';

/**
 * Stopping a run that acts over time (a managed campaign, a churn prevention run): whoever started
 * it (an intent that closed, docs/intents.md) sends the run the STOP_RUN_SIGNAL; the run's waits
 * (its ticks, its quiet hours, its horizon) are signal waits that the stop ends at once, and it
 * looks for the stop before each contact, so nothing new is presented after it.
 */

/** The signal's name (stored in the journal: never rename it). */
export const STOP_RUN_SIGNAL = 'stop';

/** Why a run was stopped, and by whom. */
export interface RunStop {
  readonly reason: string;
}

/**
 * Waits until `atMs` on the engine's clock unless the run is stopped first (or was already);
 * answers the stop, or undefined when the time came. Journaled under `key`.
 */
export async function waitUnlessStopped(ctx: WorkflowContext, key: string, atMs: number): Promise<RunStop | undefined> {
  const from = await ctx.now(`${key}-from`);
  const r = await ctx.waitForSignal<RunStop | null>(STOP_RUN_SIGNAL, { timeoutMs: Math.max(0, atMs - from), fallback: null, key });
  return r.timedOut ? undefined : (r.payload ?? { reason: 'stopped' });
}

/** Whether the run has been stopped, looked at now (journaled under `key`, so a replay sees the same). */
export async function stoppedNow(ctx: WorkflowContext, key: string): Promise<RunStop | undefined> {
  const r = await ctx.waitForSignal<RunStop | null>(STOP_RUN_SIGNAL, { timeoutMs: 0, fallback: null, key });
  return r.timedOut ? undefined : (r.payload ?? { reason: 'stopped' });
}
