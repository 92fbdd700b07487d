import type { TwinEngine } from '../../twin/twin-engine.js';
import { OFFER_KINDS, type OfferKind } from '../../twin/twin-responses.js';
import type { TwinView } from '../../twin/twin-view.js';
import { profileEvidence } from './profile-evidence.js';
import { DEFAULT_RESPONSE_PRIORS, fitResponseModel, rateIntervals, RESPONSE_CLASSES, responseProfile, type RateIntervals, type ResponseClass, type ResponseModel, type ResponsePriors } from './response-model.js';

/**
 * Response profiles on the running twins: the response model fitted to every twin's answers to
 * contact (refitted when asked, e.g. by the intelligence layer's periodic check, only if answers
 * arrived since), and each twin's profile read with its uncertainty for `GET /twins/:id`, now or
 * as of a past time (the twin's answers as they were then, read with the model fitted now).
 * The server has no contact ledger, so its model learns from answers only (acceptance per class
 * and kind, class shares per cell); the churn effects stay at their priors here and are learnt by
 * the agent that acts (`agents/retention/learning-agent.ts`).
 */

/**
 * A probability read from a profile: its mean over the classes, and its range: from the lowest to
 * the highest end of the 90 % intervals of the rates of the classes the customer plausibly is.
 * Both uncertainties count: which class the customer is, and how well the base has shown that
 * class's rate (a customer with no answers in a base with none shows the prior's spread).
 */
export interface ProfileRange {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

/** A twin's profile as the API shows it. */
export interface ProfileView {
  /** Posterior probability of each response class. */
  readonly classes: Readonly<Record<ResponseClass, number>>;
  /** Offers presented so far: how much of the profile is the customer's own evidence. */
  readonly contacts: number;
  /** Expected acceptance per offer kind under the profile, with the range over the classes it could be. */
  readonly acceptance: Readonly<Record<OfferKind, ProfileRange>>;
  /** Expected share of the offers of each kind the customer does not accept that they leave unanswered (rather than decline), the same way. */
  readonly ignore: Readonly<Record<OfferKind, ProfileRange>>;
  /** The population model it was read with: customers with answers, and when it was fitted. */
  readonly model: { readonly customers: number; readonly fittedAt: string };
}

/** Profiles of the twins of one engine. */
export class LiveProfiles {
  private model: ResponseModel | null = null;
  private intervals: RateIntervals | null = null;
  private fittedAt = 0;
  private answersSeen = -1;

  constructor(
    private readonly engine: TwinEngine,
    private readonly priors: ResponsePriors = DEFAULT_RESPONSE_PRIORS,
  ) {}

  /**
   * Refits the model when answers arrived since the last fit; returns whether it refitted. The fit
   * is stamped on the event clock, the one clock every time the API and console show is on (the
   * sandbox's simulated time while it runs); the wall clock only before any event was applied.
   */
  refresh(now = this.engine.eventClockOrNow()): boolean {
    const evidence = [];
    let answers = 0;
    for (const id of this.engine.customerIds()) {
      const record = this.engine.contactRecord(id);
      if (!record || record.presented === 0) continue;
      const f = this.engine.features(id);
      if (!f) continue;
      answers += record.presented + record.accepted + record.declined + record.ignored;
      evidence.push(profileEvidence(f, record));
    }
    if (answers === this.answersSeen && this.model) return false;
    this.model = fitResponseModel(evidence, this.priors);
    this.intervals = rateIntervals(this.model);
    this.answersSeen = answers;
    this.fittedAt = now;
    return true;
  }

  /**
   * How contact may hurt a twin now and what it is likely to take: the probability that it is a
   * sleeping dog under its profile, the hazard multiplier a contact gives a sleeping dog (the
   * model's mean) and the expected acceptance of each offer kind. Undefined for an unknown twin.
   * Cheaper than `profileOf` (no view is built): for scans over the base.
   */
  contactRisk(customerId: string): { readonly sleepingDog: number; readonly contactMultiplier: number; readonly acceptance: Readonly<Record<OfferKind, number>> } | undefined {
    const features = this.engine.features(customerId);
    const record = this.engine.contactRecord(customerId);
    if (!features || !record) return undefined;
    if (!this.model) this.refresh();
    const model = this.model!;
    const p = responseProfile(model, profileEvidence(features, record));
    const probs = RESPONSE_CLASSES.map((c) => p.classes[c]);
    const acceptance = Object.fromEntries(OFFER_KINDS.map((kind, j) => [kind, model.acceptance.reduce((s, row, k) => s + row[j] * probs[k], 0)])) as Record<OfferKind, number>;
    return { sleepingDog: p.classes['sleeping-dog'], contactMultiplier: model.contactMultiplier.mean, acceptance };
  }

  /**
   * Each twin's shift of the log-odds of accepting an offer of `kind` against the base's: its
   * profile's expected acceptance (its kind of customer, and its own answers when it has any)
   * against the mean of the twins never offered anything, whose profiles are their cells' priors
   * (the base as a random pilot meets it). What the simulation lab adds, per twin, to an offer's
   * acceptance measured on the base; 0 for an unknown twin. Read once: later answers are not seen.
   */
  acceptanceShift(kind: OfferKind): (customerId: string) => number {
    const logit = (p: number) => {
      const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
      return Math.log(q / (1 - q));
    };
    const own = new Map<string, number>();
    let sum = 0;
    let n = 0;
    for (const id of this.engine.customerIds()) {
      const risk = this.contactRisk(id);
      if (!risk) continue;
      const a = risk.acceptance[kind];
      own.set(id, a);
      if (this.engine.contactRecord(id)!.presented === 0) {
        sum += a;
        n++;
      }
    }
    const base = logit(n > 0 ? sum / n : 0.5);
    return (id) => {
      const a = own.get(id);
      return a === undefined ? 0 : logit(a) - base;
    };
  }

  /** The profile of a twin as read (fits the model first if it never was). */
  profileOf(view: TwinView): ProfileView {
    if (!this.model) this.refresh();
    const model = this.model!;
    const intervals = this.intervals!;
    const p = responseProfile(model, profileEvidence(view.features, view.contacts));
    const probs = RESPONSE_CLASSES.map((c) => p.classes[c]);
    // The range spans the intervals of the classes the customer plausibly is (probability ≥ 5 %), and the mean.
    const perKind = (rows: readonly (readonly number[])[], bands: RateIntervals['acceptance']) =>
      Object.fromEntries(
        OFFER_KINDS.map((kind, j) => {
          const plausible = bands.map((row) => row[j]).filter((_, k) => probs[k] >= 0.05);
          const mean = rows.reduce((s, row, k) => s + row[j] * probs[k], 0);
          return [kind, { mean: round(mean), low: round(Math.min(mean, ...plausible.map((b) => b.low))), high: round(Math.max(mean, ...plausible.map((b) => b.high))) }];
        }),
      ) as Record<OfferKind, ProfileRange>;
    return {
      classes: Object.fromEntries(RESPONSE_CLASSES.map((c) => [c, round(p.classes[c])])) as Record<ResponseClass, number>,
      contacts: p.contacts,
      acceptance: perKind(model.acceptance, intervals.acceptance),
      ignore: perKind(model.ignore, intervals.ignore),
      model: { customers: model.customers, fittedAt: new Date(this.fittedAt).toISOString() },
    };
  }
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
