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

    // Killed without a chance to save anything, then started again on the same data.
    await server.stop('SIGKILL');
    await server.start();

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
    // A world rebuilt without its back ends' acts gives their ids to other events: the intake would refuse those as reused.
    const dead = await api<{ items: { reason: string }[] }>('/dead-letters?limit=1000');
    expect(dead.items.filter((d) => /reuse|already/i.test(d.reason))).toEqual([]);
  }, 600_000);
});
