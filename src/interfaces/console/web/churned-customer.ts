import { ACTION_KINDS, describeEvent, type TimelineItem } from './timeline';

/** What a churned customer's page says first: that they left, when, and what was done for them before. */
export interface ChurnedSummary {
  /** When they left: their last event (the end of their last plan). */
  readonly leftAt: string;
  /** Everything the operator did to them and what came of it (offers, actions, outcomes), before they left. */
  readonly actions: number;
  /** The last of them, newest first, in words. */
  readonly lastActions: readonly { readonly time: string; readonly text: string }[];
}

/** How many of the last actions the banner lists (the timeline below has every one). */
const LAST_SHOWN = 3;

/**
 * A churned customer's summary from their timeline (pure): when they left and what was done for
 * them before, the last few in words. A customer's page said none of it: it read like any other's,
 * with a what-if of offers for someone no longer there.
 */
export function churnedSummary(leftAt: string, items: readonly TimelineItem[]): ChurnedSummary {
  const left = Date.parse(leftAt);
  const acts = items.filter((i) => ACTION_KINDS.has(i.kind) && Date.parse(i.time) <= left).sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.seq - a.seq);
  return { leftAt, actions: acts.length, lastActions: acts.slice(0, LAST_SHOWN).map((i) => ({ time: i.time, text: describeEvent(i.kind, i.event.data) })) };
}
