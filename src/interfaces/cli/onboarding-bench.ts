import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { onboardingWorkflow, type OnboardingResult } from '../../agents/flows/onboarding-flow.js';
import { createWorkflowEngine } from '../../agents/workflows/workflow-engine.js';
import { createSandboxWorld, namedWorld } from '../../sandbox/index.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { intOption } from './cli-numbers.js';

/** Distribution of a list of durations in milliseconds. */
function distribution(ms: number[]): { n: number; p10: number; p50: number; p90: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  return { n: s.length, p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? 0 };
}

/** Result of `bench onboarding`. */
export interface OnboardingBenchResult {
  readonly applicants: number;
  readonly outcomes: Record<string, number>;
  /** Applicant received → line active, for onboardings that activated (ms). */
  readonly timeToActivateMs: ReturnType<typeof distribution>;
  /** The back ends' own time for one applicant, called in a plain sequence without the engine (ms). */
  readonly baselineMs: ReturnType<typeof distribution>;
  readonly ratioP50: number;
}

/**
 * Onboards applicants of a sandbox world whose back ends answer with their configured latencies
 * (identity, credit, order, provisioning with its asynchronous completion, notification), on the
 * durable engine over embedded SQLite, and reports the time to activate. The baseline is the same
 * connector calls made in a plain sequence for other applicants, without the engine and journal.
 */
export async function runOnboardingBench(o: { applicants: number; seed: number; log: (s: string) => void }): Promise<OnboardingBenchResult> {
  // The default world's back ends (identity ~300 ms, credit ~400 ms, activation completing after ~5 s).
  const config = namedWorld('default');
  const world = createSandboxWorld(config, o.seed, { latencyScale: 1 });
  const b = world.backends;
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-onboarding-bench-'));
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
  const engine = createWorkflowEngine({ journal, workerId: 'bench', pollIntervalMs: 20, concurrency: 64 });
  engine.register(onboardingWorkflow({ identity: b.identityVerification, credit: b.creditBureau, orders: b.orderManagement, provisioning: b.provisioning, notifications: b.notifications, plans: config.plans }));
  try {
    await engine.run();
    o.log(`onboarding ${o.applicants} applicants with the back ends' configured latencies…`);
    const started = await Promise.all(Array.from({ length: o.applicants }, () => engine.start('onboarding', { applicant: world.nextApplicant() })));
    const runs = await Promise.all(started.map((s) => engine.waitFor(s.workflowId, { timeoutMs: 300_000 })));
    const outcomes: Record<string, number> = {};
    const activated: number[] = [];
    for (const r of runs) {
      const out = r.output as OnboardingResult | null;
      const key = r.status === 'succeeded' ? 'activated' : r.status;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (r.status === 'succeeded' && out?.customerId) activated.push(r.updatedAt - r.createdAt);
    }
    o.log('baseline: the same back-end calls in a plain sequence…');
    const baseline: number[] = [];
    for (let i = 0; i < Math.min(20, o.applicants); i++) {
      const applicant = world.nextApplicant();
      const t0 = performance.now();
      const key = `bench-baseline-${o.seed}-${i}`;
      const { preferredPlanId: _plan, ...claim } = applicant;
      await b.identityVerification.verify({ idempotencyKey: `${key}-id`, ...claim });
      await b.creditBureau.check({ idempotencyKey: `${key}-credit`, applicantId: applicant.applicantId, fullName: applicant.fullName, birthDate: applicant.birthDate });
      const order = await b.orderManagement.create({ idempotencyKey: `${key}-order`, order: { type: 'new_line', applicantId: applicant.applicantId, planId: config.plans[0].id } });
      if (order.status !== 'ok') continue;
      const job = await b.provisioning.activate({ idempotencyKey: `${key}-activate`, orderId: order.value.orderId });
      if (job.status !== 'ok') continue;
      for (;;) {
        const s = await b.provisioning.status(job.value.provisioningId);
        if (s.status === 'ok' && s.value.state !== 'pending') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      baseline.push(performance.now() - t0);
    }
    const t = distribution(activated);
    const base = distribution(baseline);
    return { applicants: o.applicants, outcomes, timeToActivateMs: t, baselineMs: base, ratioP50: base.p50 ? Math.round((t.p50 / base.p50) * 100) / 100 : 0 };
  } finally {
    await engine.stop();
    await journal.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Adds `bench onboarding`: the time to activate of the digital onboarding flow. */
export function registerOnboardingBench(bench: Command): void {
  bench
    .command('onboarding')
    .description("Digital onboarding on the durable engine against the sandbox's back ends at their configured latencies: time to activate, against the bare back-end calls")
    .option('--applicants <n>', 'applicants onboarded at once', intOption('--applicants', 1), 100)
    .option('--seed <n>', 'sandbox seed', intOption('--seed', 0), 1)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { applicants: number; seed: number; json?: boolean }) => {
        const r = await runOnboardingBench({ applicants: opts.applicants, seed: opts.seed, log: (s) => process.stderr.write(`${s}\n`) });
        const d = (x: OnboardingBenchResult['timeToActivateMs']) => `p10 ${x.p10.toFixed(0)} ms, p50 ${x.p50.toFixed(0)} ms, p90 ${x.p90.toFixed(0)} ms, p99 ${x.p99.toFixed(0)} ms (n ${x.n})`;
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(r)}\n`
            : `outcomes: ${JSON.stringify(r.outcomes)}\ntime to activate: ${d(r.timeToActivateMs)}\nbaseline (same calls, no engine): ${d(r.baselineMs)}\nratio p50 ${r.ratioP50}\n`,
        );
      },
    );
}
