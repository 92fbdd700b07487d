import { describe, expect, it } from 'vitest';
import type { HubSubscription } from './tmf-hub.js';
import { churnRiskWatch, TMF688_BASE } from './tmf688-risk-watch.js';

const sub = (id: string, query?: string): HubSubscription => ({ id, api: 'TMF688', callback: 'http://l/x', ...(query ? { query } : {}), root: `http://h${TMF688_BASE}`, createdAt: '', by: 't' });

describe('the TMF688 churn-risk watch', () => {
  it("tells each listener when a customer's risk crosses its own threshold, either way, and nothing else", () => {
    const sent: { to: string; event: Record<string, unknown> }[] = [];
    const subs = [sub('half'), sub('low', 'threshold=0.2')];
    const watch = churnRiskWatch({ publish: (_api, _type, build, accept) => subs.filter((s) => !accept || accept(s)).forEach((s) => sent.push({ to: s.id, event: build(s) })) });
    const risk = new Map<string, { churn: number; active: boolean }>();
    const live = { scoreOf: (id: string) => { const r = risk.get(id); return r && { ...r, clv: 0, clvLow: 0, clvHigh: 0, atRisk: false }; } };
    const at = (churn: number, active = true) => { risk.set('C1', { churn, active }); watch(live, ['C1']); };
    at(0.1); // first seen: where the customer stands, no event
    at(0.15);
    expect(sent).toEqual([]);
    at(0.3); // crosses 0.2 only
    expect(sent.map((s) => s.to)).toEqual(['low']);
    expect(sent[0].event).toEqual({ customer: { id: 'C1', href: 'http://h/tmf-api/customerManagement/v4/customer/C1', '@type': 'Customer' }, threshold: 0.2, direction: 'up', churnRisk: 0.3, previousChurnRisk: 0.15 });
    at(0.6); // crosses 0.5
    at(0.1); // back down through both
    expect(sent.map((s) => `${s.to}:${String(s.event.direction)}`)).toEqual(['low:up', 'half:up', 'half:down', 'low:down']);
    at(0.9, false); // left: forgotten, no event
    at(0.9);
    expect(sent).toHaveLength(4);
    // An unknown customer is skipped.
    watch(live, ['NOBODY']);
    expect(sent).toHaveLength(4);
  });
});
