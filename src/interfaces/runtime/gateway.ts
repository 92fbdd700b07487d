import { openPartitionedPublisher, type PartitionedPublisher, type PartitionedStreamOptions } from '../../bus/nats-event-bus.js';
import { TwinloopError } from '../../domain/errors.js';
import { partitionOf } from '../../domain/partitions.js';
import { ownerOf, type PartitionOwner } from '../../store/partition-leases.js';
import { openPartitionOwners, type PartitionOwners } from '../../store/postgres-partition-leases.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import type { ModelRegistry } from '../../store/model-registry.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { StoreOptions } from '../../store/store-options.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { PartitionRouting } from './worker-fanout.js';
import { openAuthenticator, type AuthSettings } from '../auth/local-auth.js';
import type { PopulationAtRiskLevel } from '../../intelligence/live/population-at-risk.js';
import { keepPopulationAtRisk } from './at-risk-across-workers.js';
import { workerHeaders } from './worker-identity.js';

/**
 * How long the gateway routes by the owners it read before reading them again: a partition that
 * moved is found at most this late (and at once when its old owner refuses or cannot be reached).
 */
const OWNERS_FRESH_MS = 1_000;

export interface GatewayOptions {
  /** The PostgreSQL the workers lease partitions in and keep the keys in. */
  readonly store: Extract<StoreOptions, { kind: 'postgres' }>;
  /** The broker, the partitioned stream and the subject base (`<base>.p07`). */
  readonly nats: PartitionedStreamOptions;
  readonly auth?: AuthSettings;
  /** One line per notable event (the at-risk level not read over the workers, and read again). */
  readonly log?: (line: string) => void;
}

/** The running gateway (`twinloop start --role gateway`, decision 0012): publishes events on their partitions and knows each partition's owner. */
export interface Gateway extends PartitionRouting {
  readonly auth: Authenticator;
  readonly publisher: PartitionedPublisher;
  /** The shared model registry: a churn model trained over the workers is registered here, and each worker serves its champion. */
  readonly registry: ModelRegistry;
  /** Where the customer's partition is answered now, or UNAVAILABLE (503, Retry-After) while it has no owner. */
  ownerFor(customerId: string): Promise<PartitionOwner>;
  /** The population's at-risk level the gateway last read over every worker and sent to each (decision 0092); undefined before the first. */
  atRiskLevel(): PopulationAtRiskLevel | undefined;
  close(): Promise<void>;
}

/** Opens the gateway's connections: the publisher (NATS), the owners (PostgreSQL), the keys (the record store, shared with the workers) and the model registry. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const publisher = await openPartitionedPublisher(o.nats);
  let owners: PartitionOwners | undefined;
  let records: Awaited<ReturnType<typeof openRecordStore>> | undefined;
  let registry: ModelRegistry | undefined;
  try {
    owners = await openPartitionOwners(o.store);
    records = await openRecordStore(o.store);
    registry = await openModelRegistry(o.store);
    const auth = await openAuthenticator(records, o.auth ?? { mode: 'enforced' });
    let table: { at: number; owners: Promise<PartitionOwner[]> } | undefined;
    const read = owners;
    const current = () => {
      if (!table || Date.now() - table.at > OWNERS_FRESH_MS) {
        const fresh = { at: Date.now(), owners: read.owners() };
        fresh.owners.catch(() => (table = undefined));
        table = fresh;
      }
      return table.owners;
    };
    const opened = records;
    const models = registry;
    const routing = { owners: () => read.owners(), forgetOwners: () => (table = undefined) };
    // The gateway calls the workers as a worker does (a sealed `worker:gateway` session under the secret they share).
    const atRisk = keepPopulationAtRisk({ routing, headers: workerHeaders(auth.sessions, 'gateway') }, { log: o.log ?? (() => undefined) });
    return {
      auth,
      publisher,
      registry: models,
      async ownerFor(customerId) {
        const p = partitionOf(customerId);
        const owner = ownerOf(p, await current());
        if (!owner) throw new TwinloopError('UNAVAILABLE', `customer ${customerId}'s partition ${p} has no worker now (one died or is taking it over); retry`, { context: { retryAfterSeconds: 1 } });
        return owner;
      },
      ...routing,
      atRiskLevel: () => atRisk.current(),
      async close() {
        atRisk.stop();
        await auth.keys.close();
        await models.close();
        await opened.close();
        await read.close();
        await publisher.close();
      },
    };
  } catch (err) {
    await registry?.close().catch(() => undefined);
    await records?.close().catch(() => undefined);
    await owners?.close().catch(() => undefined);
    await publisher.close().catch(() => undefined);
    throw err;
  }
}
