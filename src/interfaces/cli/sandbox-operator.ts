import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../domain/clock.js';
import { createSandboxWorld, type SandboxWorld, type WorldConfig } from '../../sandbox/index.js';
import type { TwinService } from '../../twin/twin-service.js';

const DAY_MS = 86_400_000;

/** What `twinloop start` remembers of the sandbox between runs, beside the embedded store. */
interface SandboxState {
  world: string;
  seed: number;
  customers: number;
  /** Simulated days generated and handed to the intake so far. */
  days: number;
}

export interface SandboxOperatorOptions {
  config: WorldConfig;
  worldName: string;
  seed: number;
  months: number;
  /** Simulated milliseconds per real millisecond in the live phase. */
  speed: number;
  /** Where to keep the sandbox's position (the data dir); none: always start from scratch. */
  stateDir?: string;
  log: (line: string) => void;
}

export interface SandboxOperator {
  world: SandboxWorld;
  /** Resolves when the history is in and the live clock runs. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A clock for the intake while the sandbox runs: the later of wall time and simulated time, so
 * the sandbox's live events (which run ahead of real time) are not refused as future, and
 * events from real producers are not either.
 */
export function sandboxAwareClock(world: () => SandboxWorld | undefined): Clock {
  return { now: () => Math.max(Date.now(), world()?.clock.now() ?? 0) };
}

/** Creates the world (cheap; nothing is generated yet). */
export function createOperatorWorld(options: Pick<SandboxOperatorOptions, 'config' | 'seed'>): SandboxWorld {
  return createSandboxWorld(options.config, options.seed);
}

function readState(dir: string | undefined): SandboxState | undefined {
  if (!dir) return undefined;
  const file = join(dir, 'sandbox.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

/**
 * Runs the sandbox operator into the ordinary intake: on first start it backfills `months` of
 * history, then runs live. On a later start of the same world and seed it regenerates the world
 * silently up to where it stopped (the same seed gives the same world; the twins are already in
 * the store) and goes on live; the day it was in is generated again, whose events the intake
 * answers as duplicates.
 */
export function startSandboxOperator(twins: TwinService, world: SandboxWorld, o: SandboxOperatorOptions): SandboxOperator {
  const state = readState(o.stateDir);
  const customers = o.config.population.customers;
  const resumable = state && state.world === o.worldName && state.seed === o.seed && state.customers === customers && twins.engine.size > 0;
  const startMs = world.clock.now();
  const save = () => {
    if (!o.stateDir) return;
    const days = Math.floor((world.clock.now() - startMs) / DAY_MS);
    const next: SandboxState = { world: o.worldName, seed: o.seed, customers, days };
    writeFileSync(join(o.stateDir, 'sandbox.json'), JSON.stringify(next));
  };
  let live: ReturnType<SandboxWorld['startLive']> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const ready = (async () => {
    if (resumable) {
      const days = Math.max(0, state.days - 1);
      world.generate({ usage() {}, event() {} }, { days });
      o.log(`sandbox: world "${o.worldName}" (seed ${o.seed}) resumed at ${new Date(world.clock.now()).toISOString().slice(0, 10)}`);
    } else {
      o.log(`sandbox: backfilling ${o.months} months of world "${o.worldName}" (${customers} customers, seed ${o.seed}) through the intake…`);
      const started = Date.now();
      let lastLog = 0;
      const tally = await world.backfill({
        months: o.months,
        sink: twins.intake,
        onProgress: (done, total, events) => {
          if (Date.now() - lastLog < 10_000 || stopped) return;
          lastLog = Date.now();
          o.log(`sandbox: ${Math.round((100 * done) / total)} % of the history (${events} events, ${twins.engine.size} twins)`);
        },
      });
      o.log(`sandbox: history in: ${tally.events} events (${tally.accepted} accepted, ${tally.duplicate} duplicates, ${tally.rejected} rejected) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      await twins.checkpoint();
    }
    save();
    if (stopped) return;
    live = world.startLive({ speed: o.speed, sink: twins.intake, onError: (err) => o.log(`sandbox live run stopped: ${err.message}`) });
    timer = setInterval(save, 10_000);
    timer.unref();
    o.log(`sandbox: live, simulated time runs ${o.speed}× real time`);
  })();

  return {
    world,
    ready,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await live?.stop();
      save();
    },
  };
}
