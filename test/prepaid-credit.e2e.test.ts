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

    // Asked while the history may still go in: the sandbox then holds acts (503, decision 0021) and
    // the credit is asked again as Retry-After says, until it is carried out.
    const answer = await until(async () => {
      const res = await fetch(`${base}/actions`, { method: 'POST', headers, body: JSON.stringify({ id: 'prepaid-goodwill', actionClass: 'credit', channel: 'web', customerId, params: { amount: CREDIT }, why: { summary: 'goodwill credit to a prepaid customer' } }) });
      if (res.status === 503) return undefined;
      return { status: res.status, body: (await res.json()) as { status: string } };
    }, 240_000, 'the credit carried out');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.status, JSON.stringify(answer.body)).toBe('executed');
    await operator.ready;

    const timeline = async () => (await get<{ items: TimelineItem[] }>(`/twins/${customerId}/timeline?limit=1000`)).items;
    // The timeline answers once the history is written to the log behind the twins (503 until then).
    const action = await until(async () => (await timeline()).find((e) => e.kind === 'action' && e.event.data.actionClass === 'credit'), 600_000, `the credit on ${customerId}'s timeline`);
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
}, 900_000);
