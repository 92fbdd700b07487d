import { Option, type Command } from 'commander';
import { globalOptions, type GlobalOptions } from '../cli/cli-context.js';

/** One option of a bench command, as commander takes it. */
export interface BenchOption {
  /** Commander's flags, e.g. `--customers <n>`. */
  readonly flags: string;
  readonly description: string;
  /** Parses and checks the value (e.g. `intOption`); without it the option is the text given. */
  readonly parse?: (value: string) => unknown;
  readonly default?: unknown;
  /** The command refuses to run without it. */
  readonly required?: boolean;
}

/** What a bench's run gets besides its options. */
export interface BenchContext {
  /** A progress line for the person waiting, on stderr (stdout carries the result). */
  log(line: string): void;
  /** The program's global options (`--data-dir`, `--database-url`). */
  readonly globals: GlobalOptions;
}

/**
 * A benchmark: what `twinloop bench <name>` runs. Its result holds its figures and the ratio to
 * a baseline run in the same process; `summary` says them in words.
 */
export interface Bench<Options, Result> {
  readonly name: string;
  readonly description: string;
  readonly options: readonly BenchOption[];
  run(options: Options, context: BenchContext): Promise<Result>;
  /** The human summary; by default the result as indented JSON. */
  summary?(result: Result): string;
  /** The object `--json` prints; by default the result itself (BENCHMARKS.md quotes its fields). */
  json?(result: Result): unknown;
}

/** A bench ready to be added to the `bench` command. */
export interface RegisteredBench {
  readonly name: string;
  register(parent: Command): Command;
}

/**
 * Makes `bench` a subcommand: its options plus `--json`. Without `--json` the summary goes to
 * stdout; with it stdout is one JSON line and the summary goes to stderr with the progress
 * lines. Errors propagate to the CLI's edge (cli-edge.ts), which maps them to exit codes.
 */
export function defineBench<Options, Result>(bench: Bench<Options, Result>): RegisteredBench {
  return {
    name: bench.name,
    register(parent) {
      const command = parent.command(bench.name).description(bench.description);
      for (const o of bench.options) {
        const option = new Option(o.flags, o.description).makeOptionMandatory(o.required ?? false);
        if (o.parse) option.argParser(o.parse);
        if (o.default !== undefined) option.default(o.default);
        command.addOption(option);
      }
      return command
        .option('--json', 'print one JSON object with every figure on stdout (the summary goes to stderr)')
        .action(async (opts: Options & { json?: boolean }, self: Command) => {
          const result = await bench.run(opts, { log: (line) => process.stderr.write(`${line}\n`), globals: globalOptions(self) });
          const summary = bench.summary ? bench.summary(result) : JSON.stringify(result, null, 2);
          if (opts.json) {
            process.stderr.write(`${summary}\n`);
            process.stdout.write(`${JSON.stringify(bench.json ? bench.json(result) : result)}\n`);
          } else process.stdout.write(`${summary}\n`);
        });
    },
  };
}
