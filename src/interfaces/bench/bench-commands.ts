import type { Command } from 'commander';
import { alarmsBench } from './alarms-bench.js';
import { atRiskBench } from './at-risk-bench.js';
import { assuranceBench } from './assurance-bench.js';
import { backfillBench } from './backfill-bench.js';
import { campaignTickBench } from './campaign-tick-bench.js';
import { checkpointBench } from './checkpoint-bench.js';
import { firstModelBench } from './first-model-bench.js';
import { firstStartBench } from './first-start-bench.js';
import { authBench } from './auth-bench.js';
import { consoleBench } from './console-bench.js';
import { decideBench } from './decide-bench.js';
import { ingestBench } from './ingest-bench.js';
import { modelBench } from './model-bench.js';
import { onboardingBench } from './onboarding-bench.js';
import { overloadBench } from './overload-bench.js';
import { sandboxBench } from './sandbox-bench.js';
import { scaleBench } from './scale-bench.js';
import { scoringBench } from './scoring-bench.js';
import { simulateBench } from './simulate-bench.js';
import { soakBench } from './soak-bench.js';
import { tmfBench } from './tmf-bench.js';
import { upliftBench } from './uplift-bench.js';
import { workflowBench } from './workflow-bench.js';

/** Every benchmark, in the order `twinloop bench --help` lists them (BENCHMARKS.md's order). */
const BENCHES = [ingestBench, checkpointBench, sandboxBench, backfillBench, firstModelBench, firstStartBench, modelBench, scoringBench, atRiskBench, upliftBench, decideBench, authBench, simulateBench, workflowBench, onboardingBench, campaignTickBench, alarmsBench, assuranceBench, overloadBench, soakBench, scaleBench, tmfBench, consoleBench];

/** Adds `twinloop bench` and one subcommand per benchmark. */
export function registerBenchCommands(program: Command): Command {
  const bench = program.command('bench').description('Benchmarks; each prints its figures and a ratio to a same-process baseline (--json: one JSON object)');
  for (const b of BENCHES) b.register(bench);
  return bench;
}
