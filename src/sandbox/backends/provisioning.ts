import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import type { Prng } from '../prng.js';
import { activateLine, changePlan } from '../world-effects.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime, BackendTiming } from './backend-runtime.js';
import type { SandboxOrderManagement } from './order-management.js';

/**
 * Sandbox provisioning: `activate` answers with a pending job; after the configured completion
 * time the order takes effect in the world (a new line becomes a customer whose usage follows,
 * a plan change changes the plan) and listeners hear of it.
 */
export function sandboxProvisioning(
  rt: BackendRuntime,
  w: WorldEngine,
  orders: SandboxOrderManagement,
  completion: { median: number; sigma: number },
  rng: Prng,
  timing: BackendTiming,
): ProvisioningConnector {
  const jobs = new Map<string, ProvisioningJob>();
  const listeners = new Set<(job: ProvisioningJob) => void>();
  let n = 0;

  const complete = (job: ProvisioningJob) => {
    const order = orders.lookup(job.orderId);
    if (!order || order.state === 'cancelled') {
      job.state = 'failed';
      job.reason = 'order_cancelled';
    } else if (order.request.type === 'new_line') {
      const r = activateLine(w, order.request);
      if (r.ok) Object.assign(job, { state: 'completed', customerId: r.value.customerId, subscriptionId: r.value.subscriptionId });
      else Object.assign(job, { state: 'failed', reason: r.reason });
    } else {
      const r = changePlan(w, order.request.customerId, order.request.planId, 'order');
      if (r.ok) Object.assign(job, { state: 'completed', customerId: order.request.customerId });
      else Object.assign(job, { state: 'failed', reason: r.reason });
    }
    orders.setState(job.orderId, job.state === 'completed' ? 'completed' : 'failed');
    for (const l of listeners) l({ ...job });
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
        setTimeout(() => complete(job), delay);
        return ok({ ...job });
      }),
    status: (provisioningId) =>
      rt.read(() => {
        const job = jobs.get(provisioningId);
        return job ? ok({ ...job }) : rejected('unknown_provisioning_job');
      }),
    onCompletion: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
