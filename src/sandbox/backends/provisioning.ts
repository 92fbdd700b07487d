import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import type { Prng } from '../prng.js';
import { activateLine, addAddon, changePlan, terminateLine } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import { TwinloopError } from '../../domain/errors.js';
import type { SandboxJournal } from '../sandbox-journal.js';
import type { BackendRuntime, BackendTiming } from './backend-runtime.js';
import type { SandboxOrderManagement } from './order-management.js';

/**
 * Sandbox provisioning: `activate` answers with a pending job; after the configured completion
 * time the order takes effect in the world (a new line becomes a customer whose usage follows,
 * a plan change changes the plan) and listeners hear of it.
 */
export interface SandboxProvisioning extends ProvisioningConnector {
  /** Replays a journaled completion of job `provisioningId` (a restart). */
  replayCompletion(provisioningId: string): void;
  /** After a replay: the jobs still pending complete on their own again (their first timers died with the process). */
  resumePending(): void;
}

export function sandboxProvisioning(
  rt: BackendRuntime,
  w: WorldEngine,
  orders: SandboxOrderManagement,
  completion: { median: number; sigma: number },
  rng: Prng,
  timing: BackendTiming,
  journal?: SandboxJournal,
): SandboxProvisioning {
  const jobs = new Map<string, ProvisioningJob>();
  const listeners = new Set<(job: ProvisioningJob) => void>();
  let n = 0;

  // The completion is journaled before anyone hears of it, so a restart finds the world as they were told.
  const completeLater = (job: ProvisioningJob, delayMs: number) =>
    setTimeout(() => {
      if (job.state !== 'pending') return;
      apply(job);
      void (journal?.record({ backend: 'provisioning', method: 'complete', request: { provisioningId: job.provisioningId }, ran: true, result: ok({ ...job }) }) ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          for (const l of listeners) l({ ...job });
        });
    }, delayMs);

  const apply = (job: ProvisioningJob) => {
    const order = orders.lookup(job.orderId);
    if (!order || order.state === 'cancelled') {
      job.state = 'failed';
      job.reason = 'order_cancelled';
    } else if (order.request.type === 'new_line') {
      const r = activateLine(w, order.request);
      if (r.ok) Object.assign(job, { state: 'completed', customerId: r.value.customerId, subscriptionId: r.value.subscriptionId });
      else Object.assign(job, { state: 'failed', reason: r.reason });
    } else {
      const req = order.request;
      const r = req.type === 'change_plan' ? changePlan(w, req.customerId, req.planId, 'order') : req.type === 'add_addon' ? addAddon(w, req.customerId, req.addonId) : terminateLine(w, req.customerId);
      if (r.ok) Object.assign(job, { state: 'completed', customerId: req.customerId });
      else Object.assign(job, { state: 'failed', reason: r.reason });
    }
    orders.setState(job.orderId, job.state === 'completed' ? 'completed' : 'failed');
  };

  return {
    activate: (req) =>
      rt.call(req.idempotencyKey, () => {
        const order = orders.lookup(req.orderId);
        if (!order) return rejected('unknown_order');
        if (order.state !== 'acknowledged') return rejected(`order_${order.state}`);
        orders.setState(order.orderId, 'in_progress');
        const job: ProvisioningJob = { provisioningId: 'PRV-' + ++n, orderId: order.orderId, state: 'pending' };
        jobs.set(job.provisioningId, job);
        const delay = completion.median <= 0 ? 0 : rng.lognormal(completion.median, completion.sigma) * timing.latencyScale;
        if (!journal?.inReplay) completeLater(job, delay);
        return ok({ ...job });
      }, { method: 'activate', request: req }),
    status: (provisioningId) =>
      rt.read(() => {
        const job = jobs.get(provisioningId);
        return job ? ok({ ...job }) : rejected('unknown_provisioning_job');
      }),
    onCompletion: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    replayCompletion(provisioningId) {
      const job = jobs.get(provisioningId);
      if (!job) throw new TwinloopError('INTERNAL', `the sandbox journal completes provisioning job ${provisioningId}, which its replay never activated`);
      apply(job);
    },
    resumePending() {
      for (const job of jobs.values()) if (job.state === 'pending') completeLater(job, 0);
    },
  };
}
