import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { ArrayOutput, type EventOutput } from './event-output.js';
import { memoryJournalStore } from './sandbox-journal.js';
import { createSandboxWorld } from './sandbox-world.js';
import { namedWorld } from './world-catalog.js';

const quiet: EventOutput = { usage() {}, event() {} };

/** The small world with back ends that never refuse (the test is about what they did, not whether). */
function config() {
  const c = namedWorld('small');
  for (const b of Object.values(c.backends)) Object.assign(b, { permanentRejectionRate: 0, transientErrorRate: 0 });
  return c;
}

/** The events of the next `days` days, by value. */
function nextDays(world: ReturnType<typeof createSandboxWorld>, days: number): TwinEvent[] {
  const out = new ArrayOutput();
  world.generate(out, { days });
  return out.drain();
}

/** Onboards the next applicant through the back ends and waits for the line; returns the new customer. */
async function onboard(world: ReturnType<typeof createSandboxWorld>, key: string): Promise<{ applicantId: string; orderId: string; customerId: string }> {
  const b = world.backends;
  const applicant = world.nextApplicant();
  const order = await b.orderManagement.create({ idempotencyKey: `${key}:order`, order: { type: 'new_line', applicantId: applicant.applicantId, planId: applicant.preferredPlanId } });
  if (order.status !== 'ok') throw new Error(order.reason);
  const job = await b.provisioning.activate({ idempotencyKey: `${key}:activate`, orderId: order.value.orderId });
  if (job.status !== 'ok') throw new Error(job.reason);
  const done = await new Promise<{ customerId?: string }>((resolve) => {
    const stop = b.provisioning.onCompletion((j) => {
      if (j.provisioningId !== job.value.provisioningId) return;
      stop();
      resolve(j);
    });
  });
  return { applicantId: applicant.applicantId, orderId: order.value.orderId, customerId: done.customerId! };
}

describe('a journaled sandbox world after a restart', () => {
  it('is the same world: no applicant twice, no id reused, the activated line still there, and the same days to come', async () => {
    const journal = memoryJournalStore();
    const first = createSandboxWorld(config(), 3, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    first.generate(quiet, { days: 5 });
    const a = await onboard(first, 'run-1');
    await first.backends.billingAdjustments.credit({ idempotencyKey: 'credit-1', customerId: a.customerId, amount: 5, reason: 'goodwill' });
    first.generate(quiet, { days: 3 });
    await first.journalFlushed();
    expect(journal.entries.map((e) => `${e.backend}.${e.method}`)).toEqual(['applicants.next', 'orderManagement.create', 'provisioning.activate', 'provisioning.complete', 'billingAdjustments.credit']);

    // The process dies; a new one rebuilds the world from its seed and the journal.
    const second = createSandboxWorld(config(), 3, { latencyScale: 0, journal });
    const restored = await second.restore({ days: 8, keepFrom: 7 });
    expect(restored).toMatchObject({ day: 8, replayed: 5 });
    // A repeated request is answered as the first time, not carried out again.
    const again = await second.backends.orderManagement.create({ idempotencyKey: 'run-1:order', order: { type: 'new_line', applicantId: a.applicantId, planId: 'x' } });
    expect(again).toMatchObject({ status: 'ok', value: { orderId: a.orderId } });
    // The days to come are those the first world would have generated.
    expect(nextDays(second, 2)).toEqual(nextDays(first, 2));
    // New draws continue after the old ones.
    const b = await onboard(second, 'run-2');
    const c = await onboard(first, 'run-2');
    expect(b).toEqual(c);
    expect(b.applicantId).not.toBe(a.applicantId);
    expect(b.orderId).not.toBe(a.orderId);
    expect(b.customerId).not.toBe(a.customerId);
  });

  it('holds every act while it is rebuilt, answering at once when to ask again, and the days to come are still the same world', async () => {
    const journal = memoryJournalStore();
    const first = createSandboxWorld(config(), 4, { latencyScale: 0, journal });
    await first.restore({ days: 0, keepFrom: 0 });
    first.generate(quiet, { days: 5 });
    const a = await onboard(first, 'run-1');
    first.generate(quiet, { days: 25 });
    await first.journalFlushed();

    const second = createSandboxWorld(config(), 4, { latencyScale: 0, journal });
    // Asked during the rebuild (between two of its days): a credit is refused held, at once, not
    // left waiting for the rebuild; a scenario too. Before this, the credit waited for the end.
    const during: Promise<unknown>[] = [];
    const held: (string | undefined)[] = [];
    const seen: number[] = [];
    const restored = await second.restore({
      days: 30,
      keepFrom: 29,
      onProgress: (done, total) => {
        seen.push(done);
        expect(total).toBe(30);
        if (done !== 10) return;
        held.push(second.actsHeld()?.reason);
        during.push(second.backends.billingAdjustments.credit({ idempotencyKey: 'credit-during', customerId: a.customerId, amount: 5, reason: 'goodwill' }));
        expect(() => second.stageCareExample()).toThrow(/rebuilding its world/);
      },
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
    expect(held[0]).toMatch(/^the sandbox's world is being rebuilt from its seed after a restart \(33 % in\); its back ends take no act until it is back .*; retry in \d+ s$/);
    expect(await during[0]).toMatchObject({ status: 'transient', held: true, retryAfterMs: expect.any(Number) });
    expect(restored).toMatchObject({ day: 30, replayed: 4 });
    // Back, it takes acts again, and it is the same world as the one that never stopped.
    expect(second.actsHeld()).toBeUndefined();
    expect(await second.backends.billingAdjustments.credit({ idempotencyKey: 'credit-after', customerId: a.customerId, amount: 5, reason: 'goodwill' })).toMatchObject({ status: 'ok' });
    expect(await first.backends.billingAdjustments.credit({ idempotencyKey: 'credit-after', customerId: a.customerId, amount: 5, reason: 'goodwill' })).toMatchObject({ status: 'ok' });
    expect(nextDays(second, 2)).toEqual(nextDays(first, 2));
  });
});
