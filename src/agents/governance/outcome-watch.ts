import { systemClock, type Clock } from '../../domain/clock.js';
import { KEEP_REFUSED_MS, type EventSink } from '../../domain/event-sink.js';
import type { Channel, TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { ANSWER_WINDOW_MS, type DecisionOutcome } from '../../decisioning/decision-record.js';
import { decisionCursor, MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import type { AcceptedEvent, AppliedListener } from '../../twin/intake.js';
import type { TwinView } from '../../twin/twin-view.js';
import { eventIdOf, TWINLOOP_SOURCE } from './action-report.js';
import { oncePerCause } from './once-per-cause.js';
import type { OfferAnswer } from './offer-settlement.js';

/**
 * Closes the loop on what Twinloop did, over time (docs/learning.md, "Outcomes on the running
 * server"). Watching the applied events and the clock, it:
 * - writes `offer ignored` for an offer presented with a request id and not answered within the
 *   answer window, recorded against its decision;
 * - closes every logged decision still open once its window has passed: `not-acted` when nothing
 *   was carried out for it (do nothing was chosen, or nobody acted on the recommendation); one
 *   whose offer was presented and waits for its answer is closed by that answer (or `ignored`);
 * - writes an `outcome` event (stayed or churned) for every action carried out on a customer once
 *   its horizon has passed, or at once when the customer leaves within it.
 * What it waits for is kept in the record store, so a restart forgets nothing: what was applied
 * after its last save is read again from the log at start (`logAfter`). Each event it writes is
 * dated when it became a fact (an offer's window's end, the horizon, the leaving), however late
 * the sweep that writes it runs (a stall, a restart), and writing it again is a duplicate.
 */

/** How long after an action the customer's stay or churn is its outcome: a quarter, the retention offers' effect. */
export const OUTCOME_HORIZON_DAYS = 90;
/** Real time between sweeps: a few simulated hours at the sandbox's default speed. */
export const SWEEP_EVERY_MS = 5_000;
/**
 * Real time between saves of what the watch waits for (it may be thousands of actions): after a
 * crash, what arrived in the last seconds is missed (a decision then reads `not-acted`), never twice.
 */
export const SAVE_EVERY_MS = 30_000;
/** Where the watch keeps what it waits for. */
export const OUTCOME_WATCH_RECORD = { collection: 'outcome-watch', id: 'state' } as const;
/** Events read per page when the watch reads again what was applied after its last save. */
const CATCH_UP_PAGE = 1_000;
/** Answers remembered, so that an action report arriving after its answer opens nothing. */
const ANSWERED_MEMORY = 5_000;

/** An offer in front of a customer, waiting for an answer. */
export interface PendingAnswer {
  customerId: string;
  decisionId?: string;
  offerId: string;
  channel: Channel;
  treatment?: string;
  presentedAt: number;
  /**
   * The log seq of the presentation the watch saw: when the customer's whole timeline cannot be
   * read now (a first start's history still written behind), their answer is looked for after it.
   * Absent in what a watch saved before it kept it.
   */
  presentedSeq?: number;
}

/**
 * The `offer ignored` event of an offer presented by request `requestId` and left unanswered,
 * stamped `time`: one id per request, so writing it twice is a duplicate the intake drops.
 */

export function ignoredOfferEvent(requestId: string, a: PendingAnswer, time: string): TwinEvent {
  return {
    id: eventIdOf('ignored', requestId),
    kind: 'offer',
    customerId: a.customerId,
    time,
    source: TWINLOOP_SOURCE,
    v: 1,
    data: { action: 'ignored', offerId: a.offerId, channel: a.channel, requestId, ...(a.decisionId ? { decisionId: a.decisionId } : {}), ...(a.treatment ? { treatment: a.treatment } : {}) },
  };
}

/** An action carried out on a customer, waiting for its horizon. */
interface PendingHorizon {
  customerId: string;
  decisionId?: string;
  actionClass: string;
  actedAt: number;
}

interface WatchState {
  /** Decisions logged before this time (ms) are all closed. */
  sweptUntil: number;
  /** The highest log seq whose event the state reflects (absent in a state saved before it was kept). */
  seenSeq?: number;
  answers: Record<string, PendingAnswer>;
  horizons: Record<string, PendingHorizon>;
}

/** What one sweep did. */
export interface SweepTally {
  ignored: number;
  notActed: number;
  stayed: number;
  churned: number;
}

/** What the watch needs. */
export interface OutcomeWatchOptions {
  /** Where the events it writes go (the twins' intake), and the applied events it watches. */
  readonly intake: EventSink & { onApplied(listener: AppliedListener): () => void };
  /** The current twin of a customer (whether and when they left). */
  readonly twin: (customerId: string) => Pick<TwinView, 'contacts'> | undefined;
  /**
   * The customer's answer to request `requestId` among their logged events (`answerAmong`), read
   * before an offer is written off as ignored: an answer the watch did not see (it came before a
   * restart the watch's last save did not cover, or the offer was presented again after it) stands,
   * and no `ignored` is written after it. Absent: the watch's own memory alone decides.
   */
  readonly answerOf?: (customerId: string, requestId: string, afterSeq?: number) => Promise<OfferAnswer | undefined>;
  /**
   * The applied events logged after `afterSeq` (a page of at most `limit`, in seq order): what was
   * applied after the last save is read again at start, so a restart forgets no presentation, answer
   * or action (the watch would otherwise close such a decision `not-acted` and write no `ignored`).
   * Absent: what came after the last save is lost (a partition worker, whose log holds others' customers).
   */
  readonly logAfter?: (afterSeq: number, limit: number) => Promise<readonly AcceptedEvent[]>;
  /** Records a decision's outcome (the decision service: the log, once). */
  readonly recordOutcome: (decisionId: string, outcome: DecisionOutcome) => Promise<unknown>;
  readonly records: RecordStore;
  readonly clock: Clock;
  /**
   * Real time, for what is counted in it whatever the world's pace: how long an outcome the intake
   * refuses as ahead of its clock is kept (`KEEP_REFUSED_MS`) and the saves (`SAVE_EVERY_MS`).
   * Default: the system clock.
   */
  readonly wallClock?: Clock;
  readonly answerWindowMs?: number;
  readonly horizonDays?: number;
  /** Real time between sweeps; 0: no timer (the caller calls `sweep`). */
  readonly sweepEveryMs?: number;
  readonly log?: (line: string) => void;
}

/** The running watch. */
export interface OutcomeWatch {
  /** Writes what has come due now; resolves with what it wrote. */
  sweep(): Promise<SweepTally>;
  /** Stops the timer, waits for a running sweep, and saves what it waits for. */
  close(): Promise<void>;
}

/** Starts watching (after reading what a previous run left waiting). */
export async function startOutcomeWatch(o: OutcomeWatchOptions): Promise<OutcomeWatch> {
  const window = o.answerWindowMs ?? ANSWER_WINDOW_MS;
  const wall = o.wallClock ?? systemClock;
  const horizonDays = o.horizonDays ?? OUTCOME_HORIZON_DAYS;
  const horizonMs = horizonDays * DAY_MS;
  const stored = await o.records.get<WatchState>(OUTCOME_WATCH_RECORD.collection, OUTCOME_WATCH_RECORD.id);
  const state: WatchState = stored?.body ?? { sweptUntil: 0, answers: {}, horizons: {} };
  const answered = new Set<string>();
  /** Customers who ended a subscription since the last sweep: whether they left is read from their twins. */
  let leaving = new Set<string>();
  let dirty = false;
  let savedAt = 0;

  /** The first seq applied live (a catch-up reads the log up to it), and the highest seen. */
  let firstLiveSeq: number | undefined;
  let seenSeq = state.seenSeq ?? 0;
  const observe = (batch: readonly AcceptedEvent[]): void => {
    for (const { event: e, seq } of batch) {
      if (seq > seenSeq) seenSeq = seq;
      if (e.kind === 'offer' && e.data.requestId) {
        const id = e.data.requestId;
        if (e.data.action === 'presented') {
          if (answered.has(id)) continue;
          const d = e.data;
          state.answers[id] = { customerId: e.customerId, offerId: d.offerId, channel: d.channel, presentedAt: Date.parse(e.time), presentedSeq: seq, ...(d.decisionId ? { decisionId: d.decisionId } : {}), ...(d.treatment ? { treatment: d.treatment } : {}) };
        } else {
          delete state.answers[id];
          answered.add(id);
          if (answered.size > ANSWERED_MEMORY) answered.delete(answered.values().next().value!);
        }
        dirty = true;
      } else if (e.kind === 'action' && (e.data.status === 'presented' || e.data.status === 'delivered')) {
        const d = e.data;
        const at = Date.parse(e.time);
        // The channel's own `offer presented` (with the offer kind) takes precedence when it came first.
        if (d.status === 'presented' && d.offerId && !answered.has(d.requestId) && !state.answers[d.requestId]) {
          state.answers[d.requestId] = { customerId: e.customerId, offerId: d.offerId, channel: d.channel, presentedAt: at, presentedSeq: seq, ...(d.decisionId ? { decisionId: d.decisionId } : {}) };
        }
        state.horizons[d.requestId] ??= { customerId: e.customerId, actionClass: d.actionClass, actedAt: at, ...(d.decisionId ? { decisionId: d.decisionId } : {}) };
        dirty = true;
      } else if (e.kind === 'outcome') {
        delete state.horizons[e.data.requestId];
        dirty = true;
      } else if (e.kind === 'subscription' && e.data.action === 'terminated') {
        leaving.add(e.customerId);
      }
    }
  };
  const detach = o.intake.onApplied((batch) => {
    if (firstLiveSeq === undefined && batch.length > 0) firstLiveSeq = batch[0].seq;
    observe(batch);
  });

  /**
   * Where the catch-up stands: the seq after which the log is read again (what a previous run
   * applied after its last save), until it has reached what this run saw live. Undefined: done.
   */
  let catchUpAfter: number | undefined = stored && o.logAfter && state.seenSeq !== undefined ? state.seenSeq : undefined;
  /** Reads the log again from where the last save left off up to the first event seen live; false while it cannot. */
  /** What the catch-up read again: its first seq, the events and the offers presented among them. */
  const reread = { from: catchUpAfter ?? 0, events: 0, presented: 0 };
  async function catchUp(): Promise<boolean> {
    if (catchUpAfter === undefined) return true;
    while (catchUpAfter !== undefined) {
      const page = await o.logAfter!(catchUpAfter, CATCH_UP_PAGE);
      const until = firstLiveSeq ?? Number.POSITIVE_INFINITY;
      const gap = page.filter((a) => a.seq < until);
      const waiting = Object.keys(state.answers).length;
      observe(gap);
      reread.events += gap.length;
      reread.presented += Math.max(0, Object.keys(state.answers).length - waiting);
      if (gap.length) dirty = true;
      catchUpAfter = gap.length === page.length && page.length === CATCH_UP_PAGE ? page[page.length - 1].seq : undefined;
    }
    // Said once, so an operator sees what a restart would otherwise have lost.
    if (reread.events > 0) o.log?.(`outcomes: read again the ${reread.events} events applied after the last save (after seq ${reread.from}) and before this start's first: ${reread.presented} offer(s) presented then wait for their answers`);
    return true;
  }

  const trouble = oncePerCause(o.log);
  /** Since when (wall clock) each event the intake refused as dated ahead of its clock has been refused. */
  const refusedSince = new Map<string, number>();
  /**
   * Submits events; false when the intake could not take them now (they are tried again next
   * sweep), else the events it refused for now only (`retryable`: dated ahead of its clock, as
   * after a restart whose world resumed behind the last run's), which stay pending for the next
   * sweep: written off as done, a customer's answer or stay was lost for good.
   */
  const submit = async (events: TwinEvent[]): Promise<false | ReadonlySet<number>> => {
    const later = new Set<number>();
    if (events.length === 0) return later;
    try {
      const answers = await o.intake.submit(events);
      // One line per sweep and reason, however many events it refused.
      const byReason = new Map<string, string[]>();
      answers.forEach((a, i) => {
        const id = events[i].id;
        if (a.status !== 'rejected') return void refusedSince.delete(id);
        // Kept while the intake's clock may still reach it; a world that stays behind (reset under the same data) does not.
        const since = a.retryable ? (refusedSince.get(id) ?? wall.now()) : undefined;
        const keep = since !== undefined && wall.now() - since < KEEP_REFUSED_MS;
        if (keep) {
          refusedSince.set(id, since);
          later.add(i);
        } else refusedSince.delete(id);
        const reason = `${a.reason ?? 'no reason given'}${keep ? '; kept, tried again at the next sweep' : since !== undefined ? `; refused for ${KEEP_REFUSED_MS / 60_000} min, written off` : ''}`;
        byReason.set(reason, [...(byReason.get(reason) ?? []), a.id ?? 'an event']);
      });
      for (const [reason, ids] of byReason) o.log?.(`outcomes: ${ids.length === 1 ? `${ids[0]} was` : `${ids.length} events (${ids[0]}, …) were`} refused: ${reason}`);
      return later;
    } catch (err) {
      trouble.note(err, 'outcomes: not written now, tried again later');
      return false;
    }
  };
  /**
   * An event's time is when it became a fact, however late the sweep (a stall, a restart): the
   * twins take these events at any lateness (their state holds no time bucket of them,
   * `twin-reducer.ts` `appliesAtAnyLateness`), and as-of reads see them where they belong.
   */
  const stamp = (due: number) => new Date(due).toISOString();

  /**
   * The customer's logged answer to the request: read from their whole timeline, or, when that
   * cannot be read now (UNAVAILABLE: a first start's history is still written behind, ~16 min on
   * the default world) from the events after its presentation, which no history reaches.
   */
  async function loggedAnswer(requestId: string, a: PendingAnswer): Promise<OfferAnswer | undefined> {
    try {
      return await o.answerOf!(a.customerId, requestId);
    } catch (err) {
      if ((err as { code?: string }).code !== 'UNAVAILABLE' || a.presentedSeq === undefined) throw err;
      return await o.answerOf!(a.customerId, requestId, a.presentedSeq - 1);
    }
  }

  async function sweepAnswers(now: number, tally: SweepTally): Promise<void> {
    const due: [string, PendingAnswer][] = [];
    for (const [requestId, a] of Object.entries(state.answers)) {
      if (a.presentedAt + window > now) continue;
      // Answered already (the log says so): nothing to write off; an `ignored` after a `declined`
      // would count the offer twice and release what the answer settled. One that cannot be read
      // now waits for the next sweep (and is then still dated at its window's end); the others go on.
      let answer: OfferAnswer | undefined;
      try {
        answer = o.answerOf ? await loggedAnswer(requestId, a) : undefined;
      } catch (err) {
        trouble.note(err, 'outcomes: an offer is not written off as ignored now, tried at the next sweep', requestId);
        continue;
      }
      if (answer !== undefined) {
        delete state.answers[requestId];
        dirty = true;
        continue;
      }
      due.push([requestId, a]);
    }
    const events = due.map(([requestId, a]) => ignoredOfferEvent(requestId, a, stamp(a.presentedAt + window)));
    const later = await submit(events);
    if (!later) return;
    for (const [i, [requestId, a]] of due.entries()) {
      if (later.has(i)) continue;
      // Recorded here too (not only when the event comes back), so the decision sweep below finds it closed.
      if (a.decisionId) await o.recordOutcome(a.decisionId, { accepted: false, reward: 0, at: a.presentedAt + window, result: 'ignored', requestId });
      delete state.answers[requestId];
      tally.ignored++;
    }
    if (due.length) dirty = true;
  }

  async function sweepHorizons(now: number, tally: SweepTally): Promise<void> {
    const events: TwinEvent[] = [];
    const done: string[] = [];
    const left = leaving;
    leaving = new Set();
    for (const [requestId, h] of Object.entries(state.horizons)) {
      // Only twins that may have changed are read: those that ended a subscription, and those due.
      if (!left.has(h.customerId) && h.actedAt + horizonMs > now) continue;
      const leftAt = o.twin(h.customerId)?.contacts.leftAt ?? 0;
      const churned = leftAt > h.actedAt && leftAt <= h.actedAt + horizonMs;
      if (!churned && h.actedAt + horizonMs > now) continue;
      const base = { requestId, actionClass: h.actionClass, horizonDays, actedAt: new Date(h.actedAt).toISOString(), ...(h.decisionId ? { decisionId: h.decisionId } : {}) };
      const data = churned ? { ...base, result: 'churned' as const, churnedAt: new Date(leftAt).toISOString() } : { ...base, result: 'stayed' as const };
      events.push({ id: eventIdOf('outcome', requestId), kind: 'outcome', customerId: h.customerId, time: stamp(churned ? leftAt : h.actedAt + horizonMs), source: TWINLOOP_SOURCE, v: 1, data });
      done.push(requestId);
      if (churned) tally.churned++;
      else tally.stayed++;
    }
    const later = await submit(events);
    if (!later) {
      tally.churned = 0;
      tally.stayed = 0;
      for (const id of left) leaving.add(id);
      return;
    }
    for (const [i, id] of done.entries()) {
      if (!later.has(i)) continue;
      // Kept for the next sweep, its customer read again then; not counted as written.
      const h = state.horizons[id];
      leaving.add(h.customerId);
      if (events[i].kind === 'outcome' && events[i].data.result === 'churned') tally.churned--;
      else tally.stayed--;
    }
    for (const [i, id] of done.entries()) if (!later.has(i)) delete state.horizons[id];
    if (done.length) dirty = true;
  }

  async function sweepDecisions(now: number, tally: SweepTally): Promise<void> {
    const until = now - window;
    if (until <= state.sweptUntil) return;
    // An offer carried out for a decision some time after it (an agent's accept on the card, seconds
    // of real time that are days of the sandbox's) is answered within its own window, which ends after
    // the decision's: the decision was acted on, and its answer (or `ignored`, swept above) closes it.
    // Closed `not-acted` first, the answer that followed was lost to it (the outcome loop's e2e at
    // load: 29 answered of 30 carried out, 31 not acted of 30).
    const waiting = new Set<string>();
    for (const a of Object.values(state.answers)) if (a.decisionId) waiting.add(a.decisionId);
    let after: string | undefined;
    for (;;) {
      const page = await o.records.listDecisions({ from: state.sweptUntil, to: until, limit: MAX_PAGE_SIZE, after });
      for (const d of page) {
        if (d.outcome || waiting.has(d.decisionId)) continue;
        await o.recordOutcome(d.decisionId, { accepted: false, reward: 0, at: d.at + window, result: 'not-acted' });
        tally.notActed++;
      }
      if (page.length < MAX_PAGE_SIZE) break;
      after = decisionCursor(page[page.length - 1]);
    }
    state.sweptUntil = until;
    dirty = true;
  }

  const save = async () => {
    dirty = false;
    savedAt = wall.now();
    // While the catch-up has not reached the live events, the state reflects the log only up to where it stands.
    await o.records.put(OUTCOME_WATCH_RECORD.collection, OUTCOME_WATCH_RECORD.id, { ...state, seenSeq: catchUpAfter ?? seenSeq });
  };

  let running: Promise<SweepTally> | undefined;
  const sweep = (): Promise<SweepTally> => {
    running ??= (async () => {
      const tally: SweepTally = { ignored: 0, notActed: 0, stayed: 0, churned: 0 };
      try {
        const now = o.clock.now();
        // What a previous run applied after its last save first: until it is read, a decision whose
        // offer was presented then would be closed `not-acted`, so decisions wait for it.
        const caughtUp = await catchUp().catch((err: Error) => (trouble.note(err, 'outcomes: what was applied before the restart is not read again yet, tried at the next sweep'), false));
        await sweepAnswers(now, tally);
        await sweepHorizons(now, tally);
        if (caughtUp) await sweepDecisions(now, tally);
        if (dirty && wall.now() - savedAt >= SAVE_EVERY_MS) await save();
        return tally;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const every = o.sweepEveryMs ?? SWEEP_EVERY_MS;
  // A sweep that cannot read what it needs now (the first start's history still being written) is
  // tried again at the next: said once per cause, and how many sweeps it held up when it clears.
  const timer = every > 0 ? setInterval(() => void sweep()
          .catch((err: Error) => trouble.note(err, 'outcomes: the sweep waits'))
          .finally(() => trouble.done()), every) : undefined;
  timer?.unref();

  return {
    sweep,
    async close() {
      if (timer) clearInterval(timer);
      detach();
      await running?.catch(() => undefined);
      if (dirty) await save();
    },
  };
}
