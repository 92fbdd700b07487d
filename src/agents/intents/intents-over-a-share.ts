import { TwinloopError } from '../../domain/errors.js';
import type { IntentService } from './intent-service.js';

/**
 * Why a process holding a share of the customers (a partition worker, or the gateway in front of
 * them) plans no intent: a plan is chosen by simulating its candidates over the segment's customers
 * and the population's evidence, which are not fanned out over the workers yet (docs/scale.md); a
 * worker would plan on its own partitions' customers only, a segment of a third of its size.
 */
export const INTENTS_NEED_THE_POPULATION =
  "intents are planned by simulation over the whole population, which is not fanned out over partition workers yet (docs/scale.md): here a plan would read this worker's customers only. State intents to a process holding every customer (twinloop start without --role); the campaigns and churn-prevention runs they start do run over the workers";

/** The refusal itself: not retried (the same process never holds the population). */
export function intentsNeedThePopulation(): TwinloopError {
  return new TwinloopError('UNAVAILABLE', INTENTS_NEED_THE_POPULATION, { context: { retryable: false } });
}

/**
 * The intent service of a process holding a share of the customers: every call that would create,
 * accept or plan an intent is refused with INTENTS_NEED_THE_POPULATION (the edges, HTTP, TMF921,
 * MCP and the CLI, all go through it), nothing stored; reading intents stored by a process that
 * holds everyone still works, and no stored intent is planned here.
 */
export function intentsOnAShare(service: IntentService): IntentService {
  const refuse = async (): Promise<never> => {
    throw intentsNeedThePopulation();
  };
  return {
    ...service,
    createFromText: refuse,
    createFromDraft: refuse,
    createFromProposal: refuse,
    accept: refuse,
    plan: refuse,
    planAndRun: refuse,
    startPlanning: refuse,
    // An intent off track is planned again by its check.
    check: refuse,
    planWaiting: async () => [],
  };
}
