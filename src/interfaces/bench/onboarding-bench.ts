import { onboardingWorkflow, type OnboardingResult } from '../../agents/flows/onboarding-flow.js';
import { createWorkflowEngine } from '../../agents/workflows/index.js';
import { createSandboxWorld, namedWorld } from '../../sandbox/index.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio, sampleStats } from './bench-stats.js';

/** A distribution of durations in ms. */
export interface Distribution {
  readonly n: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function distribution(ms: readonly number[]): Distribution {
  const { count, ...rest } = sampleStats(ms, ['count', 'p10', 'p50', 'p90', 'p99', 'max']);
  return { n: count, ...rest };
}

/** Result of `bench onboarding`. */
export interface OnboardingBenchResult {
  readonly applicants: number;
  readonly outcomes: Record<string, number>;
  /** Applicant received → line active, for onboardings that activated (ms). */
  readonly timeToActivateMs: Distribution;
  /** The back ends' own time for one applicant, called in a plain sequence without the engine (ms). */
  readonly baselineMs: Distribution;
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
  return inTempDir('onboarding-bench', async (dataDir) => {
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
      return { applicants: o.applicants, outcomes, timeToActivateMs: t, baselineMs: base, ratioP50: ratio(t.p50, base.p50, 2) };
    } finally {
      await engine.stop();
      await journal.close();
    }
  });
}

/** The human summary of `bench onboarding`. */
export function formatOnboardingBench(r: OnboardingBenchResult): string {
  const d = (x: Distribution) => `p10 ${x.p10.toFixed(0)} ms, p50 ${x.p50.toFixed(0)} ms, p90 ${x.p90.toFixed(0)} ms, p99 ${x.p99.toFixed(0)} ms (n ${x.n})`;
  return `outcomes: ${JSON.stringify(r.outcomes)}\ntime to activate: ${d(r.timeToActivateMs)}\nbaseline (same calls, no engine): ${d(r.baselineMs)}\nratio p50 ${r.ratioP50}`;
}

/** `bench onboarding`: the time to activate of the digital onboarding flow. */
export const onboardingBench = defineBench({
  name: 'onboarding',
  description: "Digital onboarding on the durable engine against the sandbox's back ends at their configured latencies: time to activate, against the bare back-end calls",
  options: [
    { flags: '--applicants <n>', description: 'applicants onboarded at once', parse: intOption('--applicants', 1), default: 100 },
    { flags: '--seed <n>', description: 'sandbox seed', parse: intOption('--seed', 0), default: 1 },
  ],
  run: (o: { applicants: number; seed: number }, { log }) => runOnboardingBench({ ...o, log }),
  summary: formatOnboardingBench,
});
