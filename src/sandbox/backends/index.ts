import type { BssConnectors } from '../../domain/connectors/bss-connectors.js';
import type { ApplicantPool } from '../applicant-pool.js';
import { Prng } from '../prng.js';
import type { WorldEngine } from '../world-engine.js';
import { BackendRuntime, type BackendTiming } from './backend-runtime.js';
import { sandboxBillingAdjustments } from './billing-adjustments.js';
import { sandboxCampaignDelivery } from './campaign-delivery.js';
import { sandboxCreditBureau } from './credit-bureau.js';
import { sandboxIdentityVerification } from './identity-verification.js';
import { sandboxNetworkAlarms } from './network-alarms.js';
import { sandboxNotifications } from './notifications.js';
import { sandboxOrderManagement } from './order-management.js';
import { sandboxProvisioning } from './provisioning.js';

/** The sandbox operator's BSS back ends, one per connector role. */
export interface SandboxBackends extends BssConnectors {
  /** Call counts and outcomes per back end. */
  stats(): Record<string, BackendRuntime['stats']>;
}

/** Builds the back ends of a world, each with its configured latency and failure rates. */
export function createSandboxBackends(w: WorldEngine, pool: ApplicantPool, timing: BackendTiming): SandboxBackends {
  const b = w.cfg.backends;
  const rt = (name: string, cfg: (typeof b)[keyof typeof b]) => new BackendRuntime(name, cfg, w.seed, timing);
  const runtimes = {
    identityVerification: rt('identity_verification', b.identityVerification),
    creditBureau: rt('credit_bureau', b.creditBureau),
    orderManagement: rt('order_management', b.orderManagement),
    provisioning: rt('provisioning', b.provisioning),
    billingAdjustments: rt('billing_adjustments', b.billingAdjustments),
    notifications: rt('notifications', b.notifications),
    networkAlarms: rt('network_alarms', b.networkAlarms),
    campaignDelivery: rt('campaign_delivery', b.campaignDelivery),
  };
  const orders = sandboxOrderManagement(runtimes.orderManagement, w, pool);
  return {
    identityVerification: sandboxIdentityVerification(runtimes.identityVerification, pool, new Prng(w.seed, 'idv-risk')),
    creditBureau: sandboxCreditBureau(runtimes.creditBureau, pool),
    orderManagement: orders,
    provisioning: sandboxProvisioning(runtimes.provisioning, w, orders, b.provisioning.completionMs, new Prng(w.seed, 'provisioning'), timing),
    billingAdjustments: sandboxBillingAdjustments(runtimes.billingAdjustments, w),
    notifications: sandboxNotifications(runtimes.notifications, w),
    networkAlarms: sandboxNetworkAlarms(runtimes.networkAlarms, w),
    campaignDelivery: sandboxCampaignDelivery(runtimes.campaignDelivery, w),
    stats: () => Object.fromEntries(Object.entries(runtimes).map(([k, r]) => [k, { ...r.stats }])),
  };
}
