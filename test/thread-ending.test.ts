import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endThread, startScriptWorker } from '../src/domain/script-worker.js';

const thread = (mode: 'hears' | 'deaf') => startScriptWorker(new URL('./support/ending-thread.ts', import.meta.url).href, 'ending-thread', { mode });

/**
 * Every thread we own is ended by asking it (`endThread`), never terminated in the middle of a
 * call: a thread terminated inside a zlib call can abort the whole process as Node frees it
 * (`node_zlib.cc: Assertion init_done_ && "close before init"`, seen killing a test run).
 */
describe('ending a thread we own', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks a thread busy with zlib calls to end: it finishes its call, says so and exits with code 0, never terminated', async () => {
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const worker = thread('hears');
    const said: { started?: boolean; ended?: boolean; calls?: number }[] = [];
    worker.on('message', (m: (typeof said)[number]) => said.push(m));
    await once(worker, 'message');
    const end = await endThread(worker, { graceMs: 30_000 });
    expect(end).toEqual({ code: 0, terminated: false });
    expect(terminate).not.toHaveBeenCalled();
    // Its last word is that it ended between two calls (a terminated thread says nothing more).
    expect(said.at(-1)).toMatchObject({ ended: true, calls: expect.any(Number) });
    expect(said.at(-1)!.calls).toBeGreaterThanOrEqual(1);
    expect(worker.threadId).toBe(-1);
  });

  it('terminates a thread that does not end within the grace, and says so', async () => {
    const worker = thread('deaf');
    await once(worker, 'message');
    const end = await endThread(worker, { graceMs: 200 });
    expect(end.terminated).toBe(true);
    expect(end.code).toBe(1);
  });

  it('resolves at once for a thread that has already exited', async () => {
    const worker = thread('hears');
    await once(worker, 'message');
    await endThread(worker);
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    expect(await endThread(worker, { graceMs: 10 })).toEqual({ code: 0, terminated: false });
    expect(terminate).not.toHaveBeenCalled();
  });
});
