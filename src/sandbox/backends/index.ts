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
import { sandboxProvisioning, type SandboxProvisioning } from './provisioning.js';
import { sandboxTroubleTickets, type SandboxTroubleTickets } from './trouble-tickets.js';
import type { SandboxJournal } from '../sandbox-journal.js';
import type { ActGate } from '../act-gate.js';

/** The sandbox operator's BSS back ends, one per connector role. */
export interface SandboxBackends extends BssConnectors {
  troubleTickets: SandboxTroubleTickets;
  /** Call counts and outcomes per back end. */
  stats(): Record<string, BackendRuntime['stats']>;
}

/** The back ends, and what a restart's replay of the journal needs of provisioning. */
export interface JournaledBackends {
  backends: SandboxBackends;
  provisioning: SandboxProvisioning;
}

/**
 * Builds the back ends of a world, each with its configured latency and failure rates; every act
 * is journaled in `journal` (under the connector's key, e.g. `orderManagement`) before it is answered;
 * none runs while `gate` is held.
 */
export function createSandboxBackends(w: WorldEngine, pool: ApplicantPool, timing: BackendTiming, journal?: SandboxJournal, gate?: ActGate): JournaledBackends {
  const b = w.cfg.backends;
  const rt = (name: string, connector: string, cfg: (typeof b)[keyof typeof b]) => new BackendRuntime(name, cfg, w.seed, timing, journal ? { log: journal, connector } : undefined, gate);
  const runtimes = {
    identityVerification: rt('identity_verification', 'identityVerification', b.identityVerification),
    creditBureau: rt('credit_bureau', 'creditBureau', b.creditBureau),
    orderManagement: rt('order_management', 'orderManagement', b.orderManagement),
    provisioning: rt('provisioning', 'provisioning', b.provisioning),
    billingAdjustments: rt('billing_adjustments', 'billingAdjustments', b.billingAdjustments),
    notifications: rt('notifications', 'notifications', b.notifications),
    networkAlarms: rt('network_alarms', 'networkAlarms', b.networkAlarms),
    campaignDelivery: rt('campaign_delivery', 'campaignDelivery', b.campaignDelivery),
    // The ticketing system answers like the notification channels, but takes every well-formed
    // ticket: a refusal would leave an alarm's ticket unopened for ever.
    troubleTickets: rt('trouble_tickets', 'troubleTickets', { ...b.notifications, permanentRejectionRate: 0 }),
  };
  const orders = sandboxOrderManagement(runtimes.orderManagement, w, pool);
  const provisioning = sandboxProvisioning(runtimes.provisioning, w, orders, b.provisioning.completionMs, new Prng(w.seed, 'provisioning'), timing, journal);
  const backends: SandboxBackends = {
    identityVerification: sandboxIdentityVerification(runtimes.identityVerification, pool, new Prng(w.seed, 'idv-risk')),
    creditBureau: sandboxCreditBureau(runtimes.creditBureau, pool),
    orderManagement: orders,
    provisioning,
    billingAdjustments: sandboxBillingAdjustments(runtimes.billingAdjustments, w),
    notifications: sandboxNotifications(runtimes.notifications, w),
    networkAlarms: sandboxNetworkAlarms(runtimes.networkAlarms, w),
    campaignDelivery: sandboxCampaignDelivery(runtimes.campaignDelivery, w),
    troubleTickets: sandboxTroubleTickets(runtimes.troubleTickets, w),
    stats: () => Object.fromEntries(Object.entries(runtimes).map(([k, r]) => [k, { ...r.stats }])),
  };
  return { backends, provisioning };
}
