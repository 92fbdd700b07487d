import { judgeLiveCeiling, takeLiveCeilingSnapshot, type LiveCeilingReport, type LiveCeilingSnapshot } from '../../evaluation/live-churn-ceiling.js';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import type { SandboxWorld } from '../../sandbox/index.js';
import type { TwinService } from '../../twin/twin-service.js';

/** The running server's churn model against its ceiling: one moment recorded, judged when asked. */
export interface LiveChurnCeiling {
  /** Records the moment's rows for the champion serving now (replacing any earlier one once done); false when no model serves. */
  record(): Promise<boolean>;
  /** The recorded moment judged now; null before any was recorded. */
  report(): LiveCeilingReport | null;
}

/**
 * Keeps one moment of the live ceiling (`takeLiveCeilingSnapshot`) in memory: the operator
 * records it once the first start's model serves, so that one horizon of the live world later
 * (twelve minutes at the sandbox's default 3,600×) the realised AUCs are there. A restart records
 * a new one; nothing of it is a customer's data, so nothing is kept across.
 */
export function liveChurnCeiling(world: SandboxWorld, twins: TwinService, intelligence: Intelligence, log: (line: string) => void): LiveChurnCeiling {
  let snap: LiveCeilingSnapshot | null = null;
  return {
    async record() {
      const live = intelligence.live();
      if (!live) return false;
      const started = performance.now();
      const { table } = twins.engine;
      const ids: string[] = [];
      for (let slot = 0; slot < table.size; slot++) if (live.active[slot] === 1) ids.push(table.idAt(slot));
      const model = live.model;
      // A row's score is read as the row is (the world and the scores move on meanwhile), from the model this began with.
      const servedOf = (id: string) => {
        const slot = table.slotOf(id);
        return slot === undefined || live.model.id !== model.id || live.active[slot] !== 1 ? Number.NaN : live.churn[slot];
      };
      const taken = await takeLiveCeilingSnapshot(world, ids, servedOf, { modelId: model.id, horizonDays: model.metadata.horizonDays });
      snap = taken;
      log(`models: churn ceiling: ${taken.customerIds.length} scored twins recorded with the truth and the feature oracle in ${((performance.now() - started) / 1000).toFixed(1)} s (GET /sandbox/churn-ceiling; realised AUCs after ${taken.horizonDays} days of the live world)`);
      return true;
    },
    report: () => (snap ? judgeLiveCeiling(world, snap) : null),
  };
}
