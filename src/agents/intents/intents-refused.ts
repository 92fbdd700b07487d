import { TwinloopError } from '../../domain/errors.js';
import type { IntentService } from './intent-service.js';

/**
 * An intent service that refuses, at once and with nothing stored, the calls this process cannot
 * carry out: the one wrapper behind a share of the customers (`intentsOnAShare`) and a process
 * serving no churn model yet (`intentsNeedAModel`). `refusal` is asked at each call (null: go on).
 * `planning` refuses the calls that plan an intent now (accept it, create it accepted, plan it);
 * `every` also every new intent, proposed or not, and a check's re-plan, and plans no stored intent.
 */
function refusingIntents(service: IntentService, refusal: () => TwinloopError | null, refuses: 'planning' | 'every'): IntentService {
  const refuseNow = () => {
    const err = refusal();
    if (err) throw err;
  };
  const every = refuses === 'every';
  const refused: IntentService = {
    ...service,
    createFromText: async (text, options) => {
      if (every || options?.accept) refuseNow();
      return service.createFromText(text, options);
    },
    createFromDraft: async (draft, options) => {
      if (every || options?.accept) refuseNow();
      return service.createFromDraft(draft, options);
    },
    accept: async (id) => (refuseNow(), service.accept(id)),
    plan: async (id) => (refuseNow(), service.plan(id)),
    planAndRun: async (id) => (refuseNow(), service.planAndRun(id)),
    startPlanning: async (id) => (refuseNow(), service.startPlanning(id)),
  };
  if (!every) return refused;
  return {
    ...refused,
    createFromProposal: async (proposal, by) => (refuseNow(), service.createFromProposal(proposal, by)),
    // An intent off track is planned again by its check.
    check: async (id) => (refuseNow(), service.check(id)),
    planWaiting: async () => [],
  };
}

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
  return refusingIntents(service, intentsNeedThePopulation, 'every');
}

/**
 * The intent service of a process that may serve no churn model yet (a first start fitting its
 * first one, a store with too little history): every call that would plan an intent now (accept
 * one, create one accepted, plan it) is refused at once with `noModel()`'s error, which says that no
 * churn model serves and when one will, rather than take the intent and fail its planning seconds
 * later (a plan is chosen by simulating it on the scored twins). Creating a proposed intent and
 * reading intents still work; the planning the server resumes by itself (`planWaiting`, `check`)
 * is left as it is.
 */
export function intentsNeedAModel(service: IntentService, noModel: () => TwinloopError | null): IntentService {
  return refusingIntents(service, noModel, 'planning');
}
