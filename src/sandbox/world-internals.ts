import { TwinloopError } from '../domain/errors.js';
import type { ApplicantPool } from './applicant-pool.js';
import type { WorldEngine } from './world-engine.js';

/**
 * The hidden side of a world, reachable only through this module (not re-exported by the
 * sandbox's index): the oracle uses it; twins, models and agents never see it.
 */
export interface WorldInternals {
  engine: WorldEngine;
  pool: ApplicantPool;
}

const internals = new WeakMap<object, WorldInternals>();

/** Attaches a world's hidden side to its public handle. */
export function bindInternals(world: object, inner: WorldInternals): void {
  internals.set(world, inner);
}

/** The hidden side of a world made by `createSandboxWorld`. */
export function internalsOf(world: object): WorldInternals {
  const inner = internals.get(world);
  if (!inner) throw new TwinloopError('BAD_INPUT', 'not a sandbox world: pass what createSandboxWorld returned');
  return inner;
}
