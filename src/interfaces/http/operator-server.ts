import { campaignRoutes } from './campaign-routes.js';
import { serviceOperationsRoutes } from './service-operations-routes.js';
import type { FastifyInstance } from 'fastify';
import { customerReach, twinFields, type CustomerReach } from '../auth/customer-reach.js';
import { mcpCapabilities } from '../mcp/mcp-bindings.js';
import { mcpHttpRoutes } from '../mcp/mcp-http-route.js';
import type { Operator } from '../runtime/operator.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import { assistRoutes } from './assist-routes.js';
import { consoleRoutes } from './console-routes.js';
import { decisionEvaluationRoutes } from './decision-evaluation-routes.js';
import { decisionRoutes } from './decision-routes.js';
import type { HardeningOptions } from './http-hardening.js';
import { governanceRoutes } from './governance-routes.js';
import { policyRoutes } from './policy-routes.js';
import { intentRoutes } from './intent-routes.js';
import { modelRoutes } from './model-routes.js';
import { partitionRoutes, wholeProcessPartitions } from './partition-routes.js';
import { partitionTrainingRoutes } from './partition-training-routes.js';
import { partitionChurnRoutes } from './partition-churn-routes.js';
import { partitionAtRiskRoutes } from './partition-at-risk-routes.js';
import { partitionCampaignRoutes } from './partition-campaign-routes.js';
import { populationRoutes } from './population-routes.js';
import { sandboxRoutes } from './sandbox-routes.js';
import { createHttpServer } from './server.js';
import { simulationRoutes } from './simulation-routes.js';
import { tmf620Routes } from './tmf/tmf620-routes.js';
import { tmf621Routes } from './tmf/tmf621-routes.js';
import { createTmfHub, type HubDeliveryOptions } from './tmf/tmf-hub.js';
import { tmfHubRoutes } from './tmf/tmf-hub-routes.js';
import { recordDocuments } from '../../store/document-store.js';
import { tmf622Routes } from './tmf/tmf622-routes.js';
import { tmf642Routes } from './tmf/tmf642-routes.js';
import { tmf681Routes } from './tmf/tmf681-routes.js';
import { tmf921Routes } from './tmf/tmf921-routes.js';
import { tmf629Routes, tmf637Routes } from './tmf/tmf-customer-routes.js';
import { workflowRoutes } from './workflow-routes.js';

/** Options of `createOperatorServer`. */
export interface OperatorServerOptions {
  readonly version: string;
  /** pino logging of requests; off in tests. */
  readonly logger?: boolean;
  /** CORS origins and the acting routes' rate limit (`--cors-origin`, `--rate-limit`). */
  readonly hardening?: HardeningOptions;
  /** How the TMF notification hubs retry a callback (defaults in tmf-hub.ts). */
  readonly hubDelivery?: HubDeliveryOptions;
}

/**
 * The HTTP API of the running operator (not yet listening): twins and events, models, assist,
 * decisions, actions and approvals, simulations, intents, workflows, MCP, the operator console
 * (`/`) and, with a sandbox, its shop front — every route over the operator's one set of services.
 */
export function createOperatorServer(operator: Operator, options: OperatorServerOptions): FastifyInstance {
  const { services } = operator;
  const whole = wholeProcessPartitions(operator.twins);
  const customers = operatorCustomerReach(operator);
  const hub = createTmfHub({ subscriptions: recordDocuments(services.records, 'tmf-hub-subscriptions'), deadLetters: recordDocuments(services.records, 'tmf-hub-dead-letters'), clock: services.clock, delivery: options.hubDelivery });
  return createHttpServer({ twins: operator.twins, auth: operator.auth, version: options.version, logger: options.logger, hardening: options.hardening, customerReach: customers, decorateTwin: operator.intelligence.decorateTwin, profileTwin: operator.intelligence.profileTwin, scoreFields: operator.intelligence.scoreFields, clockSource: operator.clockSource, worldTime: operator.worldTime, historyWritten: operator.historyWritten, historyProblem: operator.historyProblem, worldRebuilt: operator.worldRebuilt, actsHeld: operator.actsHeld, ...(operator.role === 'worker' ? workerTwins(operator.partitions) : {}) }, [
    modelRoutes(operator.intelligence, services.audit),
    populationRoutes(operator.twins, operator.intelligence, operator.role === 'worker' ? operator.partitions : undefined),
    assistRoutes(operator.twins, operator.assist),
    decisionRoutes(services, operator.assist),
    decisionEvaluationRoutes(services),
    tmf620Routes(services),
    tmf629Routes(services),
    tmf637Routes(services),
    tmf622Routes(services),
    tmf642Routes(services.alarms),
    tmf681Routes(services),
    tmf621Routes(services),
    tmf921Routes(services),
    tmfHubRoutes(hub, services, () => operator.intelligence.live()),
    serviceOperationsRoutes(services),
    campaignRoutes(services, operator.campaigns),
    governanceRoutes(services),
    policyRoutes(services),
    simulationRoutes(services),
    intentRoutes(services),
    workflowRoutes(services, operator.assist),
    mcpHttpRoutes(mcpCapabilities(services), options.version, customers),
    consoleRoutes(),
    ...(operator.world ? [sandboxRoutes({ world: operator.world, suspicions: () => services.anomalies.suspicions(), liveFromMs: operator.sandboxLiveFromMs, churnCeiling: operator.churnCeiling })] : []),
    partitionRoutes(operator.role === 'worker' ? operator.partitions : () => whole),
    ...(operator.role === 'worker' ? [partitionTrainingRoutes(operator.twins, operator.partitions, operator.buildTrainingRows), partitionChurnRoutes({ worker: operator.partitions, flows: operator.churnHere, guarded: () => operator.services.guarded }), partitionCampaignRoutes({ worker: operator.partitions, campaigns: operator.campaigns }), partitionAtRiskRoutes({ twins: operator.twins, intelligence: operator.intelligence, worker: operator.partitions })] : []),
  ]);
}

/** The customers a segment-scoped key reaches on this operator: the policy in force's segments over the live twins and scores. */
function operatorCustomerReach(operator: Operator): CustomerReach {
  return customerReach({ segments: () => operator.services.actionPolicy.current().segments, fieldsOf: twinFields(operator.twins.engine, operator.intelligence.scoreFields) });
}

/** On a partition worker: answers only for its live partitions' customers (`guardPartitions`), and lists only their twins. */
function workerTwins(partitions: () => PartitionWorker | undefined) {
  const answersFor = (id: string) => partitions()?.answersFor(id) ?? false;
  const livePartitions = () => (partitions()?.partitions() ?? []).filter((p) => p.state === 'live').map((p) => p.partition);
  return { answersFor, partitionedTwins: { answersFor, livePartitions } };
}
