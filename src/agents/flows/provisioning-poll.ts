import { rejected, transient, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import type { RetryPolicy, StepDefinition } from '../workflows/index.js';

/**
 * How a flow waits for an asynchronous provisioning job: 30 polls, 100 ms growing by half each
 * time to at most 5 s apart, about two minutes in all: a line or a plan change the back end has
 * not finished by then is stuck, and the saga undoes what came before.
 */
export const PROVISIONING_POLL_RETRY: RetryPolicy = { maxAttempts: 30, baseDelayMs: 100, factor: 1.5, maxDelayMs: 5_000, jitter: 0.1 };

/**
 * The step that polls a provisioning job until it completes: transient while it is pending (the
 * engine retries on `PROVISIONING_POLL_RETRY`), rejected when it failed. `what` names the work in
 * the reasons (`activation_pending`, `provisioning_failed: …`); `compensate` is the flow's undo.
 */
export function provisioningPollStep<I extends { provisioningId: string }>(
  id: string,
  provisioning: ProvisioningConnector,
  what: 'activation' | 'provisioning',
  compensate?: StepDefinition<I, ProvisioningJob>['compensate'],
): StepDefinition<I, ProvisioningJob> {
  return {
    id,
    version: 1,
    retry: PROVISIONING_POLL_RETRY,
    async run(input): Promise<ConnectorResult<ProvisioningJob>> {
      const r = await provisioning.status(input.provisioningId);
      if (r.status !== 'ok') return r;
      if (r.value.state === 'pending') return transient(`${what}_pending`);
      if (r.value.state === 'failed') return rejected(`${what}_failed: ${r.value.reason ?? 'unknown'}`);
      return r;
    },
    ...(compensate ? { compensate } : {}),
  };
}
