/**
 * Who an alarm touches (the service-operations flow's first step, and its fault-back look): the
 * customers the twins' records place on the alarmed cells, ranked by expected harm.
 */

/**
 * A customer counts as affected where they are most, or where they are at least this share of the
 * time (`ServiceOpsPolicy.minPresenceShare`'s default): home customers in, anyone there more often
 * than not; occasional visitors out.
 */
export const DEFAULT_MIN_PRESENCE_SHARE = 0.5;

/** What the flow asks of the twins' cells (`TwinCells` in src/twin/twin-cells.ts fits). */
export interface CellLookup {
  /** Customers whose usage records come from any of the cells, with their records there and everywhere, most first. */
  rankedOn(cellIds: readonly string[], options?: { sinceMs?: number }): readonly CellPresenceShare[];
  cellsOfSite(siteId: string): string[];
}

/**
 * Evidence of who is living through an incident now: bad sessions on a cell (`BadSessionLog`,
 * src/agents/flows/bad-session-log.ts, fits) and customers' calls or complaints about their
 * service (`ServiceContactLog` fits).
 */
export interface IncidentEvidence {
  /** Customers with a bad session on any of the cells in [fromMs, toMs]. */
  customersOn(cellIds: readonly string[], fromMs: number, toMs: number): string[];
  /** The customer's first service contact in [fromMs, toMs], or null. */
  firstContact(customerId: string, fromMs: number, toMs: number): number | null;
}

/** A customer's usage records on the alarmed cells, and on all their cells. */
export interface CellPresenceShare {
  customerId: string;
  records: number;
  totalRecords: number;
  /** The most records on any one of the customer's other cells. */
  topOtherRecords: number;
}

/** The live numbers the ranking needs (`LiveScoring.scoreOf` fits); undefined for an unknown twin. */
export type ScoreLookup = (customerId: string) => { clv: number; active: boolean } | undefined;

/**
 * The customers an alarm affects, ranked by expected harm: each one's presence share on the
 * alarmed cells (their usage records there / all their usage records: the chance they are there
 * when it fails) × lifetime value, for those at home there (no other cell of theirs has more
 * records) or whose share reaches `minShare`; inactive or unknown
 * twins are left out. Pure: the same ranked presence and scores give the same list.
 */
export function rankAffected(present: readonly CellPresenceShare[], scores: ScoreLookup, minShare = DEFAULT_MIN_PRESENCE_SHARE): { customerId: string; weight: number }[] {
  const out: { customerId: string; weight: number }[] = [];
  for (const { customerId, records, totalRecords, topOtherRecords } of present) {
    const share = records / Math.max(records, totalRecords);
    if (share < minShare && records < topOtherRecords) continue;
    const s = scores(customerId);
    if (!s?.active) continue;
    out.push({ customerId, weight: share * Math.max(0, s.clv) });
  }
  return out.sort((a, b) => b.weight - a.weight || (a.customerId < b.customerId ? -1 : 1));
}
