import type { TwinloopError } from '../../domain/errors.js';
import type { IntentService } from './intent-service.js';

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
  const refuseNow = () => {
    const err = noModel();
    if (err) throw err;
  };
  return {
    ...service,
    createFromText: async (text, options) => {
      if (options?.accept) refuseNow();
      return service.createFromText(text, options);
    },
    createFromDraft: async (draft, options) => {
      if (options?.accept) refuseNow();
      return service.createFromDraft(draft, options);
    },
    accept: async (id) => (refuseNow(), service.accept(id)),
    plan: async (id) => (refuseNow(), service.plan(id)),
    planAndRun: async (id) => (refuseNow(), service.planAndRun(id)),
    startPlanning: async (id) => (refuseNow(), service.startPlanning(id)),
  };
}
