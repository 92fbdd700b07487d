import { SingleBar, Presets } from 'cli-progress';

/** A progress reporter for long CLI work: a bar on a terminal, silence otherwise (pipes, --json, CI). */
export interface Progress {
  start(total: number, label?: string): void;
  update(done: number): void;
  increment(by?: number): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, increment() {}, stop() {} };

/** A bar on stderr when it is a terminal and the caller is not in machine-readable mode. */
export function createProgress(options: { json?: boolean } = {}): Progress {
  if (options.json || !process.stderr.isTTY) return silent;
  const bar = new SingleBar(
    { stream: process.stderr, format: '{label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}', hideCursor: true },
    Presets.shades_classic,
  );
  return {
    start: (total, label = '') => bar.start(total, 0, { label }),
    update: (done) => bar.update(done),
    increment: (by = 1) => bar.increment(by),
    stop: () => bar.stop(),
  };
}
