import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxServer } from './support/sandbox-server.js';
import { until } from './support/until.js';

interface Run {
  status: string;
  output: { customerId: string; orderId: string } | null;
}

describe('the sandbox after kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-sandbox-restart-'));
  const server = sandboxServer(join(dir, 'data'), ['--customers', '300', '--months', '1', '--speed', '3600']);
  afterAll(async () => {
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  let key = '';
  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  /**
   * A customer's timeline, the sandbox's events only (what the operator did is its own). Asked
   * again while it answers 503: a read reaching the first start's history waits until that history
   * is written behind and then sealed (decisions 0021 and 0027), which a restart may still be doing.
   */
  const timeline = (customerId: string) =>
    until(
      async () => (await api<{ items: { id: string; kind: string; time: string; event: { source: string; data: unknown } }[] }>(`/twins/${customerId}/timeline?limit=1000`)).items.filter((e) => e.event.source === 'sandbox'),
      180_000,
      `${customerId}'s timeline`,
    );
  /** Draws an applicant and onboards them; the finished run. */
  const onboard = async (): Promise<{ applicantId: string; run: Run }> => {
    const applicant = await api<{ applicantId: string }>('/sandbox/applicants', {});
    const { workflowId } = await api<{ workflowId: string }>('/workflows/onboarding/start', { applicant });
    const run = await until(async () => {
      const r = await api<Run>(`/workflows/${encodeURIComponent(workflowId)}`);
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    }, 120_000);
    return { applicantId: applicant.applicantId, run };
  };

  it('continues the same world: no applicant twice, no order or customer id reused, every onboarded line still its person', async () => {
    await server.start();
    key = readFileSync(join(dir, 'data', 'admin.key'), 'utf8').trim();
    const before = [await onboard(), await onboard(), await onboard()];
    const lines = before.filter((b) => b.run.status === 'succeeded').map((b) => b.run.output!);
    expect(lines.length).toBeGreaterThan(0);
    const profiles = await Promise.all(lines.map((l) => api<{ profile: unknown }>(`/twins/${l.customerId}`).then((t) => t.profile)));
    // Timelines are read once the first start's history is written behind (decision 0021).
    await until(async () => ((await api<{ historyWritten: number | null }>('/health')).historyWritten ?? 1) >= 1 || undefined, 120_000);
    const timelines = await Promise.all(lines.map((l) => timeline(l.customerId)));
    const heldBefore = Date.parse((await api<{ eventClock: string }>('/health')).eventClock);

    // Killed without a chance to save anything, then started again on the same data.
    await server.stop('SIGKILL');
    await server.start();
    // The world goes on from the newest event the twins held, not from the day before its saved
    // position (saved every 10 s: 10 hours of the world at 3,600×), which it lived again.
    const resumed = /resumed at (\S+)/.exec(server.output())?.[1];
    expect(resumed, server.output()).toBeDefined();
    expect(Date.parse(`${resumed}Z`)).toBeGreaterThanOrEqual(Math.floor(heldBefore / 60_000) * 60_000);

    const after = await onboard();
    const known = new Set(before.map((b) => b.applicantId));
    expect(known.has(after.applicantId)).toBe(false);
    expect(after.applicantId).toBe('A000004');
    if (after.run.status === 'succeeded') {
      expect(lines.map((l) => l.customerId)).not.toContain(after.run.output!.customerId);
      expect(lines.map((l) => l.orderId)).not.toContain(after.run.output!.orderId);
    }
    // Each line onboarded before the kill is still the person it was (the rebuilt world has them too).
    for (const [i, l] of lines.entries()) expect((await api<{ profile: unknown }>(`/twins/${l.customerId}`)).profile).toEqual(profiles[i]);
    // Their events are those of before, each once: the rebuilt world replayed the activations at
    // their times (at the day's end, their events came back under the same ids at 00:00 and were refused).
    for (const [i, l] of lines.entries()) {
      const now = await timeline(l.customerId);
      expect(now.slice(0, timelines[i].length)).toEqual(timelines[i]);
      const seen = now.map((e) => JSON.stringify([e.kind, e.time, e.event.data]));
      expect(seen.filter((k, j) => seen.indexOf(k) !== j), `an event twice on ${l.customerId}'s timeline`).toEqual([]);
    }
    // The line onboarded after the restart starts after what the twins held, not in the time the world lived again.
    if (after.run.status === 'succeeded') {
      const joined = (await timeline(after.run.output!.customerId)).filter((e) => e.kind === 'customer');
      expect(joined).toHaveLength(1);
      expect(Date.parse(joined[0].time)).toBeGreaterThanOrEqual(heldBefore);
    }
    // A world rebuilt without its back ends' acts gives their ids to other events: the intake would refuse those as reused.
    const dead = await api<{ items: { reason: string }[] }>('/dead-letters?limit=1000');
    expect(dead.items.filter((d) => /reuse|already/i.test(d.reason))).toEqual([]);
  }, 600_000);
});
