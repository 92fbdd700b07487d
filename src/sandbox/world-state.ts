import type { EventKind, EventOf, SEVERITIES } from '../domain/events.js';
import type { Agenda } from './agenda.js';
import type { HazardDrivers } from './churn-hazard.js';
import type { EventOutput } from './event-output.js';
import type { Population } from './population.js';
import type { Prng } from './prng.js';
import type { WorldConfig } from './world-config.js';

/** One network incident on a cell: what the alarm feed reports and which customers it touched. */
export interface Incident {
  id: string;
  cell: number;
  cellId: string;
  siteId: string;
  impact: 'outage' | 'degradation' | 'congestion';
  severity: (typeof SEVERITIES)[number];
  /** When it starts hurting customers (their experience degrades from here). */
  startMs: number;
  /**
   * When the network system raises its alarm: at the start for an outage, later for a
   * degradation that builds up under the thresholds first; null when it never raises one.
   */
  alarmMs: number | null;
  endMs: number;
  /** Customer slots touched, filled when the incident starts. */
  touched: number[];
}

/**
 * What the day step's helpers (billing, incidents, agenda actions) read and change of a world.
 * The world engine implements it; the helpers take it rather than the engine, so that they and
 * the engine that calls them do not import each other.
 */
/**
 * The uses a customer's own stream is drawn for (`WorldState.customerRng`'s salt): each its own,
 * so no two uses of one customer on one day draw the same numbers. Joins are slot −1's.
 */
export const CUSTOMER_DICE = {
  usage: 0x75736167,
  contacts: 0x636f6e74,
  billShock: 0x73686f63,
  payment: 0x7061796d,
  planChange: 0x706c616e,
  ticket: 0x7469636b,
  joins: 0x6a6f696e,
  incidentVisit: 0x76697369,
  incidentComplaint: 0x636f6d70,
} as const;

export interface WorldState {
  readonly cfg: WorldConfig;
  readonly seed: number;
  readonly pop: Population;
  readonly rng: Prng;
  /** The stream of the network's own draws (precursors, silent incidents, call-ins), so they shift no other draw. */
  readonly networkRng: Prng;
  /** The stream of the bad sessions' records (src/sandbox/network-experience.ts). */
  readonly experienceRng: Prng;
  /** Cell and site ids by cell index. */
  readonly cellNames: readonly string[];
  readonly siteNames: readonly string[];
  readonly agenda: Agenda;
  readonly startMs: number;
  readonly planPrices: number[];
  readonly incidents: Incident[];
  readonly homeMembers: number[][];
  readonly visitors: number[][];
  /** Tells the alarm feed's listeners that an incident started or cleared at `atMs` (see `WorldEngine`). */
  incidentChanged(incident: Incident, atMs: number): void;
  readonly counters: { ids: number; tickets: number; incidents: number; orders: number };
  /** The add-ons (indices into `cfg.addons`) each customer slot holds; billed with the plan. */
  readonly addons: Map<number, number[]>;
  /** Where scheduled events go. */
  readonly out: EventOutput;
  /** `YYYY-MM-DD` of the day being generated. */
  readonly datePrefix: string;
  /** An event of customer slot `c` at `time`, with a fresh id. */
  ev<K extends EventKind>(c: number, time: string, kind: K, data: EventOf<K>['data']): EventOf<K>;
  /** `YYYY-MM-DD` of a day index. */
  dateOf(day: number): string;
  /** Adds to a decayed score (complaints, network impact), decaying what was there first. */
  bumpScore(scores: Float64Array, days: Int32Array, c: number, day: number, by: number): void;
  /** True monthly churn hazard of `c` on `day` (the hidden model, every driver in force unless overridden). */
  hazardOf(c: number, day: number, override?: Partial<HazardDrivers>): number;
  /** Ends a customer's relationship with a `subscription terminated` event. */
  terminate(out: EventOutput, c: number, day: number, time: string, reason: string): void;
  /** The seed the world's chances are drawn with on day `d` (its own, or a redraw's from its day on). */
  seedOn(d: number): number;
  /**
   * The stream customer slot `c`'s chances of use `salt` are drawn from on the day being
   * generated: the world's one stream (`rng`), or from `customerDice.from` on a stream of the
   * seed, the slot, the day and the salt alone (valid until the next call).
   */
  customerRng(c: number, salt: number): Prng;
  /** Whether customer slot `c` is on a staged interaction at `atMs` (event time): the world starts no other for them then. */
  onTheLine(c: number, atMs: number): boolean;
  /** The data of customer `c`'s `customer` event as it stands (profile, contract, consent). */
  profileOf(c: number): EventOf<'customer'>['data'];
}
