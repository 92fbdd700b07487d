import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import type { HistoryWriter } from './history-writer.js';
import { startWriteBehind } from './write-behind.js';

/** A writer the test drives: written when `finish` is called, failed by `fail`; `stopped` once stopped. */
function controlledWriter() {
  let finish!: (r: { written: number; cpuSeconds: number }) => void;
  let fail!: (err: Error) => void;
  const done = new Promise<{ written: number; cpuSeconds: number }>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const state = { share: 0.25, stopped: false };
  const writer: HistoryWriter = {
    written: () => state.share,
    done,
    async stop() {
      state.stopped = true;
      // As the thread's exit does: what is not written is left to the next start.
      fail(new TwinloopError('UNAVAILABLE', 'the history writer was stopped; the next start writes the rest'));
    },
  };
  return { writer, finish, fail, state };
}

/** A seal the test holds: it ends only when released (or, as the store's close does, when cut short). */
function heldSeal() {
  let release!: () => void;
  const ended = new Promise<void>((resolve) => (release = resolve));
  return { seal: () => ended, release };
}

/** A write-behind following a controlled writer, its seal held; `said`: its log lines and problems, in order. */
function following() {
  const control = controlledWriter();
  const seal = heldSeal();
  const said: string[] = [];
  const behind = startWriteBehind({ seal: seal.seal, log: (l) => said.push(l), onProblem: (r) => said.push(`problem: ${r}`) });
  behind.follow(control.writer);
  return { ...control, seal, said, behind };
}

describe("the server's write-behind of the first start's history", () => {
  it('is stopped by a shutdown while the history is sealed, without waiting for the seal to end, and says nothing of it as sealed', async () => {
    const { finish, seal, said: lines, behind } = following();
    finish({ written: 5_000, cpuSeconds: 1 });
    // Written; the seal is held (minutes on the default world). The shutdown: what waited for the log goes on.
    const waiting = behind.settled();
    await behind.stop();
    await expect(waiting).resolves.toBe(false);
    await expect(behind.settled()).resolves.toBe(false);
    // The store's close then ends the seal short: it is not said to be sealed, nor a problem.
    seal.release();
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([]);
    expect(behind.problem()).toBeUndefined();
  });

  it('is stopped by a shutdown while the history is written: the writer is stopped, and its stop is no problem', async () => {
    const { state, said: lines, behind } = following();
    expect(behind.written()).toBe(0.25);
    const waiting = behind.settled();
    await behind.stop();
    expect(state.stopped).toBe(true);
    await expect(waiting).resolves.toBe(false);
    expect(lines).toEqual([]);
    expect(behind.problem()).toBeUndefined();
  });

  it('settles true once written and sealed, saying so', async () => {
    const { finish, seal, said: lines, behind } = following();
    finish({ written: 5_000, cpuSeconds: 1 });
    seal.release();
    await expect(behind.settled()).resolves.toBe(true);
    expect(lines).toEqual([expect.stringMatching(/^twins: the first start's history is written to the log \(5000 events from its seed in [\d.]+ s, 1\.0 CPU-s of its thread; sealed in [\d.]+ s\)$/)]);
  });

  it('says why when the history cannot be written in this run, and settles false', async () => {
    const { fail, said, behind } = following();
    fail(new TwinloopError('INTERNAL', 'the regenerated history differs'));
    await expect(behind.settled()).resolves.toBe(false);
    expect(said).toEqual(['problem: the regenerated history differs']);
    expect(behind.problem()).toBe("the first start's history could not be written to the log: the regenerated history differs");
  });

  it('has nothing to wait for when no history is written behind', async () => {
    const behind = startWriteBehind({ seal: heldSeal().seal, log: () => {}, onProblem: () => {} });
    expect(behind.written()).toBeNull();
    await expect(behind.settled()).resolves.toBe(true);
    await behind.stop();
  });
});
