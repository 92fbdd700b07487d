import { AT_RISK_CHURN, type RiskiestShareLevel } from '../../intelligence/live/churn-risk-levels.js';
import { formatFilter, type FeatureFilter } from '../../twin/feature-filter.js';
import type { NamedSegment, Segment } from './intent-schema.js';

/**
 * An intent's segment held against the twins: when a plan is made, the segment's conditions (named
 * segments spelt out in the one filter vocabulary, plus its filters) are counted over the live
 * population. An empty or too small segment is refused with its count and the nearest segments
 * that are large enough (a threshold loosened just enough, one condition dropped or swapped), so
 * that "keep high-value prepaid customers" in a world without prepaid customers is never planned,
 * run and reported on for nobody.
 */

/** A month of the twins' value: the bar for "high value" (arpu_3m) in the named segments. */
export const HIGH_VALUE_ARPU = 60;
/** Tenure (days) under which a customer is "new". */
export const NEW_CUSTOMER_DAYS = 180;
/**
 * The fewest customers a segment may hold to be planned for: with the default 10 % control group,
 * 100 customers leave 10 held out, the least from which treated and control churn say anything.
 */
export const MIN_SEGMENT_SIZE = 100;
/** How many of the closest existing segments a refusal names. */
const CLOSEST_SHOWN = 3;

/** What a relative named segment meant when a plan was made (`at-risk`: the churn score its riskiest share started at, `AT_RISK_SHARE`). */
export interface SegmentLevels {
  readonly atRisk: RiskiestShareLevel;
}

/** `at-risk`'s level in words: "churn >= 0.0432, the riskiest 10 % of 19217 active customers". */
export function describeLevels(levels: SegmentLevels): string {
  const a = levels.atRisk;
  return `churn >= ${round4(a.churn)}, the riskiest ${Math.round(a.share * 100)} % of ${a.of} active customers`;
}
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The conditions of one named segment (`churned` has its own: the twin's churn flag). `at-risk`
 * reads `levels` when given (what it meant when the plan was made); without them it is the fixed
 * AT_RISK_CHURN, the level plans made before AT_RISK_SHARE were stored with.
 */
export function namedSegmentFilters(name: NamedSegment, levels?: SegmentLevels): FeatureFilter[] {
  switch (name) {
    case 'prepaid':
      return [{ field: 'is_prepaid', op: '==', value: 1 }];
    case 'postpaid':
      return [{ field: 'is_prepaid', op: '==', value: 0 }];
    case 'business':
      return [{ field: 'is_business', op: '==', value: 1 }];
    case 'consumer':
      return [{ field: 'is_business', op: '==', value: 0 }];
    case 'high-value':
      return [{ field: 'arpu_3m', op: '>=', value: HIGH_VALUE_ARPU }];
    case 'at-risk':
      return [{ field: 'churn', op: '>=', value: levels?.atRisk.churn ?? AT_RISK_CHURN }];
    case 'new-customers':
      return [{ field: 'tenure_days', op: '<', value: NEW_CUSTOMER_DAYS }];
    case 'churned':
      return [{ field: 'churned', op: '==', value: 1 }];
  }
}

/** Every condition of a segment in the one filter vocabulary: its named segments spelt out, then its filters. */
export function segmentFilters(segment: Segment, levels?: SegmentLevels): FeatureFilter[] {
  return [...segment.named.flatMap((name) => namedSegmentFilters(name, levels)), ...segment.filters];
}

/**
 * The segment a plan runs on: its relative named segments (`at-risk`) written as the filters they
 * meant when it was planned, so that its simulations, its campaign's audience and every check of it
 * read one level, not one that moves with the scores. Unchanged when it names none, or without levels.
 */
export function concreteSegment(segment: Segment, levels: SegmentLevels | undefined): Segment {
  if (!levels || !segment.named.includes('at-risk')) return segment;
  return { ...segment, named: segment.named.filter((n) => n !== 'at-risk'), filters: [...namedSegmentFilters('at-risk', levels), ...segment.filters] };
}

/** The filters that pick the customers a flow may act on in a segment: active ones, unless the segment asks for churned customers. */
export function audienceFilters(segment: Segment, levels?: SegmentLevels): FeatureFilter[] {
  const filters = segmentFilters(segment, levels);
  return segment.named.includes('churned') ? filters : [{ field: 'churned', op: '==', value: 0 }, ...filters];
}

/** A segment in words: `high-value prepaid, churn >= 0.3` ("everyone" when it has no condition). */
export function describeSegment(segment: Segment): string {
  const parts = [...segment.named, ...segment.filters.map(formatFilter), ...(segment.cells.length ? [`cells ${segment.cells.join(', ')}`] : [])];
  return parts.length ? parts.join(', ') : 'everyone';
}

/** Counts the active twins of each filter list (the twins with their live scores; one pass). */
export type CountSegments = (filterLists: readonly (readonly FeatureFilter[])[]) => Promise<readonly number[]>;

/**
 * One field's value (a feature or a live score) of every twin that passes the filters (one pass):
 * what a refusal reads to say how far a threshold must move for its segment to hold enough.
 */
export type FieldValues = (field: string, filters: readonly FeatureFilter[]) => Promise<readonly number[]>;

/** The segment as resolved at planning: its conditions and how many customers it held then. */
export interface ResolvedSegment {
  readonly description: string;
  /** The conditions every run of the plan applies (active customers only, unless the segment is `churned`). */
  readonly filters: readonly FeatureFilter[];
  readonly size: number;
  /** ms since epoch. */
  readonly resolvedAt: number;
  /** What its relative named segments meant then (`at-risk`'s churn level), when it names one. */
  readonly levels?: SegmentLevels;
  /**
   * The customers the plan's simulations read, when the segment held another count by the time the
   * plan was chosen (`size`, `resolvedAt`: its campaign's draw then, which its control is counted
   * from): a planning simulates for minutes, days of an accelerated world, and the churn scores a
   * segment is read on move meanwhile. Absent when they are one count.
   */
  readonly simulated?: { readonly size: number; readonly at: number };
}

/** A segment that exists, offered instead of one that does not. */
export interface SegmentSuggestion {
  readonly description: string;
  readonly segment: Segment;
  readonly size: number;
}

/** The segment held against the twins, or why it cannot be planned for. */
export type SegmentResolution =
  | { readonly ok: true; readonly segment: ResolvedSegment }
  | { readonly ok: false; readonly size: number; readonly reason: string; readonly closest: readonly SegmentSuggestion[] };

const SIBLING: Partial<Record<NamedSegment, NamedSegment>> = { prepaid: 'postpaid', postpaid: 'prepaid', business: 'consumer', consumer: 'business' };

/** The segments one change away: each condition dropped, each named segment swapped for its sibling. */
function neighbours(segment: Segment): Segment[] {
  const out: Segment[] = [];
  segment.named.forEach((name, i) => {
    const rest = segment.named.filter((_, j) => j !== i);
    out.push({ ...segment, named: rest });
    const sibling = SIBLING[name];
    if (sibling && !segment.named.includes(sibling)) out.push({ ...segment, named: [...rest.slice(0, i), sibling, ...rest.slice(i)] });
  });
  segment.filters.forEach((_, i) => out.push({ ...segment, filters: segment.filters.filter((__, j) => j !== i) }));
  return out;
}

/** The segments one and two changes away, each once, nearest first. */
function nearby(segment: Segment): { segment: Segment; description: string; changes: number }[] {
  const seen = new Set([describeSegment(segment)]);
  const out: { segment: Segment; description: string; changes: number }[] = [];
  const add = (s: Segment, changes: number) => {
    const description = describeSegment(s);
    if (seen.has(description)) return;
    seen.add(description);
    out.push({ segment: s, description, changes });
  };
  const first = neighbours(segment);
  for (const s of first) add(s, 1);
  for (const s of first) for (const t of neighbours(s)) add(t, 2);
  return out;
}

/** A threshold of a segment that may be loosened: the segment without it, and the condition it was. */
interface Threshold {
  readonly rest: Segment;
  readonly condition: FeatureFilter & { readonly op: '>=' | '>' | '<=' | '<' };
}

const isThreshold = (f: FeatureFilter): f is Threshold['condition'] => (f.op === '>=' || f.op === '>' || f.op === '<=' || f.op === '<') && typeof f.value === 'number';

/**
 * The segment's conditions that are thresholds on a number (`high-value`, `at-risk`, `new-customers`
 * and any filter with >=, >, <=, <), each with the segment without it: `at-risk` at `levels` (what it
 * means now), the other named ones as the filters they are.
 */
function thresholdsOf(segment: Segment, levels: SegmentLevels | undefined): Threshold[] {
  const out: Threshold[] = [];
  segment.named.forEach((name, i) => {
    const spelt = name === 'churned' ? [] : namedSegmentFilters(name, levels);
    if (spelt.length === 1 && isThreshold(spelt[0])) out.push({ rest: { ...segment, named: segment.named.filter((_, j) => j !== i) }, condition: spelt[0] });
  });
  segment.filters.forEach((f, i) => {
    if (isThreshold(f)) out.push({ rest: { ...segment, filters: segment.filters.filter((_, j) => j !== i) }, condition: f });
  });
  return out;
}

/** Significant digits a loosened threshold is written with: short enough to read, rounded outwards so it still holds the count said. */
const THRESHOLD_DIGITS = 3;
const roundOutwards = (x: number, up: boolean): number => {
  if (x === 0 || !Number.isFinite(x)) return x;
  const scale = 10 ** (THRESHOLD_DIGITS - 1 - Math.floor(Math.log10(Math.abs(x))));
  // A hair's tolerance: 0.0151 × 10,000 is 150.99999999999997 in floating point, and is 151.
  return (up ? Math.ceil(x * scale - 1e-9) : Math.floor(x * scale + 1e-9)) / scale;
};

/**
 * Each threshold of the segment moved just far enough for it to hold `minSize` with every other
 * condition kept (`high-value, prepaid, at-risk` holding 1 becomes `high-value, prepaid, churn >=
 * 0.00871`): the least change that makes it plannable. Read from the values of the threshold's
 * field among the customers the rest of the segment holds; none when the rest holds fewer.
 */
async function loosened(segment: Segment, levels: SegmentLevels | undefined, minSize: number, values: FieldValues): Promise<SegmentSuggestion[]> {
  const out: SegmentSuggestion[] = [];
  for (const { rest, condition } of thresholdsOf(segment, levels)) {
    const known = (await values(condition.field, audienceFilters(rest, levels))).filter((x) => Number.isFinite(x));
    if (known.length < minSize) continue;
    const above = condition.op === '>=' || condition.op === '>';
    // The minSize-th value from the side the condition keeps, rounded outwards: the rounded level holds at least minSize.
    const sorted = [...known].sort((a, b) => (above ? b - a : a - b));
    const level = roundOutwards(sorted[minSize - 1], !above);
    const size = known.filter((x) => (above ? x >= level : x <= level)).length;
    const filter: FeatureFilter = { field: condition.field, op: above ? '>=' : '<=', value: level };
    const relaxed: Segment = { ...rest, filters: [...rest.filters, filter] };
    // `at-risk` loosened says which riskiest share of the base its level now takes in.
    const share = levels && condition.field === 'churn' && above ? await riskiestShareAt(level, values) : undefined;
    out.push({ description: describeSegment(relaxed) + (share === undefined ? '' : ` (the riskiest ${share} % of active customers)`), segment: relaxed, size });
  }
  return out;
}

/** The share (in whole per cent, rounded up) of the active customers whose churn score is at least `level`. */
async function riskiestShareAt(level: number, values: FieldValues): Promise<number | undefined> {
  const scores = (await values('churn', audienceFilters({ named: [], filters: [], cells: [] }))).filter((x) => Number.isFinite(x));
  return scores.length ? Math.ceil((100 * scores.filter((x) => x >= level).length) / scores.length) : undefined;
}

/**
 * Resolves a segment against the twins: its size now (`size` when the caller counted it already),
 * refused when under `minSize` with the nearest segments that hold at least `minSize`: fewest
 * changes first (a threshold loosened just enough, given `values`, is one change, as is a condition
 * dropped or a named segment swapped for its sibling; two when one is not enough), then the
 * smallest (the least widened); or, when none does, the largest of them that hold anyone at all.
 * `levels` are what its relative named segments mean now (`at-risk`): its description says them.
 */
export async function resolveSegment(segment: Segment, count: CountSegments, options: { minSize?: number; now: number; size?: number; levels?: SegmentLevels; values?: FieldValues }): Promise<SegmentResolution> {
  const minSize = options.minSize ?? MIN_SEGMENT_SIZE;
  const levels = segment.named.includes('at-risk') ? options.levels : undefined;
  const description = describeSegment(segment);
  const meaning = levels ? ` (at-risk: ${describeLevels(levels)})` : '';
  const resolved = (size: number): SegmentResolution => ({ ok: true, segment: { description: description + (levels ? ` (${describeLevels(levels)})` : ''), filters: audienceFilters(segment, levels), size, resolvedAt: options.now, ...(levels ? { levels } : {}) } });
  // Counted already (a planning's one read of the population): the twins are read again only to name the closest segments.
  if (options.size !== undefined && options.size >= minSize) return resolved(options.size);
  const candidates = nearby(segment);
  const [counted, ...sizes] = await count([audienceFilters(segment, levels), ...candidates.map((c) => audienceFilters(c.segment, levels))]);
  const size = options.size ?? counted;
  if (size >= minSize) return resolved(size);
  const seen = new Set(candidates.map((c) => c.description));
  const moved = options.values ? (await loosened(segment, levels, minSize, options.values)).filter((c) => !seen.has(c.description)).map((c) => ({ ...c, changes: 1 })) : [];
  const sized = [...candidates.map((c, i) => ({ ...c, size: sizes[i] })), ...moved];
  const nearest = (a: { size: number; changes: number }, b: { size: number; changes: number }) => a.changes - b.changes || a.size - b.size;
  const enough = sized.filter((c) => c.size >= minSize).sort(nearest);
  const picked = (enough.length ? enough : sized.filter((c) => c.size > 0).sort((a, b) => a.changes - b.changes || b.size - a.size)).slice(0, CLOSEST_SHOWN);
  const closest = picked.map((c) => ({ description: c.description, segment: c.segment, size: c.size }));
  const why = size === 0 ? `segment "${description}" holds no active customer` : `segment "${description}" holds ${size} active customer${size === 1 ? '' : 's'}, fewer than the ${minSize} a plan needs (its control group would measure nothing)`;
  const list = closest.map((s) => `"${s.description}" (${s.size})`).join(', ');
  const instead = enough.length ? `nearest segments that hold enough: ${list}` : closest.length ? `no segment nearby holds ${minSize}; the largest nearby: ${list}` : 'no segment nearby holds anyone; widen it';
  return { ok: false, size, reason: `${why}${meaning}; ${instead}`, closest };
}
