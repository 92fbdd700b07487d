import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { EventSink, RecordOutcome } from '../../domain/event-sink.js';
import { createSandboxWorld, loadWorldDocument, type WorldConfig } from '../../sandbox/index.js';
import type { SeededHistoryRecord, StoredEvent } from '../../store/event-store.js';
import { blockHash, SEEDED_BLOCK_EVENTS, SEEDED_HASH_VERSION, seededHashStep } from '../../store/seeded-history.js';
import { loggedEntryOf } from '../../twin/intake.js';

/** Events per batch the regenerated world hands over: the backfill's, so its days are cut alike (the cut changes nothing regenerated). */
const REGENERATE_BATCH = 5_000;

/**
 * What the store keeps to regenerate the sandbox's history (decision 0021): the world as its first
 * start resolved it (the sandbox position's identity and configuration) and the days it backfilled
 * from day 0. The store keeps it as text it never reads; this is its only reader and writer.
 */
const sandboxHistorySchema = z.object({
  kind: z.literal('sandbox-world'),
  world: z.string(),
  seed: z.number().int(),
  customers: z.number().int().positive(),
  start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  days: z.number().int().nonnegative(),
  config: z.record(z.string(), z.unknown()),
  /** `SEEDED_HASH_VERSION` of the block hashes (absent: taken before the versions were told apart). */
  hash: z.number().int().optional(),
});
export type SandboxHistory = z.infer<typeof sandboxHistorySchema>;

/** The descriptor of a world's first `days` days from day 0, as the store keeps it. */
export function describeSandboxHistory(h: Omit<SandboxHistory, 'kind' | 'config'> & { config: WorldConfig }): string {
  return JSON.stringify({ kind: 'sandbox-world', world: h.world, seed: h.seed, customers: h.customers, start: h.start, days: h.days, config: h.config, hash: SEEDED_HASH_VERSION });
}

function parseSandboxHistory(text: string): SandboxHistory {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = sandboxHistorySchema.safeParse(value);
  if (!parsed.success) throw new TwinloopError('INTERNAL', 'the store says its first history was taken from a seed, but what regenerates it is not a sandbox world this Twinloop reads; start from a fresh data dir');
  return parsed.data;
}

/**
 * Regenerates a finished seeded history from its sandbox world and writes what is not written yet
 * (`write`, one block of `SEEDED_BLOCK_EVENTS` events at a time, in seq order), checking every block
 * against the hash the intake took when the twins applied it: a world that would regenerate other
 * events (another Twinloop version's sandbox, an act on the world while its history went in) is
 * refused before anything of that block is written. Resolves with the events written.
 *
 * The blocks an earlier run wrote are regenerated only to reach the rest (the world's state at a
 * day is its days before it) and are only counted, neither validated nor hashed: checked when they
 * were written, they cost the world's generation alone (about a sixth of a checked event's CPU),
 * and a world that would regenerate them otherwise shifts or changes the blocks after them, whose
 * hashes are checked. `onRegenerated` hears how far that counting has come, a block at a time.
 */
export async function writeSandboxHistory(
  record: SeededHistoryRecord,
  write: (events: StoredEvent[]) => Promise<void>,
  onWritten?: (throughSeq: number) => void,
  onRegenerated?: (throughSeq: number) => void | Promise<void>,
): Promise<{ written: number }> {
  const { lastSeq, firstSeq, receivedAt, skipped, blockHashes } = record;
  // Writes go a whole block at a time, so the written part ends at a block's end.
  const countedThrough = firstSeq - 1 + Math.floor((record.writtenThrough - firstSeq + 1) / SEEDED_BLOCK_EVENTS) * SEEDED_BLOCK_EVENTS;
  if (lastSeq === null) throw new TwinloopError('CONFLICT', 'the seeded history has not finished going through the intake: it is not regenerable yet');
  const h = parseSandboxHistory(record.descriptor);
  if (h.hash !== SEEDED_HASH_VERSION) {
    throw new TwinloopError('INTERNAL', `the first start's history in this store was taken by another Twinloop version (block hashes of version ${h.hash ?? 1}; this one checks version ${SEEDED_HASH_VERSION}), which must write the rest of it: start that version again until it is written, or start from a fresh data dir`);
  }
  const world = createSandboxWorld(loadWorldDocument({ ...(h.config as WorldConfig), start: h.start }), h.seed);
  let ordinal = 0;
  let nextSkip = 0;
  let seq = firstSeq;
  let block: StoredEvent[] = [];
  let hash = 0;
  let written = 0;
  const differs = (what: string) =>
    new TwinloopError('INTERNAL', `the first start's history regenerated from world "${h.world}" (seed ${h.seed}) ${what} the twins took: this Twinloop's sandbox is not the one that made it, or its world was acted on while its history went in; start from a fresh data dir`);
  const flush = async () => {
    const index = (block[0].seq - firstSeq) / SEEDED_BLOCK_EVENTS;
    if (blockHashes[index] !== blockHash(hash)) throw differs(`differs at seqs ${block[0].seq}..${block[block.length - 1].seq} from what`);
    if (block[block.length - 1].seq > record.writtenThrough) {
      await write(block);
      written += block.length;
      onWritten?.(block[block.length - 1].seq);
    }
    block = [];
    hash = 0;
  };
  const sink: EventSink = {
    async submit(events) {
      const outcomes: RecordOutcome[] = [];
      for (const value of events) {
        outcomes.push({ status: 'accepted', id: value.id });
        const at = ordinal++;
        if (nextSkip < skipped.length && skipped[nextSkip] === at) {
          nextSkip++;
          continue;
        }
        if (seq <= countedThrough) {
          if ((seq - firstSeq + 1) % SEEDED_BLOCK_EVENTS === 0) await onRegenerated?.(seq);
          seq++;
          continue;
        }
        const logged = loggedEntryOf(value, receivedAt);
        if (!logged || seq > lastSeq) throw differs(logged ? 'has more events than' : `has an invalid event (${value.id}) where`);
        hash = seededHashStep(hash, logged.event, logged.entry.time, receivedAt);
        block.push({ seq: seq++, ...logged.entry });
        if (block.length === SEEDED_BLOCK_EVENTS) await flush();
      }
      return outcomes;
    },
  };
  await world.backfill({ days: h.days, sink, batchSize: REGENERATE_BATCH, window: 1 });
  if (block.length > 0) await flush();
  if (seq !== lastSeq + 1) throw differs(`has ${seq - firstSeq} events where`);
  return { written };
}
