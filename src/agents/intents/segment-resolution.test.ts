import { describe, expect, it } from 'vitest';
import { recordPredicate } from '../../twin/feature-filter.js';
import { riskiestShareLevel } from '../../intelligence/live/churn-risk-levels.js';
import { audienceFilters, concreteSegment, resolveSegment, type CountSegments, type FieldValues, type SegmentLevels } from './segment-resolution.js';
import type { Segment } from './intent-schema.js';

/** A world of postpaid customers only: 300 high-value ones, 150 of them at risk, 700 others; 50 churned. */
const population: Record<string, number>[] = [
  ...Array.from({ length: 300 }, (_, i) => ({ is_prepaid: 0, is_business: 0, arpu_3m: 80, churn: i < 150 ? 0.3 : 0.02, churned: 0 })),
  ...Array.from({ length: 700 }, () => ({ is_prepaid: 0, is_business: 0, arpu_3m: 30, churn: 0.05, churned: 0 })),
  ...Array.from({ length: 50 }, () => ({ is_prepaid: 0, is_business: 0, arpu_3m: 80, churn: Number.NaN, churned: 1 })),
];
const count: CountSegments = async (lists) => lists.map((filters) => population.filter(recordPredicate(filters)).length);
const segment = (named: Segment['named'], filters: Segment['filters'] = []): Segment => ({ named, filters, cells: [] });

describe('resolveSegment', () => {
  it('refuses a segment that holds no one, naming its count and the nearest segments that hold enough', async () => {
    const r = await resolveSegment(segment(['high-value', 'prepaid', 'at-risk']), count, { now: 0 });
    if (r.ok) throw new Error('expected a refusal');
    expect(r.size).toBe(0);
    expect(r.reason).toMatch(/"high-value, prepaid, at-risk" holds no active customer/);
    // Dropping "prepaid" or swapping it for "postpaid" gives the 150 high-value customers at risk.
    expect(r.closest.map((c) => [c.description, c.size])).toEqual([
      ['high-value, at-risk', 150],
      ['high-value, postpaid, at-risk', 150],
      // Two changes away (high-value and prepaid dropped): after every segment one change away.
      ['at-risk', 150],
    ]);
    expect(r.reason).toMatch(/nearest segments that hold enough: "high-value, at-risk" \(150\)/);
  });

  it('looks two changes away when nothing one change away is big enough, and shows the largest nearby when nothing is', async () => {
    const r = await resolveSegment(segment(['high-value', 'prepaid', 'at-risk']), count, { now: 0, minSize: 200 });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/nearest segments that hold enough: "high-value" \(300\), "high-value, postpaid" \(300\)/) });
    const none = await resolveSegment(segment(['high-value', 'prepaid', 'at-risk']), count, { now: 0, minSize: 2000 });
    expect(none).toMatchObject({ ok: false, reason: expect.stringMatching(/no segment nearby holds 2000; the largest nearby: "high-value, at-risk" \(150\)/) });
  });

  it('offers a too small segment its thresholds loosened just enough to hold a plan, nearest first, and counts one customer as one', async () => {
    // One high-value prepaid customer at risk; 150 high-value prepaid ones under the risk level; 200
    // prepaid at risk spending 10 to 49.8; 400 postpaid high-value ones at risk.
    const world: Record<string, number>[] = [
      { is_prepaid: 1, is_business: 0, arpu_3m: 80, churn: 0.3, churned: 0 },
      ...Array.from({ length: 150 }, (_, i) => ({ is_prepaid: 1, is_business: 0, arpu_3m: 80, churn: (100 + i) / 10_000, churned: 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ is_prepaid: 1, is_business: 0, arpu_3m: 10 + i / 5, churn: 0.2, churned: 0 })),
      ...Array.from({ length: 400 }, () => ({ is_prepaid: 0, is_business: 0, arpu_3m: 80, churn: 0.3, churned: 0 })),
    ];
    const counts: CountSegments = async (lists) => lists.map((filters) => world.filter(recordPredicate(filters)).length);
    const values: FieldValues = async (field, filters) => world.filter(recordPredicate(filters)).map((r) => r[field]);
    const asked = segment(['high-value', 'prepaid', 'at-risk']);
    const r = await resolveSegment(asked, counts, { now: 0, values });
    if (r.ok) throw new Error('expected a refusal');
    expect(r.reason).toMatch(/"high-value, prepaid, at-risk" holds 1 active customer, fewer than the 100 a plan needs/);
    // Each threshold moved to where the rest of the segment holds 100 (the 100th value from its side):
    // the least widening first, before a condition dropped (151 high-value prepaid).
    expect(r.closest.map((c) => [c.description, c.size])).toEqual([
      ['prepaid, at-risk, arpu_3m >= 30.2', 100],
      ['high-value, prepaid, churn >= 0.0151', 100],
      ['high-value, prepaid', 151],
    ]);
    expect(r.reason).toMatch(/nearest segments that hold enough: "prepaid, at-risk, arpu_3m >= 30.2" \(100\), "high-value, prepaid, churn >= 0.0151" \(100\), "high-value, prepaid" \(151\)$/);
    // Offered segments are ones a plan can be made for: asked again, each resolves.
    for (const c of r.closest) expect(await resolveSegment(c.segment, counts, { now: 0, values })).toMatchObject({ ok: true, segment: { size: c.size } });
    // "At risk" read as the riskiest share of today's base says which share its loosened level takes in (700 of 751).
    const levels: SegmentLevels = { atRisk: { churn: 0.1, share: 0.1, of: 751 } };
    const withLevels = await resolveSegment(asked, counts, { now: 0, values, levels });
    expect(withLevels).toMatchObject({ ok: false, closest: expect.arrayContaining([expect.objectContaining({ description: 'high-value, prepaid, churn >= 0.0151 (the riskiest 94 % of active customers)', size: 100 })]) });
    // Without the values, only conditions dropped or swapped are offered, the smallest that holds enough first.
    const dropped = await resolveSegment(asked, counts, { now: 0 });
    expect(dropped).toMatchObject({ ok: false, closest: [{ description: 'high-value, prepaid', size: 151 }, { description: 'prepaid, at-risk', size: 201 }, { description: 'high-value, postpaid, at-risk', size: 400 }] });
  });

  it('refuses a segment under the minimum with its count', async () => {
    const r = await resolveSegment(segment(['at-risk'], [{ field: 'arpu_3m', op: '>=', value: 60 }]), count, { now: 0, minSize: 200 });
    expect(r).toMatchObject({ ok: false, size: 150, reason: expect.stringMatching(/holds 150 active customers, fewer than the 200/) });
  });

  it('resolves a segment that exists to its active customers and keeps the conditions runs apply', async () => {
    const r = await resolveSegment(segment(['high-value']), count, { now: 5 });
    expect(r).toEqual({ ok: true, segment: { description: 'high-value', filters: audienceFilters(segment(['high-value'])), size: 300, resolvedAt: 5 } });
    // Churned customers are never in an active audience, unless the segment asks for them.
    expect(await count([audienceFilters(segment(['churned']))])).toEqual([50]);
  });

  it('reads "at risk" as the riskiest tenth of the active base, on any scale of churn scores', async () => {
    // A calibrated 30-day model: scores of 0.01 to 0.05, none reaching the fixed 0.1 of before.
    const scores = Array.from({ length: 1000 }, (_, i) => 0.01 + (i % 100) * 0.0004);
    const level = riskiestShareLevel([...scores, Number.NaN])!;
    expect(scores.filter((x) => x >= level)).toHaveLength(100);
    expect(riskiestShareLevel([])).toBeUndefined();
    // The same segment, "high-value, at-risk", planned on the level: 150 hold churn >= 0.3; at the
    // riskiest-tenth level of this population (0.3, its 100th score) the same 150; at 0.05 the 850 of the top.
    const levels: SegmentLevels = { atRisk: { churn: 0.05, share: 0.1, of: 1000 } };
    const r = await resolveSegment(segment(['at-risk']), count, { now: 0, levels, minSize: 200 });
    expect(r).toMatchObject({ ok: true, segment: { description: 'at-risk (churn >= 0.05, the riskiest 10 % of 1000 active customers)', size: 850, levels } });
    // The plan runs on the level as a filter: nothing reads the name again.
    expect(concreteSegment(segment(['high-value', 'at-risk']), levels)).toEqual({ named: ['high-value'], filters: [{ field: 'churn', op: '>=', value: 0.05 }], cells: [] });
    expect(concreteSegment(segment(['high-value']), levels)).toEqual(segment(['high-value']));
  });
});
