import type { TwinEvent } from '../../domain/events.js';
import type { DocumentStore } from '../../store/document-store.js';
import { createCellAnomalyDetector, type AnomalyCells, type AnomalyDetectorState, type CellAnomalyDetector, type CellAnomalyOptions, type KnownIncident, type SuspectedIncident, type SuspicionReview } from './cell-anomaly-detector.js';

/**
 * Anomaly detection whose suspicions and learned rates are kept in the store, so a restart
 * loses neither: each suspicion is a document (written when it opens and whenever it changes),
 * the base's rates one more (written with them, and at close). Writes go one after another in
 * the order the changes happened; a failed write is reported, and the suspicions it did not write
 * are written with the next events observed (a suspicion never written would be lost at a restart).
 */

/** The learned rates' document. */
export type AnomalyBaseline = AnomalyDetectorState['baseline'];

/** The id of the rates' document in its collection. */
const BASELINE_ID = 'baseline';

/** A detector over the store, fed with applied events. */
export interface KeptAnomalyDetector {
  readonly detector: CellAnomalyDetector;
  /** Feeds applied events (the intake's `onApplied`); the changes are written behind. */
  observe(events: readonly { event: TwinEvent; time: number }[]): void;
  /** Records a review on a suspicion and resolves once it is written. */
  review(id: string, review: SuspicionReview): Promise<SuspectedIncident>;
  /** Closes a suspicion an alarm covered, once that alarm cleared, and resolves once it is written. */
  cover(id: string, alarmId: string): Promise<SuspectedIncident>;
  /** Resolves once every change so far is written. */
  flushed(): Promise<void>;
  /** Writes the rates and what is pending. */
  close(): Promise<void>;
}

/** Opens the detector with what the store kept. */
export async function openKeptAnomalyDetector(o: {
  cells: AnomalyCells;
  suspicions: DocumentStore<SuspectedIncident>;
  baseline: DocumentStore<AnomalyBaseline>;
  known?: KnownIncident;
  /** The operator's clock: suspicions on signals it has long passed are found in history. */
  now?: () => number;
  options?: Partial<CellAnomalyOptions>;
  /** Told of each suspicion that closed as events came in (its signals stopped for the quiet spell), once. */
  onClosed?: (s: SuspectedIncident) => void;
  onError: (err: Error) => void;
}): Promise<KeptAnomalyDetector> {
  const detector = createCellAnomalyDetector(o.cells, o.options, o.known, o.now);
  detector.restore({ suspicions: await o.suspicions.list(), baseline: (await o.baseline.get(BASELINE_ID)) ?? { contacts: 0, sessions: 0, firstMs: null, lastMs: null } });
  // The open suspicions, to tell `onClosed` of each one's close once (a cover is not a quiet close).
  const open = new Set(detector.suspicions().filter((s) => s.state === 'open').map((s) => s.id));
  let writing: Promise<void> = Promise.resolve();
  /** Each suspicion's latest state not written yet (a failed write's stays until a later pass writes it). */
  const unwritten = new Map<string, SuspectedIncident>();
  const write = (changed: SuspectedIncident[]) => {
    const baseline = detector.state().baseline;
    for (const s of changed) unwritten.set(s.id, s);
    writing = writing
      .then(async () => {
        for (const [id, s] of [...unwritten]) {
          await o.suspicions.put(id, s);
          if (unwritten.get(id) === s) unwritten.delete(id);
        }
        await o.baseline.put(BASELINE_ID, baseline);
      })
      .catch((err: Error) => o.onError(err));
  };
  return {
    detector,
    observe(events) {
      detector.observe(events);
      const changed = detector.takeChanged();
      for (const s of changed) {
        if (s.state === 'open') open.add(s.id);
        else if (open.delete(s.id)) o.onClosed?.(s);
      }
      // What a failed write left is tried again with the next events, changed or not.
      if (changed.length > 0 || unwritten.size > 0) write(changed);
    },
    async review(id, review) {
      const s = detector.review(id, review);
      write(detector.takeChanged());
      await writing;
      return s;
    },
    async cover(id, alarmId) {
      const s = detector.cover(id, alarmId);
      open.delete(id);
      write(detector.takeChanged());
      await writing;
      return s;
    },
    flushed: () => writing,
    async close() {
      write(detector.takeChanged());
      await writing;
    },
  };
}
