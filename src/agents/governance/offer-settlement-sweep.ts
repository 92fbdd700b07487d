import { oncePerCause } from './once-per-cause.js';
import type { Clock } from '../../domain/clock.js';
import { ANSWER_WINDOW_MS } from '../../decisioning/decision-record.js';
import { MAX_PAGE_SIZE } from '../../store/record-store.js';
import type { AppliedListener } from '../../twin/intake.js';
import { allPages, LATE_ACCEPTANCE_WATCH_MS, watchKey, type OfferSettlementBook, type OpenSettlement } from './offer-settlement-book.js';
import { settleOnAnswers, type OfferAnswer, type OfferSettler } from './offer-settlement.js';

/**
 * Offers paid on acceptance settled on their answers, and nothing left reserved for ever
 * (docs/policy.md, "Budgets"). The answers the intake applies settle their offers at once; what
 * that leaves reserved, a sweep settles, at start and then on a timer:
 * - an answer whose settlement failed (a store down) is tried again at every sweep until it settles;
 * - an answer applied before a crash that came before its settlement is found in the customer's
 *   logged events by the sweep at start, which reads the answer of every open reservation;
 * - a reservation past the answer window is settled on its answer if the customer's events hold
 *   one, else released as `ignored` (the outcome watch's `offer ignored` then finds it settled);
 * - a late acceptance whose booking a crash or a failed write cut short (listed open before it is
 *   booked) is booked, or refused, on the lines it listed, at every sweep until its record says so;
 * - a late acceptance applied before a crash that came before its booking was listed is found by
 *   the sweep at start, which reads the answers to the offers released as ignored and still watched
 *   (WATCHED_IGNORED_OFFERS, LATE_ACCEPTANCE_WATCH_MS after their presentation; every sweep lets go
 *   of those past it).
 * Each settlement goes through the settler, whose bookings settle once and whose audit entries are
 * facts written once: a sweep repeated after a crash, or running beside the intake's settlement
 * (here or in another process), moves no amount and writes no entry twice.
 */

/**
 * Real time between sweeps: a failed settlement is tried again within this, and an unanswered
 * reservation released this long after its window at most (about a simulated day at the
 * sandbox's default speed); each sweep lists what is open, so not much more often.
 */
export const SETTLEMENT_SWEEP_EVERY_MS = 30_000;

/** What one sweep did. */
export interface SettlementSweepTally {
  /** Settled on an answer found in the customer's events, or one whose settlement had failed. */
  answered: number;
  /** Released as ignored: past the answer window with no answer. */
  ignored: number;
  /** Open entries whose record was settled already (a crash between the two writes), taken off the list. */
  forgotten: number;
}

/** What the settlement needs. */
export interface OfferSettlementOptions {
  /** The applied events, whose answers settle their offers. */
  readonly intake: { onApplied(listener: AppliedListener): () => void };
  readonly settler: OfferSettler;
  readonly book: OfferSettlementBook;
  /** The customer's answer to request `requestId` among their logged events (`answerAmong`); undefined when none. */
  readonly answerOf: (customerId: string, requestId: string) => Promise<OfferAnswer | undefined>;
  /**
   * When the customer accepted request `requestId`, from their logged events (`acceptedAtAmong`):
   * a late acceptance the sweep at start books is booked as at it. Absent: as at the sweep.
   */
  readonly acceptedAt?: (customerId: string, requestId: string) => Promise<number | undefined>;
  /** The clock the guarded executor dates presentations with. */
  readonly clock: Clock;
  readonly answerWindowMs?: number;
  /** Real time between sweeps; 0: no timer and no sweep at start (the caller calls `sweep`). */
  readonly sweepEveryMs?: number;
  /** On a partition worker: whether a customer's reservations are this process's to settle (its owner's). Absent: all are. */
  readonly here?: (customerId: string) => boolean;
  readonly log?: (line: string) => void;
}

/** The running settlement. */
export interface RunningOfferSettlement {
  /**
   * Settles what is due now: failed settlements again, reservations past their window; with
   * `full`, also every open reservation the customer has answered (what the sweep at start does).
   */
  sweep(o?: { readonly full?: boolean }): Promise<SettlementSweepTally>;
  /** The sweep at start (resolved at once when there is no timer). */
  readonly started: Promise<SettlementSweepTally | undefined>;
  /** Stops the timer and the intake's settlement, and waits for a running sweep. */
  close(): Promise<void>;
}

/** Settles offers on the applied answers and sweeps what that leaves reserved. */
export function startOfferSettlement(o: OfferSettlementOptions): RunningOfferSettlement {
  const window = o.answerWindowMs ?? ANSWER_WINDOW_MS;
  /** Answers whose settlement failed, by request id: tried again at every sweep. */
  const failed = new Map<string, { answer: OfferAnswer; at: number }>();
  const detach = settleOnAnswers(o.intake, o.settler, (requestId, answer, err, at) => {
    failed.set(requestId, { answer, at });
    o.log?.(`offer ${requestId}: its ${answer} answer did not settle its budget now (${err.message}); it stays reserved and is tried again`);
  });

  /** Settles one open reservation on its answer, or as ignored past its window, or finishes a late acceptance's booking; what it did. */
  async function settleOpen(open: OpenSettlement, now: number, full: boolean): Promise<keyof SettlementSweepTally | undefined> {
    if (open.lateBooking) {
      // A late acceptance a crash or a failed write cut short: booked (or refused) on the lines it listed.
      const record = await o.book.get(open.requestId);
      if (record?.state === 'released' && record.answer === 'ignored' && !record.late) return (await o.settler.settle(open.requestId, 'accepted')) ? 'answered' : undefined;
      await o.book.forget(open.requestId);
      return 'forgotten';
    }
    const due = open.presentedAt + window <= now;
    if (!due && !full) return undefined;
    const record = await o.book.get(open.requestId);
    if (record && record.state !== 'reserved') {
      await o.book.forget(open.requestId);
      return 'forgotten';
    }
    // Listed but never written (a crash between the two writes): the entry is the record as reserved.
    if (!record) {
      if (!due) return undefined;
      await o.book.put(open.requestId, open);
    }
    const answer = await o.answerOf(open.customerId, open.requestId);
    if (answer) return (await o.settler.settle(open.requestId, answer)) ? 'answered' : undefined;
    if (!due) return undefined;
    return (await o.settler.settle(open.requestId, 'ignored', open.presentedAt + window)) ? 'ignored' : undefined;
  }

  /**
   * The offers released as ignored and watched: those past their watch are let go (they are listed
   * first); with `full` (at start), each one the customer has accepted since is booked late, as
   * the intake's listener would have, had a crash not come between.
   */
  async function sweepWatched(now: number, full: boolean, tally: SettlementSweepTally): Promise<void> {
    for (let after: string | undefined; ; ) {
      const page = await o.book.watchedPage({ limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
      for (const watched of page) {
        if (watched.presentedAt + LATE_ACCEPTANCE_WATCH_MS <= now) {
          await o.book.unwatch(watched);
          continue;
        }
        if (!full) return;
        if (o.here && !o.here(watched.customerId)) continue;
        const record = await o.book.get(watched.requestId);
        if (record?.state !== 'released' || record.answer !== 'ignored' || record.late) {
          // Booked or refused late (a crash before it was let go), or no longer what was watched.
          await o.book.unwatch(watched);
          continue;
        }
        if ((await o.answerOf(watched.customerId, watched.requestId)) !== 'accepted') continue;
        const at = await o.acceptedAt?.(watched.customerId, watched.requestId);
        if (await o.settler.settle(watched.requestId, 'accepted', at)) tally.answered++;
      }
      if (page.length < MAX_PAGE_SIZE) return;
      after = watchKey(page[page.length - 1]);
    }
  }

  /** A reservation the sweep cannot settle now is said once per cause, not once a reservation a sweep. */
  const trouble = oncePerCause(o.log);
  /** The start's read of the late acceptances failed: each sweep reads them until one succeeds. */
  let lateOwed = false;
  async function sweepOnce(full: boolean): Promise<SettlementSweepTally> {
    const tally: SettlementSweepTally = { answered: 0, ignored: 0, forgotten: 0 };
    for (const [requestId, { answer, at }] of [...failed]) {
      try {
        if (await o.settler.settle(requestId, answer, at)) tally.answered++;
        failed.delete(requestId);
      } catch (err) {
        o.log?.(`offer ${requestId}: its ${answer} answer did not settle again (${(err as Error).message}); tried at the next sweep`);
      }
    }
    const now = o.clock.now();
    for await (const open of allPages(o.book.openPage, MAX_PAGE_SIZE)) {
      if (o.here && !o.here(open.customerId)) continue;
      try {
        const did = await settleOpen(open, now, full);
        if (did) tally[did]++;
      } catch (err) {
        trouble.note(err, 'offers: not settled by the sweep now, tried at the next sweep', open.requestId);
        // The store cannot answer now (the first start's history is still written): every other offer would be refused alike.
        if ((err as { code?: string }).code === 'UNAVAILABLE') break;
      }
    }
    try {
      await sweepWatched(now, full || lateOwed, tally);
      lateOwed = false;
    } catch (err) {
      // Owed until read: the start's read met the first start's history still being written, and
      // said "read at the next start", so a late yes waited for a restart to be booked.
      lateOwed ||= full;
      trouble.note(err, 'offers: the late acceptances of offers released as ignored not read now, read at the next sweep');
    }
    trouble.done();
    return tally;
  }

  let running: Promise<SettlementSweepTally> | undefined;
  const sweep = (opts: { readonly full?: boolean } = {}): Promise<SettlementSweepTally> => {
    // One sweep at a time: a full one asked while another runs waits for it and then runs.
    const next = (running ?? Promise.resolve(undefined)).catch(() => undefined).then(() => sweepOnce(opts.full === true));
    const mine = next.finally(() => {
      if (running === mine) running = undefined;
    });
    running = mine;
    return mine;
  };
  const every = o.sweepEveryMs ?? SETTLEMENT_SWEEP_EVERY_MS;
  const report = (t: SettlementSweepTally | undefined, what: string) => {
    if (t && t.answered + t.ignored + t.forgotten > 0) o.log?.(`offers: ${what} settled ${t.answered} on their answers, released ${t.ignored} unanswered past their window${t.forgotten ? `, tidied ${t.forgotten}` : ''}`);
  };
  const started: Promise<SettlementSweepTally | undefined> =
    every > 0
      ? o.book
          .listUnlisted()
          .then((n) => n > 0 && o.log?.(`offers: listed ${n} reservation(s) kept before the open list, for the sweep`))
          .then(() => o.book.watchUnwatched(o.clock.now()))
          .then((n) => (n > 0 && o.log?.(`offers: watching ${n} offer(s) released as ignored before the watch, for a late acceptance`), sweep({ full: true })))
          .then(
          (t) => (report(t, 'the sweep at start'), t),
          (err: Error) => (o.log?.(`offers: the sweep at start failed (${err.message}); the next sweeps go on`), undefined),
        )
      : Promise.resolve(undefined);
  const timer =
    every > 0
      ? setInterval(() => {
          if (running) return;
          void sweep().then(
            (t) => report(t, 'the sweep'),
            (err: Error) => o.log?.(`offers: the sweep failed (${err.message}); tried again`),
          );
        }, every)
      : undefined;
  timer?.unref();

  return {
    sweep,
    started,
    async close() {
      if (timer) clearInterval(timer);
      detach();
      await running?.catch(() => undefined);
    },
  };
}
