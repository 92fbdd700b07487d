import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startSandboxOperatorOverHttp } from './support/bare-operator.js';
import { until } from './support/until.js';

/**
 * A credit to a prepaid customer (a compensation, a goodwill credit) has no bill to show on: it
 * must still reach the customer. It is on their timeline twice, as what the operator did (the
 * `action` event) and as what it paid for (the next bundle's `topup`, with the credit spent and
 * only the rest paid), and the twin's spend counts what the customer paid, not the credit.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-prepaid-credit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type TimelineItem = { kind: string; time: string; event: { data: Record<string, unknown> } };
const CREDIT = 7.5;

it("a credit to a prepaid customer is on their timeline and pays toward their next bundle's top-up", async () => {
  const { operator, base, headers, get, close } = await startSandboxOperatorOverHttp(dir, {
    seed: 5,
    // A simulated day a second once live: a credit given late in the history reaches the next bundle soon.
    speed: 86_400,
    population: { billing: { prepaid: 0.5, postpaid: 0.5 } },
  });
  try {
    // The first prepaid customer among the first twins, once the history's first day made them.
    let seen = '';
    const customerId = await until(async () => {
      for (let n = 1; n <= 40; n++) {
        const id = `C${String(n).padStart(6, '0')}`;
        const twin = await get<{ profile: { billing: string } | null }>(`/twins/${id}`).catch(() => undefined);
        seen = `${id}: ${twin?.profile?.billing ?? 'no twin yet'}`;
        if (twin?.profile?.billing === 'prepaid') return id;
      }
      return undefined;
    }, 180_000, () => `a prepaid twin among C000001-C000040 (last seen ${seen})`);

    // Given while the history is still being made, so the next top-ups follow within it.
    const res = await fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ actionClass: 'credit', channel: 'web', customerId, params: { amount: CREDIT }, why: { summary: 'goodwill credit to a prepaid customer' } }) });
    const answer = (await res.json()) as { status: string };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer.status, JSON.stringify(answer)).toBe('executed');
    await operator.ready;

    const timeline = async () => (await get<{ items: TimelineItem[] }>(`/twins/${customerId}/timeline?limit=1000`)).items;
    const action = (await timeline()).find((e) => e.kind === 'action' && e.event.data.actionClass === 'credit');
    expect(action?.event.data, 'the credit on the timeline as what the operator did').toMatchObject({ status: 'delivered', amount: CREDIT });
    const creditedAt = Date.parse(action!.time);
    let items: TimelineItem[] = [];
    const bundlesAfter = () => items.filter((e) => e.kind === 'topup' && e.event.data.purpose === 'bundle' && Date.parse(e.time) > creditedAt);
    await until(async () => ((items = await timeline()), bundlesAfter().length > 0 ? true : undefined), 120_000, () => `a bundle top-up after the credit of ${action!.time} on ${customerId}'s timeline (latest event ${items.at(-1)?.time ?? 'none'})`);
    const bundles = bundlesAfter();
    // Each bundle takes what credit is left, until it is spent; the first one after the credit takes some.
    const spent = bundles.reduce((sum, e) => sum + ((e.event.data.credit as number | undefined) ?? 0), 0);
    expect(bundles[0].event.data.credit, 'the first bundle after the credit spends it').toBeGreaterThan(0);
    expect(spent).toBeCloseTo(CREDIT, 2);
    expect(items.some((e) => e.kind === 'bill'), 'a prepaid customer has no bills').toBe(false);
  } finally {
    await close();
  }
}, 300_000);
