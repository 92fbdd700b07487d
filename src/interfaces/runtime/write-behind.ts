import type { HistoryWriter } from './history-writer.js';

/**
 * The first start's history written behind the intake and then sealed (decisions 0021, 0027), as
 * the server follows it: how far it is, why it stopped for good, when it is all in, and its stop.
 */
export interface WriteBehind {
  /** Share of the history written to the log, 0-1; null when no history is being written in this run. */
  written(): number | null;
  /** Why the history could not be written in this run (`GET /health`'s historyProblem), once it is known. */
  problem(): string | undefined;
  /**
   * Resolves once nothing is left to wait for: true when the history is written and sealed, false
   * when it could not be or the server stopped it first (the next start writes and seals the rest).
   * Never rejects. Resolves at once when nothing is being written.
   */
  settled(): Promise<boolean>;
  /** Follows a writer of the history (this run's, or the rest of an earlier run's); its seal follows when it is written. */
  follow(writer: HistoryWriter): void;
  /**
   * Stops the writer thread and stops waiting for the seal, for a shutdown that must wait for
   * neither: the writer stops between two blocks (each written in a transaction of its own, so
   * what it has not written is still regenerable from the seed, and the next start writes it),
   * and the seal ends with the store's close (what it has not sealed stays readable in segments,
   * and a later checkpoint seals it). Safe to call twice.
   */
  stop(): Promise<void>;
}

/** What the write-behind needs of the server. */
export interface WriteBehindOptions {
  /** Seals the history once written (`EventStore.bulkLoadEnded`): minutes on the default world. */
  seal(): Promise<void>;
  /** Said when it is all written and sealed. */
  log(line: string): void;
  /** Said when it cannot be written in this run (`reason`: the writer's words), loudly, with the way out. */
  onProblem(reason: string): void;
}

/**
 * The server's write-behind. A shutdown once waited for the seal (the full training behind the first
 * model waits for the log, and the server's close waited for that training before closing the store,
 * whose close is what ends a seal): more than 7 minutes on the default world, 9 s once it was sealed.
 */
export function startWriteBehind(o: WriteBehindOptions): WriteBehind {
  let writer: HistoryWriter | undefined;
  let problem: string | undefined;
  let stopped = false;
  let stopNow: () => void = () => {};
  const stopping = new Promise<false>((resolve) => (stopNow = () => resolve(false)));
  let whole: Promise<boolean> = Promise.resolve(true);
  return {
    written: () => writer?.written() ?? null,
    problem: () => problem,
    settled: () => Promise.race([whole, stopping]),
    follow(w) {
      writer = w;
      const started = Date.now();
      whole = w.done
        .then(async ({ written, cpuSeconds }) => {
          const sealFrom = Date.now();
          await o.seal();
          // A seal cut short by the shutdown resolves too: it is not said to be sealed then.
          if (stopped) return false;
          o.log(`twins: the first start's history is written to the log (${written} events from its seed in ${((sealFrom - started) / 1000).toFixed(1)} s, ${cpuSeconds.toFixed(1)} CPU-s of its thread; sealed in ${((Date.now() - sealFrom) / 1000).toFixed(1)} s)`);
          return true;
        })
        .catch((err: Error) => {
          // Stopped with the server: the next start writes the rest; nothing to say.
          if (stopped) return false;
          problem = `the first start's history could not be written to the log: ${err.message}`;
          o.onProblem(err.message);
          return false;
        });
    },
    async stop() {
      stopped = true;
      stopNow();
      await writer?.stop();
    },
  };
}
