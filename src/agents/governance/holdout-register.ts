import { contactKindOf } from '../../decisioning/action-contact.js';
import type { ContactRefusal } from '../../decisioning/contact-policy.js';
import type { ActionRequest } from '../../decisioning/policy/index.js';
import { randomUUID } from 'node:crypto';
import { fnv1a32 } from '../../domain/string-hash.js';
import type { ActionExecutor, ExecutionOutcome } from './guarded-executor.js';
import { TwinloopError } from '../../domain/errors.js';
import type { RecordStore } from '../../store/record-store.js';

/**
 * The one place that knows who is held out as a control group, by which run, until when (world
 * time: the run's measurement horizon). A control group another flow contacts measures nothing:
 * a churn-prevention run's control made offers by a campaign read as a false uplift. So:
 * - a run registers its control group (`hold`) before it contacts anybody, and releases those it
 *   stops comparing before its horizon (`release`: a campaign's control customer judged out at
 *   their turn);
 * - the other runs leave held-out customers out before they draw or plan (`heldBy`), counted
 *   under `held-out`, and the guarded executor's contact check refuses an automated marketing
 *   contact of one (`refusal`, rule `held-out`: what a run queued before the hold, an approval
 *   decided after it);
 * - a person may still act (a care agent serving a calling customer), and an executed marketing
 *   contact of a held-out customer by anyone but the holding run is noted (`noteContact`): the
 *   run's report names its contaminated control and measures without them (`contactsOf`).
 * Kept in the record store (holds and contacts), so a restart reads them back (`load`).
 */

/** The flows that hold customers out as a control group. */
export type HoldingFlow = 'churn-prevention' | 'campaign';

/** A run's identity as its contacts carry it: the flow, and the run's `params.campaignId`. */
export interface RunRef {
  readonly flow: HoldingFlow;
  /** A campaign's id; a churn-prevention run's workflow id (`churn-prevention-<period>`). */
  readonly runId: string;
}

/** One run's control group, held out from `from` until `until` (ms, world time). */
export interface Holdout extends RunRef {
  readonly from: number;
  readonly until: number;
  readonly customerIds: readonly string[];
}

/** A marketing contact of a customer while another run held them out. */
export interface HoldoutContact extends RunRef {
  readonly customerId: string;
  readonly requestId: string;
  /** Who acted (a person, an agent). */
  readonly actor: { readonly kind: string; readonly id: string };
  readonly actionClass: string;
  readonly offerId?: string;
  /** The run the contact belonged to, when it was one (a campaign whose contact was approved after the hold). */
  readonly by?: RunRef;
  /** Event time of the contact (ms). */
  readonly at: number;
}

/** Where the holds are kept (one record per run, `flow:runId`). */
export const HOLDOUTS = 'holdouts';
/**
 * Where the last change of the holds is stamped (one record, `STAMP_ID`): a process reads this one
 * record before judging a contact and reads the holds again only when another process has changed
 * them since (`fresh`).
 */
export const HOLDOUTS_STAMP = 'holdouts-stamp';
const STAMP_ID = 'latest';
/** Where the contacts of held-out customers are kept (by run hash, customer and request). */
export const HOLDOUT_CONTACTS = 'holdout-contacts';
/** Page size of the reads at load: the record store's largest. */
const PAGE = 1000;

/** The run a contact request belongs to, from its domain and the `campaignId` its flow puts in it; undefined for any other request. */
export function runOfRequest(request: Pick<ActionRequest, 'domain' | 'params'>): RunRef | undefined {
  const id = request.params.campaignId;
  if (typeof id !== 'string') return undefined;
  if (request.domain === 'churn_prevention') return { flow: 'churn-prevention', runId: id };
  if (request.domain === 'campaigns') return { flow: 'campaign', runId: id };
  return undefined;
}

const sameRun = (a: RunRef, b: RunRef | undefined) => b !== undefined && a.flow === b.flow && a.runId === b.runId;
const runKey = (r: RunRef) => `${r.flow}:${r.runId}`;
/** The contacts' ids start with a hash of the run (a run key may be 200 characters, an id may not be longer). */
const contactPrefix = (r: RunRef) => `${fnv1a32(runKey(r)).toString(36)}|`;

/** The holdout register over the record store. */
export interface HoldoutRegister {
  /**
   * Reads the holds still standing at `now` from the store, in place of those known (at start; again
   * before a run draws), and deletes those that ended by `now` from it: nobody reads them any more (a
   * run's contaminated control is read from its contacts, kept).
   */
  load(now: number): Promise<void>;
  /**
   * Reads the holds again when another process changed them since they were last read (one record
   * read otherwise): what the guarded executor calls before judging a contact, so a hold placed on
   * another partition worker after this one started is seen (before, only those read at its start were).
   * Given a request that is no marketing contact of a customer (a service message, a credit), nothing
   * is read: the holds neither refuse nor note it.
   */
  fresh(now: number, request?: Pick<ActionRequest, 'customerId' | 'actionClass' | 'params'>): Promise<void>;
  /** Registers (or replaces: safe to repeat) a run's control group. */
  hold(holdout: Holdout): Promise<void>;
  /**
   * Ends the hold of some of a run's control group before its horizon: those it no longer compares
   * (a campaign's control customer judged out at their turn, churned or out of its segment), whom
   * holding out kept from every other flow for nothing. Answers how many were still held; writes
   * nothing when none was (safe to repeat).
   */
  release(run: RunRef, customerIds: readonly string[]): Promise<number>;
  /** The run holding the customer out at `at`, other than `except`, or undefined. */
  heldBy(customerId: string, at: number, except?: RunRef): (RunRef & { until: number }) | undefined;
  /** The contact rule for an automated marketing contact of a customer another run holds out (null for a person's, the holder's own, and non-marketing ones). */
  refusal(request: ActionRequest, at: number): ContactRefusal | null;
  /** Notes a contact of a customer another run held out at `at` (nothing for others); answers the note's key, or undefined when none was needed. Safe to repeat. */
  noteContact(request: ActionRequest, at: number): Promise<string | undefined>;
  /** Forgets a note (`noteContact`'s key) whose contact was not made after all. */
  forgetContact(key: string): Promise<void>;
  /** The contacts of a run's held-out customers by others, oldest first. */
  contactsOf(run: RunRef): Promise<HoldoutContact[]>;
}

/** Builds the register over `records` (empty until `load`ed or told of holds). */
export function holdoutRegister(records: RecordStore): HoldoutRegister {
  /** The holds by customer: each customer's runs and until when. */
  const byCustomer = new Map<string, (RunRef & { from: number; until: number })[]>();
  const index = (h: Holdout) => {
    for (const id of h.customerIds) {
      const list = (byCustomer.get(id) ?? []).filter((x) => !sameRun(x, h));
      list.push({ flow: h.flow, runId: h.runId, from: h.from, until: h.until });
      byCustomer.set(id, list);
    }
  };
  const heldBy: HoldoutRegister['heldBy'] = (customerId, at, except) => {
    const hold = byCustomer.get(customerId)?.find((h) => h.from <= at && at < h.until && !sameRun(h, except));
    return hold && { flow: hold.flow, runId: hold.runId, until: hold.until };
  };
  /** The stamp of the holds as last read (undefined: never read, or none stamped yet). */
  let readStamp: string | undefined;
  const stampNow = async () => (await records.get<{ stamp: string }>(HOLDOUTS_STAMP, STAMP_ID))?.body.stamp;
  const load = async (now: number) => {
    // The stamp first: a change made while the holds are read leaves a newer stamp, read again next time.
    const stamp = await stampNow();
    const standing: Holdout[] = [];
    const ended: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await records.list<Holdout>(HOLDOUTS, { limit: PAGE, ...(after ? { after } : {}) });
      for (const r of page) {
        if (r.body.until > now) standing.push(r.body);
        else ended.push(r.id);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].id;
    }
    byCustomer.clear();
    for (const h of standing) index(h);
    for (const id of ended) await records.delete(HOLDOUTS, id);
    readStamp = stamp;
  };
  return {
    load,
    async fresh(now, request) {
      if (request && (!request.customerId || contactKindOf(request) !== 'marketing')) return;
      if ((await stampNow()) !== readStamp) await load(now);
    },
    async hold(h) {
      await records.put(HOLDOUTS, runKey(h), { flow: h.flow, runId: h.runId, from: h.from, until: h.until, customerIds: [...h.customerIds] });
      // Stamped after the hold is kept, so a process that reads the stamp and then the holds sees it.
      await records.put(HOLDOUTS_STAMP, STAMP_ID, { stamp: randomUUID() });
      index(h);
    },
    async release(run, customerIds) {
      const kept = await records.get<Holdout>(HOLDOUTS, runKey(run));
      if (!kept) return 0;
      const out = new Set(customerIds);
      const still = kept.body.customerIds.filter((id) => !out.has(id));
      const released = kept.body.customerIds.length - still.length;
      if (released === 0) return 0;
      await records.put(HOLDOUTS, runKey(run), { ...kept.body, customerIds: still });
      await records.put(HOLDOUTS_STAMP, STAMP_ID, { stamp: randomUUID() });
      for (const id of out) {
        const list = byCustomer.get(id)?.filter((x) => !sameRun(x, run));
        if (list?.length) byCustomer.set(id, list);
        else byCustomer.delete(id);
      }
      return released;
    },
    heldBy,
    refusal(request, at) {
      if (!request.customerId || request.actor.kind === 'human' || contactKindOf(request) !== 'marketing') return null;
      const hold = heldBy(request.customerId, at, runOfRequest(request));
      if (!hold) return null;
      return {
        rule: 'held-out',
        reason: `held out as the control group of ${hold.flow} ${hold.runId} until ${new Date(hold.until).toISOString()}: an automated contact would spoil what it measures (a person may still act; the run's report then counts it)`,
      };
    },
    async noteContact(request, at) {
      if (!request.customerId || contactKindOf(request) !== 'marketing') return undefined;
      const by = runOfRequest(request);
      const hold = heldBy(request.customerId, at, by);
      if (!hold) return undefined;
      const offerId = request.params.offerId;
      const contact: HoldoutContact = {
        flow: hold.flow,
        runId: hold.runId,
        customerId: request.customerId,
        requestId: request.id,
        actor: { kind: request.actor.kind, id: request.actor.id },
        actionClass: request.actionClass,
        ...(typeof offerId === 'string' ? { offerId } : {}),
        ...(by ? { by } : {}),
        at,
      };
      const key = `${contactPrefix(hold)}${request.customerId}|${fnv1a32(request.id).toString(36)}`;
      // Once per request: a retry of a contact noted before (its first try failed retryably, or a
      // crash came after the note) keeps the first note, with when the contact was first tried.
      try {
        await records.put(HOLDOUT_CONTACTS, key, contact, { expectedVersion: 0 });
      } catch (err) {
        if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
      }
      return key;
    },
    async forgetContact(key) {
      await records.delete(HOLDOUT_CONTACTS, key);
    },
    async contactsOf(run) {
      const out: HoldoutContact[] = [];
      const prefix = contactPrefix(run);
      for (let after: string | undefined; ; ) {
        const page = await records.list<HoldoutContact>(HOLDOUT_CONTACTS, { prefix, limit: PAGE, ...(after ? { after } : {}) });
        for (const r of page) if (sameRun(r.body, run)) out.push(r.body);
        if (page.length < PAGE) break;
        after = page[page.length - 1].id;
      }
      return out.sort((a, b) => a.at - b.at);
    },
  };
}

/**
 * The executor that carries out contacts, noting first each one of a customer another run holds out
 * (`noteContact`), and forgetting the note when the back end answers that nothing was done and
 * nothing will be (`nothingDone`). Noted after the act, a crash between the two lost the note and the
 * run measured a contacted customer as control; noted before, a crash leaves a note of a contact that
 * may not have been made, which only takes that customer out of the control's count. A failure that
 * may be retried keeps the note: the back end may have acted (a timeout), and the retry carries the
 * same note (one per request). A note that cannot be written fails the act (nothing is done), rather
 * than making a contact the run would not know of.
 */
export function notingHeldOut(executor: ActionExecutor, register: Pick<HoldoutRegister, 'noteContact' | 'forgetContact'>, now: () => number): ActionExecutor {
  return async (request, verdict) => {
    let key: string | undefined;
    try {
      key = await register.noteContact(request, now());
    } catch (err) {
      return { ok: false, error: `the customer is held out as a control group and the contact could not be noted against it (${err instanceof Error ? err.message : String(err)}); nothing was done, try again` };
    }
    const outcome = await executor(request, verdict);
    // Nothing was done and nothing will be: the note goes. A failure to forget it leaves a note too many, the safe side.
    if (key !== undefined && nothingDone(outcome)) await register.forgetContact(key).catch(() => undefined);
    return outcome;
  };
}

/**
 * True when a failed act left the customer untouched for good: the back end refused it (`retryable:
 * false`, a rejection is final), or it held every act (`held`: nothing ran, the asker is told when to
 * ask again). A transient failure (a timeout, a 5xx) may have acted at the back end, and its retry
 * under the same request id is the same contact: not nothing.
 */
function nothingDone(outcome: ExecutionOutcome): boolean {
  return !outcome.ok && (outcome.detail?.retryable === false || outcome.detail?.held === true);
}

/** What contaminated a control group: how many customers, by what (`human care-1: offer retain-10`), and who. */
export interface Contamination {
  readonly count: number;
  readonly by: Readonly<Record<string, number>>;
  readonly customerIds: readonly string[];
}

/** The contamination of a control group from its contacts by others (customers counted once), or undefined when clean. */
export function contaminationOf(contacts: readonly HoldoutContact[], controlIds?: readonly string[]): Contamination | undefined {
  const control = controlIds && new Set(controlIds);
  const seen = new Set<string>();
  const by: Record<string, number> = {};
  for (const c of contacts) {
    if ((control && !control.has(c.customerId)) || seen.has(c.customerId)) continue;
    seen.add(c.customerId);
    const what = `${c.by ? `${c.by.flow} ${c.by.runId}` : `${c.actor.kind} ${c.actor.id}`}: ${c.actionClass}${c.offerId ? ` ${c.offerId}` : ''}`;
    by[what] = (by[what] ?? 0) + 1;
  }
  return seen.size ? { count: seen.size, by, customerIds: [...seen] } : undefined;
}
