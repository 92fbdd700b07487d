import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { createProgress } from './progress.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { checkPromotionReason, promoteWithReason } from '../../agents/governance/model-promotion.js';
import { systemClock } from '../../domain/clock.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { callServer, serverTarget } from './server-client.js';
import { intOption } from './cli-numbers.js';
import { findColumn, readCsvTable } from '../../intelligence/tabular/csv-table.js';
import { trainTabularModel } from '../../intelligence/model/train-tabular-model.js';
import { crossValidateTable, meanStd } from '../../intelligence/model/cross-validate.js';
import { loadModel, saveModel } from '../../intelligence/model/model-file.js';
import { createTabularScorer } from '../../intelligence/model/tabular-scorer.js';
import { summarizeVersion, trainAndRegister } from '../../intelligence/live/churn-model-service.js';
import { DEFAULT_TRAINING_CUSTOMERS } from '../../intelligence/twin-training/training-customers.js';
import { DEFAULT_MAX_TRAINING_ROWS } from '../../intelligence/twin-training/twin-training-set.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import type { ModelRegistry, ModelVersionInfo } from '../../store/model-registry.js';
import { globalOptions, openTwins, parseDuration, type GlobalOptions } from './cli-context.js';
import { DAY_MS } from '../../domain/time.js';
import { evaluateChurnCeiling } from '../../evaluation/churn-ceiling.js';
import { formatChurnCeiling } from './churn-ceiling-report.js';
import { resolveWorld } from './sandbox-commands.js';

const splitList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** A CSV field, quoted when it holds a comma, quote or line break. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

interface TrainFlags {
  csv: string;
  target: string;
  id?: string;
  drop?: string[];
  out: string;
  seed: number;
  calibration: 'platt' | 'isotonic';
  json?: boolean;
}

interface ScoreFlags {
  model: string;
  csv: string;
  out: string;
  id?: string;
}

interface CvFlags {
  csv: string;
  target: string;
  id?: string;
  drop?: string[];
  folds: number;
  repeats: number;
  seed: number;
  json?: boolean;
}

/** Adds `model train`, `model score` and `model cv` to the program. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('train, score and cross-validate churn-style models on any tidy CSV');

  model
    .command('train')
    .description('train a calibrated binary model and write it as a JSON model file')
    .requiredOption('--csv <file>', 'training CSV (header row, one row per customer)')
    .requiredOption('--target <column>', 'two-valued target column (e.g. Churn)')
    .option('--id <column>', 'identifier column (never a feature)')
    .option('--drop <columns>', 'comma-separated columns to leave out', splitList)
    .requiredOption('--out <file>', 'where to write the model file')
    .option('--seed <n>', 'random seed', intOption('--seed', 0), 1)
    .addOption(new Option('--calibration <method>', 'calibration of the probabilities').choices(['platt', 'isotonic']).default('platt'))
    .option('--json', 'print the summary as JSON')
    .action(
      (flags: TrainFlags) => {
        const table = readCsvTable(flags.csv);
        const progress = createProgress({ json: flags.json });
        progress.start(4, 'training');
        const doc = trainTabularModel(table, {
          target: flags.target,
          id: flags.id,
          drop: flags.drop,
          seed: flags.seed,
          calibration: flags.calibration,
          onStep: (done) => progress.update(done),
        });
        progress.stop();
        saveModel(flags.out, doc);
        const summary = {
          rows: doc.training.rows,
          positives: doc.training.positives,
          positive_value: doc.target.positive,
          features: doc.featureNames.length,
          learner: doc.learner,
          cv_auc: doc.metrics.cvAuc[doc.learner],
          cv_auc_by_learner: doc.metrics.cvAuc,
          ece: doc.metrics.eceCalibrated,
          skipped: doc.training.skippedColumns,
          seconds: doc.training.durationMs / 1000,
          cpu_seconds: doc.training.cpuMs / 1000,
          out: flags.out,
        };
        if (flags.json) {
          console.log(JSON.stringify(summary));
          return;
        }
        console.log(`rows ${summary.rows} (${summary.positives} positive = "${summary.positive_value}"), features ${summary.features}`);
        console.log(`learner ${summary.learner}, inner-CV AUC ${summary.cv_auc.toFixed(4)} (logistic ${doc.metrics.cvAuc.logistic.toFixed(4)}, gbdt ${doc.metrics.cvAuc.gbdt.toFixed(4)}, blend ${doc.metrics.cvAuc.blend.toFixed(4)})`);
        console.log(`calibration ${doc.calibration.method}, ECE ${summary.ece.toFixed(4)}; trained in ${summary.seconds.toFixed(2)} s (${summary.cpu_seconds.toFixed(2)} s CPU)`);
        if (summary.skipped.length) console.log(`skipped columns: ${summary.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);
        console.log(`model written to ${flags.out}`);
      },
    );

  model
    .command('score')
    .description('write id,score (calibrated probability of the positive class) for every row of a CSV')
    .requiredOption('--model <file>', 'model file from `model train`')
    .requiredOption('--csv <file>', 'CSV to score (same columns as training; extra columns are ignored)')
    .requiredOption('--out <file>', 'where to write id,score')
    .option('--id <column>', 'identifier column (default: the one used in training, else the row number)')
    .action(
      (flags: ScoreFlags) => {
        const doc = loadModel(flags.model);
        const table = readCsvTable(flags.csv);
        const scorer = createTabularScorer(doc);
        const { probabilities, warnings } = scorer.scoreTable(table);
        for (const w of warnings) console.error(`warning: ${w}`);
        const idName = flags.id ?? doc.idColumn;
        const idCol = idName ? findColumn(table, idName) : -1;
        if (flags.id && idCol < 0) console.error(`warning: id column "${flags.id}" not found; using row numbers`);
        const lines = ['id,score'];
        for (let i = 0; i < table.rowCount; i++) {
          const id = idCol >= 0 ? table.columns[idCol][i] : String(i + 1);
          lines.push(`${csvField(id)},${probabilities[i].toFixed(6)}`);
        }
        writeFileSync(flags.out, lines.join('\n') + '\n');
        console.log(`scored ${table.rowCount} rows to ${flags.out}`);
      },
    );

  model
    .command('cv')
    .description('repeated stratified k-fold ROC AUC of the whole training pipeline')
    .requiredOption('--csv <file>', 'CSV with the target column')
    .requiredOption('--target <column>', 'two-valued target column')
    .option('--id <column>', 'identifier column (never a feature)')
    .option('--drop <columns>', 'comma-separated columns to leave out', splitList)
    .option('--folds <k>', 'folds per repeat', intOption('--folds', 2), 5)
    .option('--repeats <n>', 'repeats', intOption('--repeats', 1), 3)
    .option('--seed <n>', 'random seed', intOption('--seed', 0), 1)
    .option('--json', 'print one JSON object')
    .action(
      (flags: CvFlags) => {
        const table = readCsvTable(flags.csv);
        const progress = createProgress({ json: flags.json });
        progress.start(flags.folds * flags.repeats, 'cv');
        const started = performance.now();
        const r = crossValidateTable(table, {
          target: flags.target,
          id: flags.id,
          drop: flags.drop,
          seed: flags.seed,
          folds: flags.folds,
          repeats: flags.repeats,
          onFold: (done) => progress.update(done),
        });
        progress.stop();
        const sel = meanStd([...r.auc.selected]);
        const by = (k: 'logistic' | 'gbdt' | 'blend'): { mean: number; std: number } => meanStd([...r.auc[k]]);
        const chosen: Record<string, number> = {};
        for (const l of r.selected) chosen[l] = (chosen[l] ?? 0) + 1;
        const out = {
          auc_mean: sel.mean,
          auc_std: sel.std,
          folds: r.auc.selected.length,
          k: flags.folds,
          repeats: flags.repeats,
          seed: flags.seed,
          rows: r.rows,
          positives: r.positives,
          learners: { logistic: by('logistic'), gbdt: by('gbdt'), blend: by('blend') },
          selected_counts: chosen,
          seconds: (performance.now() - started) / 1000,
        };
        if (flags.json) console.log(JSON.stringify(out));
        else {
          console.log(`ROC AUC ${out.auc_mean.toFixed(4)} ± ${out.auc_std.toFixed(4)} over ${out.folds} folds (${flags.repeats} × ${flags.folds})`);
          for (const [k, v] of Object.entries(out.learners)) console.log(`  ${k.padEnd(8)} ${v.mean.toFixed(4)} ± ${v.std.toFixed(4)}`);
          console.log(`  selected: ${Object.entries(chosen).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
        }
      },
    );
  registerTwinModelCommands(model);
}

/**
 * Promotes a version with a reason, audited like `POST /models/:id/promote`: through the running
 * server when one runs on the data dir (or at `url`; the actor is its key's holder), else on the
 * store itself (the actor is the operating-system user; a server started later serves it).
 */
async function promoteVersion(options: GlobalOptions, id: string, reason: string | undefined, url?: string): Promise<{ id: string; via: string; by: string; reason: string }> {
  const why = checkPromotionReason(reason);
  const server = serverTarget(options, url);
  if (server) {
    const v = (await callServer(server, 'POST', `/models/${encodeURIComponent(id)}/promote`, { reason: why })) as { id: string; promotion: { by: { id: string }; reason: string } };
    return { id: v.id, via: `through the server at ${server.url}`, by: v.promotion.by.id, reason: v.promotion.reason };
  }
  const store = resolveStoreOptions({ dataDir: options.dataDir, databaseUrl: options.databaseUrl }, process.env);
  const governance = await openGovernanceStore(store);
  try {
    const actor = { kind: 'human' as const, id: `cli:${userInfo().username}` };
    const r = await withRegistry(options, (registry) => promoteWithReason({ registry, promote: (v) => registry.setStatus(v, 'champion'), audit: createAuditTrail(governance, systemClock) }, { id, reason: why, actor }));
    return { id: r.info.id, via: 'on the store; a server started on it serves it', by: actor.id, reason: r.promotion.reason };
  } finally {
    await governance.close();
  }
}

/** Opens the registry beside the store the global options name. */
async function withRegistry<T>(options: GlobalOptions, work: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const registry = await openModelRegistry(resolveStoreOptions({ dataDir: options.dataDir, databaseUrl: options.databaseUrl }, process.env));
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

/** One line per version for `model list`. */
function formatVersion(v: ModelVersionInfo): string {
  const m = v.metadata as { metrics?: { auc?: number; logLoss?: number; ece?: number }; trainingWindow?: { from?: string; to?: string }; learner?: string; horizonDays?: number };
  const metrics = m.metrics ? `AUC ${m.metrics.auc} log loss ${m.metrics.logLoss} ECE ${m.metrics.ece}` : 'no metrics';
  const window = m.trainingWindow ? `${m.trainingWindow.from?.slice(0, 10)} … ${m.trainingWindow.to?.slice(0, 10)}` : '';
  return `${v.id.padEnd(12)} ${v.status.padEnd(10)} ${new Date(v.createdAt).toISOString().slice(0, 19)}  ${m.learner ?? ''} ${m.horizonDays ?? '?'}d  ${metrics}  ${window}`;
}

/** Adds `model list`, `model train-twins` and `model promote`: models trained on the twins and kept in the registry. */
export function registerTwinModelCommands(model: Command): void {
  model
    .command('list')
    .description('registered model versions with status, metrics and training window')
    .option('--json', 'one JSON array')
    .action(
      async (opts: { json?: boolean }, command: Command) => {
        const versions = await withRegistry(globalOptions(command), (r) => r.list());
        if (opts.json) process.stdout.write(`${JSON.stringify(versions.map(summarizeVersion))}\n`);
        else if (versions.length === 0) process.stdout.write('no model versions yet; train one with `twinloop model train-twins`\n');
        else for (const v of versions) process.stdout.write(`${formatVersion(v)}\n`);
      },
    );

  model
    .command('train-twins')
    .description('train a churn model from the twins in the store (leakage-free, stacked monthly cutoffs) and register it')
    .option('--horizon <duration>', 'label window: churned within this long after each cutoff', '30d')
    .option('--cutoffs <n>', 'monthly cutoffs to stack (default 12)', intOption('--cutoffs', 1))
    .option('--customers <n>', `customers to train on, a fixed sample of a larger population (default ${DEFAULT_TRAINING_CUSTOMERS}; 0: every customer)`, intOption('--customers', 0))
    .option('--max-rows <n>', `training rows kept at most, a uniform sample of the (customer, cutoff) rows (default ${DEFAULT_MAX_TRAINING_ROWS}); with --customers 0 a large population may train on every row of its history`, intOption('--max-rows', 100))
    .option('--promote', 'make it the champion (default: challenger, or champion when there is none); needs --reason')
    .option('--reason <text>', 'why it should serve, with --promote (kept in the audit trail as model.promoted)')
    .option('--json', 'print the registered version as one JSON object')
    .action(
      async (opts: { horizon: string; cutoffs?: number; customers?: number; maxRows?: number; promote?: boolean; reason?: string; json?: boolean }, command: Command) => {
        const horizonMs = parseDuration(opts.horizon, '--horizon');
        if (opts.promote) checkPromotionReason(opts.reason);
        const options = globalOptions(command);
        // Reads the twins only (the registry is its own table), so it may run beside a server.
        const twins = await openTwins(options, undefined, 'read');
        try {
          const r = await withRegistry(options, (registry) =>
            trainAndRegister(twins, registry, {
              horizonDays: horizonMs / DAY_MS,
              cutoffs: opts.cutoffs,
              maxCustomers: opts.customers,
              maxRows: opts.maxRows,
              promotion: 'champion-if-none',
              onProgress: (stage) => (opts.json ? undefined : process.stderr.write(`${stage}…\n`)),
            }),
          );
          // A promotion asked for goes the audited way: through the running server when there is one.
          const info = opts.promote && r.info.status !== 'champion' ? { ...r.info, status: 'champion' as const, promoted: await promoteVersion(options, r.info.id, opts.reason) } : r.info;
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(summarizeVersion(info))}\n`);
            return;
          }
          const m = r.metadata;
          process.stdout.write(
            `registered ${r.info.id} as ${info.status}${'promoted' in info ? ` (${info.promoted.via}, audited: ${info.promoted.reason})` : ''}: ${m.learner}, AUC ${m.metrics.auc}, log loss ${m.metrics.logLoss}, ECE ${m.metrics.ece} (${m.metrics.validation}, ${m.metrics.validationRows} rows)\n` +
              `  trained on ${m.metrics.trainRows} rows (${m.metrics.trainPositives} churners) from ${m.trainingWindow.cutoffs.length} cutoffs${m.rows.customers ? ` of ${m.rows.customers} customers (a fixed sample)` : ''}, ${m.trainingWindow.from.slice(0, 10)} … ${m.trainingWindow.to.slice(0, 10)}, horizon ${m.horizonDays} days, in ${(m.durationMs / 1000).toFixed(1)} s\n`,
          );
        } finally {
          await twins.close({ checkpoint: false });
        }
      },
    );

  model
    .command('promote')
    .description('make a model version the champion (the previous champion is retired), saying why: the reason is kept in the audit trail and shown with the version')
    .argument('<id>', 'version id, e.g. churn-v3')
    .requiredOption('--reason <text>', 'why this version should serve (kept in the audit trail as model.promoted)')
    .option('--url <url>', 'the running server to promote through (default: the one running on the data dir, if any)')
    .action(async (id: string, opts: { reason: string; url?: string }, command: Command) => {
      const r = await promoteVersion(globalOptions(command), id, opts.reason, opts.url);
      process.stdout.write(`${r.id} is now the champion (${r.via}), audited as promoted by ${r.by}: ${r.reason}\n`);
    });

  model
    .command('ceiling')
    .description("the twins' churn model against its ceiling: its AUC beside the AUCs of the sandbox's true churn probabilities and of the feature oracle (the truth with the hidden traits integrated out) on the same validation rows")
    .option('--seeds <n>', 'worlds (seeds 1..n)', intOption('--seeds', 1, 50), 1)
    .option('--config <file>', 'world configuration (JSON)')
    .option('--world <name>', 'built-in world (default: default)')
    .option('--customers <n>', "population (default: the world's)", intOption('--customers', 100))
    .option('--months <m>', 'months of history', intOption('--months', 3, 60), 12)
    .option('--json', 'last line: one JSON object')
    .action(async (opts: { seeds: number; config?: string; world?: string; customers?: number; months: number; json?: boolean }) => {
      const r = await evaluateChurnCeiling({
        seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
        world: resolveWorld({ config: opts.config, world: opts.world }),
        customers: opts.customers,
        months: opts.months,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(`${formatChurnCeiling(r)}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    });
}
