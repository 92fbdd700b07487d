/**
 * The sandbox operator, as offered to the layers above: build a world from a configuration and
 * a seed, backfill it or run it live into the ordinary intake, and reach its back ends and clock.
 * The ground truth lives in `./oracle/` and is not re-exported here on purpose.
 */
export { createSandboxWorld, type SandboxWorld, type SandboxWorldOptions, type ProgressFn, type RestoredWorld, REBUILDING, REBUILDING_UNTIL } from './sandbox-world.js';
export type { ActHold, HoldProgress, RetryBounds } from './act-gate.js';
export { progressHold } from './act-gate.js';
export { memoryJournalStore, type SandboxJournalEntry, type SandboxJournalStore } from './sandbox-journal.js';
export type { LiveOptions, LiveRun } from './live-run.js';
export { deliver, emptyTally, INTAKE_DELIVERY_WINDOW, type DeliveryOptions, type DeliveryTally } from './sink-delivery.js';
export type { SandboxBackends } from './backends/index.js';
export type { Applicant } from './applicant-pool.js';
export type { CareExample } from './care-example.js';
export { ArrayOutput, NdjsonOutput, usageEvent, type EventOutput } from './event-output.js';
export {
  worldConfigSchema,
  parseWorldConfig,
  formatConfigIssues,
  type WorldConfig,
  type ConfigIssue,
  type ConfigResult,
  type BackendConfig,
  RESPONSE_TYPES,
  type ResponseType,
} from './world-config.js';
export { WORLD_NAMES, namedWorld, loadWorldDocument, checkWorldDocument, parseWorldText, mergeDeep } from './world-catalog.js';
export { WorldStatsAccumulator, type WorldStats } from './world-stats.js';
export { ibmProfile } from './calibration/ibm-telco.js';
export { worldProfile } from './calibration/world-profile.js';
export { compareSides, formatCalibration, type CalibrationReport, type CalibrationRow } from './calibration/calibration-report.js';
