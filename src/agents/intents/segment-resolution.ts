import { kthLargest } from '../../domain/kth-largest.js';
import { AT_RISK_CHURN } from '../../intelligence/live/churn-risk-levels.js';
import { formatFilter, type FeatureFilter } from '../../twin/feature-filter.js';
import type { NamedSegment, Segment } from './intent-schema.js';

/**
 * An intent's segment held against the twins: when a plan is made, the segment's conditions (named
 * segments spelt out in the one filter vocabulary, plus its filters) are counted over the live
 * population. An empty or too small segment is refused with its count and the closest segments
 * that do exist (one condition dropped or swapped), so that "keep high-value prepaid customers"
 * in a world without prepaid customers is never planned, run and reported on for nobody.
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

/**
 * The share of the active base an intent's "at risk" means: its riskiest tenth, by the churn score
 * served when the plan is made. A fixed probability (it was `churn >= 0.1`, AT_RISK_CHURN) reads the
 * serving model's window and calibration and the world's churn: on `npm start`'s default world the
 * calibrated 30-day model scored 89 of 19,217 active customers at 0.1 or more, and "keep high-value
 * customers at risk" was refused there. A share of the riskiest means the same on every world.
 */
export const AT_RISK_SHARE = 0.1;

/** What a relative named segment meant when a plan was made (`at-risk`: the churn score its riskiest share starts at). */
export interface SegmentLevels {
  readonly atRisk: {
    /** The churn score from which a customer is at risk: the lowest of the riskiest `share` of the active base. */
    readonly churn: number;
    readonly share: number;
    /** The active customers it was read over. */
    readonly of: number;
  };
}

/**
 * The churn score from which the riskiest `share` of `scores` start (their lowest), over the scores
 * that are numbers; undefined when there are none. Ties at the level are in: a level is a condition
 * `churn >= level`, which holds a few more than the share when many share its score. Found by
 * selection on a copy, not a sort: a planning reads it over the whole active base (200,000 twins
 * and more) on the server's thread (BENCHMARKS.md, "An intent's 'at risk' level").
 */
export function riskiestShareLevel(scores: ArrayLike<number>, share: number = AT_RISK_SHARE): number | undefined {
  const known = new Float64Array(scores.length);
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) known[n++] = scores[i];
  if (n === 0) return undefined;
  return kthLargest(known, Math.min(n, Math.max(1, Math.ceil(n * share))), n);
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

/**
 * Resolves a segment against the twins: its size now (`size` when the caller counted it already),
 * refused when under `minSize` with the closest segments that hold at least `minSize` (one change
 * away, else two; largest first), or, when none does, the largest of them that hold anyone at all.
 * `levels` are what its relative named segments mean now (`at-risk`): its description says them.
 */
export async function resolveSegment(segment: Segment, count: CountSegments, options: { minSize?: number; now: number; size?: number; levels?: SegmentLevels }): Promise<SegmentResolution> {
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
  const sized = candidates.map((c, i) => ({ ...c, size: sizes[i] }));
  const bySize = (a: { size: number }, b: { size: number }) => b.size - a.size;
  const big = (changes: number) => sized.filter((c) => c.changes === changes && c.size >= minSize).sort(bySize);
  const enough = big(1).length ? big(1) : big(2);
  const picked = (enough.length ? enough : sized.filter((c) => c.size > 0).sort((a, b) => a.changes - b.changes || bySize(a, b))).slice(0, CLOSEST_SHOWN);
  const closest = picked.map((c) => ({ description: c.description, segment: c.segment, size: c.size }));
  const why = size === 0 ? `segment "${description}" holds no active customer` : `segment "${description}" holds ${size} active customers, fewer than the ${minSize} a plan needs (its control group would measure nothing)`;
  const list = closest.map((s) => `"${s.description}" (${s.size})`).join(', ');
  const instead = enough.length ? `closest segments that exist: ${list}` : closest.length ? `no segment nearby holds ${minSize}; the largest nearby: ${list}` : 'no segment nearby holds anyone; widen it';
  return { ok: false, size, reason: `${why}${meaning}; ${instead}`, closest };
}
