import type { ConnectorResult, Idempotent } from './connector-result.js';

/** Where a provisioning job stands; `customerId`/`subscriptionId` are known once completed. */
export interface ProvisioningJob {
  provisioningId: string;
  orderId: string;
  state: 'pending' | 'completed' | 'failed';
  customerId?: string;
  subscriptionId?: string;
  reason?: string;
}

/**
 * Service provisioning and activation. Asynchronous: `activate` returns a pending job at once;
 * completion arrives later, through `status` (poll) or an `onCompletion` listener.
 */
export interface ProvisioningConnector {
  activate(request: Idempotent & { orderId: string }): Promise<ConnectorResult<ProvisioningJob>>;
  status(provisioningId: string): Promise<ConnectorResult<ProvisioningJob>>;
  /** Calls `listener` when a job completes or fails; returns the function that unsubscribes. */
  onCompletion(listener: (job: ProvisioningJob) => void): () => void;
}
