import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';
import { onEndAsked } from '../../src/domain/script-worker.js';

/**
 * A thread for `thread-ending.test.ts`: `hears` compresses and inflates blocks as the store's
 * threads do, a turn of the event loop between two, until asked to end, then says how many calls
 * it finished and exits; `deaf` computes for ever without a turn (a model's fit that never ends).
 */
const { mode } = workerData as { mode: 'hears' | 'deaf' };
const port = parentPort!;
if (mode === 'deaf') {
  port.postMessage({ started: true });
  for (;;) {
    // Never yields: only terminate ends it.
  }
}
let ending = false;
const asked = onEndAsked(() => (ending = true));
const block = Buffer.alloc(256 * 1024, 'twinloop event block ');
let calls = 0;
while (!ending) {
  const back = inflateRawSync(deflateRawSync(block));
  if (back.length !== block.length) throw new Error('a block did not come back whole');
  calls++;
  if (calls === 1) port.postMessage({ started: true });
  await new Promise<void>((resolve) => setImmediate(resolve));
}
port.postMessage({ ended: true, calls });
asked.done();
