import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import { recordDocuments } from '../../store/document-store.js';
import type { RecordStore } from '../../store/record-store.js';
import { OFFER_SETTLEMENTS, type OfferSettlement, type OpenSettlement, type SettlementRecords } from './offer-settlement.js';

/**
 * Where offers paid on acceptance are kept (offer-settlement.ts): one record per request in
 * OFFER_SETTLEMENTS, and, while a record is `reserved`, an entry among the open ones. What waits
 * for an answer is read from the open list, so the sweep's and a campaign tick's reads grow with
 * what is open now (a week of presentations at most), never with the whole history.
 */

/** The requests whose acceptance-paid part is still reserved, by request id. */
export const OPEN_OFFER_SETTLEMENTS = 'offer-settlements-open';
/**
 * The requests accepted after they were released as ignored and booked then, by request id: a
 * reader that counted a release (a campaign's spend) finds the few that changed since here.
 */
export const LATE_OFFER_ACCEPTANCES = 'offer-settlements-late';
/**
 * The offers released as ignored, watched for a late acceptance (by `watchKey`: presentation time,
 * then request id). An acceptance applied to the twins is settled by the intake's listener, which
 * a crash can cut short before the late booking is listed open: the sweep at start reads the
 * customers' answers to the offers watched here and books what they accepted (offer-settlement-sweep.ts).
 */
export const WATCHED_IGNORED_OFFERS = 'offer-settlements-ignored';
/**
 * How long after its presentation an offer released as ignored is watched: four answer windows.
 * The sandbox's customers answer at once, and an answer held back that long is not one a restart
 * needs to find; each start reads every offer watched, so the list is kept to about a month.
 */
export const LATE_ACCEPTANCE_WATCH_MS = 28 * DAY_MS;
/** The key of a watched offer: its presentation time first, so those past the watch are the first listed. */
export const watchKey = (s: Pick<OfferSettlement, 'presentedAt' | 'requestId'>): string => `${String(Math.max(0, Math.trunc(s.presentedAt))).padStart(15, '0')}|${s.requestId}`;

/**
 * An entry of the open list: a copy of a reservation's record as it was reserved, so that a crash
 * between the two writes leaves the sweep all it needs to settle it; or a late acceptance being
 * booked (`lateBooking`), listed before anything is booked, so the sweep finishes it.
 */
export type { OpenSettlement };

/** A page's bounds: after the request id `after`, at most `limit`, ids starting with `prefix`. */
export interface PageQuery {
  readonly after?: string;
  readonly limit: number;
  readonly prefix?: string;
}

/** The settlements with their open list. */
export interface OfferSettlementBook extends SettlementRecords {
  /** A page of the open reservations in request id order after `after`, those whose id starts with `prefix`. */
  openPage(o: PageQuery): Promise<OpenSettlement[]>;
  /** A page of the late acceptances booked (LATE_OFFER_ACCEPTANCES), as openPage. */
  latePage(o: PageQuery): Promise<OfferSettlement[]>;
  /** A page of the offers released as ignored and watched for a late acceptance, oldest presentation first, after the `watchKey` `after`. */
  watchedPage(o: PageQuery): Promise<OfferSettlement[]>;
  /** Stops watching an offer released as ignored (its late acceptance is booked or refused, or its watch is over). */
  unwatch(s: Pick<OfferSettlement, 'presentedAt' | 'requestId'>): Promise<void>;
  /** Takes a request off the open list (its record is settled: what a crash between the two writes left behind). */
  forget(requestId: string): Promise<void>;
  /**
   * Lists open the reserved records kept before the open list existed: once per store (a record
   * in `settings` says it is done; a crash before it repeats the listing, which puts the same entries).
   */
  listUnlisted(): Promise<number>;
  /**
   * Watches the offers released as ignored before the watch existed, those presented less than
   * LATE_ACCEPTANCE_WATCH_MS before `now`: once per store, as listUnlisted (a crash before its mark repeats it).
   */
  watchUnwatched(now: number): Promise<number>;
}

/** The `settings` record saying the reserved records of before the open list are listed. */
const LISTED_MARK = 'offer-settlements-open-list';
/** The `settings` record saying the offers released as ignored before the watch are watched. */
const WATCHED_MARK = 'offer-settlements-ignored-watch';

/**
 * The book over the record store. A reserved record is listed open before it is written, and a
 * settled one written before it leaves the list: a crash between leaves an open entry whose record
 * is settled (or absent), which the sweep takes off, never a reserved record nobody lists.
 */
export function offerSettlementBook(records: RecordStore): OfferSettlementBook {
  const docs = recordDocuments<OfferSettlement>(records, OFFER_SETTLEMENTS);
  return {
    get: (id) => docs.get(id),
    list: () => docs.list(),
    async put(id, s) {
      if (s.state === 'reserved') {
        await records.put(OPEN_OFFER_SETTLEMENTS, id, s);
        await docs.put(id, s);
        return;
      }
      // Listed late before the record is written: a crash between lists a booking the record does not show yet, which the repeat writes.
      if (s.late?.booked) await records.put(LATE_OFFER_ACCEPTANCES, id, s);
      // Watched before it is released as ignored: a late acceptance a crash keeps from being listed is found at the next start.
      const ignored = s.state === 'released' && s.answer === 'ignored';
      if (ignored && !s.late) await records.put(WATCHED_IGNORED_OFFERS, watchKey(s), s);
      await docs.put(id, s);
      await records.delete(OPEN_OFFER_SETTLEMENTS, id);
      // Its late acceptance booked or refused: nothing more to watch for (a crash before this leaves it to the sweep).
      if (ignored && s.late) await records.delete(WATCHED_IGNORED_OFFERS, watchKey(s));
    },
    async fixLateBooking(entry) {
      // Created only where none is listed (a reservation's stale copy, left by a crash after its
      // record was released, is replaced): a writer that lost the race reads the winner's lines.
      for (let attempt = 1; ; attempt++) {
        const listed = await records.get<OpenSettlement>(OPEN_OFFER_SETTLEMENTS, entry.requestId);
        if (listed?.body.lateBooking) return listed.body.lateBooking;
        try {
          await records.put(OPEN_OFFER_SETTLEMENTS, entry.requestId, entry, { expectedVersion: listed?.version ?? 0 });
          return entry.lateBooking;
        } catch (err) {
          if (!(err instanceof TwinloopError && err.code === 'CONFLICT') || attempt >= 3) throw err;
        }
      }
    },
    async listLateBooking(entry) {
      await records.put(OPEN_OFFER_SETTLEMENTS, entry.requestId, entry);
    },
    openPage: (q) => pageOf(records, OPEN_OFFER_SETTLEMENTS, q),
    latePage: (q) => pageOf(records, LATE_OFFER_ACCEPTANCES, q),
    watchedPage: (q) => pageOf(records, WATCHED_IGNORED_OFFERS, q),
    async unwatch(s) {
      await records.delete(WATCHED_IGNORED_OFFERS, watchKey(s));
    },
    async forget(requestId) {
      await records.delete(OPEN_OFFER_SETTLEMENTS, requestId);
    },
    async listUnlisted() {
      if (await records.get('settings', LISTED_MARK)) return 0;
      let listed = 0;
      for (const s of await docs.list()) {
        if (s.state !== 'reserved') continue;
        await records.put(OPEN_OFFER_SETTLEMENTS, s.requestId, s);
        listed++;
      }
      await records.put('settings', LISTED_MARK, { listed, at: Date.now() });
      return listed;
    },
    async watchUnwatched(now) {
      if (await records.get('settings', WATCHED_MARK)) return 0;
      let watched = 0;
      for (const s of await docs.list()) {
        if (s.state !== 'released' || s.answer !== 'ignored' || s.late || s.presentedAt + LATE_ACCEPTANCE_WATCH_MS <= now) continue;
        await records.put(WATCHED_IGNORED_OFFERS, watchKey(s), s);
        watched++;
      }
      await records.put('settings', WATCHED_MARK, { watched, at: Date.now() });
      return watched;
    },
  };
}

async function pageOf(records: RecordStore, collection: string, { after, limit, prefix }: PageQuery): Promise<OfferSettlement[]> {
  const page = await records.list<OfferSettlement>(collection, { limit, ...(after ? { after } : {}), ...(prefix ? { prefix } : {}) });
  return page.map((r) => r.body);
}

/** Every settlement of a list (`openPage`, `latePage`) whose id starts with `prefix` (all when absent), a page of `pageSize` at a time. */
export async function* allPages(page: (q: PageQuery) => Promise<OfferSettlement[]>, pageSize: number, prefix?: string): AsyncGenerator<OfferSettlement> {
  for (let after: string | undefined; ; ) {
    const got = await page({ limit: pageSize, ...(after ? { after } : {}), ...(prefix ? { prefix } : {}) });
    yield* got;
    if (got.length < pageSize) return;
    after = got[got.length - 1].requestId;
  }
}
