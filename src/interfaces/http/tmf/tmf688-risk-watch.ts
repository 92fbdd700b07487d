import type { LiveScoring } from '../../../intelligence/live/live-scoring.js';
import type { HubSubscription, TmfHub } from './tmf-hub.js';
import { TMF629_BASE } from './tmf629-mapping.js';

/** The TMF688-style event hub for the twins' own events (a churn risk crossing a threshold). */
export const TMF688_BASE = '/tmf-api/eventManagement/v4';
/** The event a churn risk crossing a subscription's threshold sends (TMF688 hub). */
export const RISK_CROSSED_EVENT = 'CustomerChurnRiskThresholdCrossedEvent';
/** The threshold a TMF688 subscription watches when its query names none (`threshold=0.5`). */
export const DEFAULT_RISK_THRESHOLD = 0.5;

/** A subscription's threshold: its query's `threshold` (strictly between 0 and 1), else the default. */
export function thresholdOf(query: string | undefined): number {
  const t = Number(new URLSearchParams(query ?? '').get('threshold') ?? DEFAULT_RISK_THRESHOLD);
  return Number.isFinite(t) && t > 0 && t < 1 ? t : DEFAULT_RISK_THRESHOLD;
}

/**
 * Watches the live churn risk of the customers applied events touched and tells the TMF688 hub's
 * listeners when one crosses their threshold (either way), with the risk before and after. A
 * customer's first score seen only sets where they stand; one who left is forgotten.
 */
export function churnRiskWatch(hub: Pick<TmfHub, 'publish'>): (live: Pick<LiveScoring, 'scoreOf'>, customers: Iterable<string>) => void {
  /** Each customer's last churn risk seen, to tell a crossing from a move on one side. */
  const lastRisk = new Map<string, number>();
  return (live, customers) => {
    for (const id of customers) {
      const score = live.scoreOf(id);
      if (!score?.active || !Number.isFinite(score.churn)) {
        lastRisk.delete(id);
        continue;
      }
      const before = lastRisk.get(id);
      lastRisk.set(id, score.churn);
      if (before === undefined || before === score.churn) continue;
      const crossed = (sub: HubSubscription) => {
        const t = thresholdOf(sub.query);
        return before < t !== score.churn < t;
      };
      hub.publish(
        'TMF688',
        RISK_CROSSED_EVENT,
        (sub) => ({
          customer: { id, href: `${sub.root.replace(TMF688_BASE, TMF629_BASE)}/customer/${id}`, '@type': 'Customer' },
          threshold: thresholdOf(sub.query),
          direction: score.churn > before ? 'up' : 'down',
          churnRisk: score.churn,
          previousChurnRisk: before,
        }),
        crossed,
      );
    }
  };
}
