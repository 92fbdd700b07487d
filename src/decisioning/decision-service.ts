import type { Clock } from '../domain/clock.js';
import { whatIfForTwin, type CustomerWhatIf } from './offer-what-if.js';
import type { Channel, TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { RecentMap } from '../domain/recent-map.js';
import { checkDecision, type RecordStore } from '../store/record-store.js';
import { fillRuleValues, offerIneligibility, type RuleContext } from './offer-eligibility.js';
import { RULE_VALUE_COUNT } from './rule-compiler.js';
import { actionContactRefusal, contactDirectionOf, contactKindOf, judgedDirection, onAssistedChannel, type ContactFacts } from './action-contact.js';
import { ContactLedger } from './contact-ledger.js';
import { contactSummaryOf, type ContactPolicyInput, type ContactRefusal } from './contact-policy.js';
import type { ActionRequest, Actor } from './policy/index.js';
import type { CustomerScores } from './arbitration.js';
import { DecisionFunnel, decideForTwin, type Decision, type DecisionAsker, type TwinSource } from './decision-funnel.js';
import { contextKeyOf } from './acceptance-model.js';
import { DO_NOTHING, type DecisionOutcome, type DecisionRecord } from './decision-record.js';
import { DEFAULT_CATALOGUE_DOCUMENT } from './default-catalogue.js';
import { loadCatalogue, type CatalogueDocument, type OfferCatalogue } from './offer-catalogue.js';
import { createOfferLearner, type AcceptancePrior, type OfferLearner } from './offer-learner.js';

/** Record-store collection and id of the live catalogue document and of the learner's state. */
export const CATALOGUE_RECORD = { collection: 'catalogue', id: 'current' } as const;
export const LEARNER_RECORD = { collection: 'learner', id: 'offers' } as const;
/** Decision log writes are batched: a decision costs microseconds, a commit a millisecond. */
export const DECISION_FLUSH_MS = 200;
/** The learner's state is saved at most this often (it is a few tens of kB; the log is the record). */
export const LEARNER_SAVE_MS = 10_000;
/**
 * Decisions kept in memory for `get` (accepting a card's action refers to its decision): a few
 * minutes of a busy contact centre; older ones are in the decision log.
 */
const RECENT_DECISIONS = 5_000;
/**
 * Gives each offering without a prior its catalogue acceptance prior (an offering added later
 * starts from its own; a changed prior of a known offering is read on the next start).
 */
function addPriors(priors: Record<string, AcceptancePrior>, catalogue: OfferCatalogue): void {
  for (const x of catalogue.offers) priors[x.id] ??= { mean: Math.min(0.99, Math.max(0.01, x.acceptancePrior)), strength: PRIOR_STRENGTH };
}
/** The learner's prior weight, in pseudo-observations, behind each catalogue acceptance prior. */
const PRIOR_STRENGTH = 10;

/** A decision context as callers give it; the direction is judged for who asks (`judgedDirection`). */
export interface DecideRequest {
  readonly channel: Channel;
  readonly reason?: string;
  /** What the caller says of the contact; taken only from a person on an assisted channel (`personOnTheLine`), inbound by default there. */
  readonly direction?: 'inbound' | 'outbound';
  /**
   * Who asks (an edge's signed-in caller): an automated one is answered as for an outbound contact,
   * whatever `direction` says. Absent: the operator's own surfaces deciding for the person who
   * serves the customer (the assist card, the care case's card, the local CLI).
   */
  readonly asker?: Pick<Actor, 'kind'>;
  /**
   * Write every reason in words now (default true: the desktop's card and the CLI show them);
   * false leaves them to `Decision.reasonsOf`, for a caller that answers the choice alone.
   */
  readonly explain?: boolean;
}

/** The person the operator's own surfaces decide for when no asker is named (DecideRequest.asker). */
const SERVING_PERSON: Pick<Actor, 'kind'> = { kind: 'human' };

/**
 * A choice made elsewhere for one customer (a churn-prevention run's, a campaign's), as it is
 * logged: without a context key, the customer's channel and churn band now are its learner context.
 */
export type LoggedChoice = Omit<DecisionRecord, 'contextKey' | 'outcome'> & { readonly contextKey?: string };

/** What the decision service needs. */
export interface DecisionServiceOptions {
  readonly twins: TwinSource;
  /** Live churn probability and lifetime value of a twin (undefined without a model). */
  readonly scores: (customerId: string) => CustomerScores | undefined;
  /** Why a twin has no scores (no model serves yet, or it is outside the scored population), said with its decisions; default a plain "no live churn score". */
  readonly unscored?: (customerId: string) => string;
  readonly records: RecordStore;
  readonly clock: Clock;
  /** Uniform numbers for exploration (seeded in tests). */
  readonly random?: () => number;
  readonly log?: (line: string) => void;
  /**
   * A customer's channel consents (their profile's `channelConsent`: false opted out): a decision's
   * contact step judges an offering carried by an SMS or an e-mail with them, as the guarded executor
   * does. Absent: not known (no opt-out), and the executor's check is the only one.
   */
  readonly consents?: (customerId: string) => ReturnType<ContactFacts['consents']>;
}

/**
 * Next-best-action as a running service: the catalogue (stored, editable), the funnel over it,
 * the contact ledger and the online learner fed by offer events, and the decision log written to
 * the record store in batches. An `offer` event that carries a `decisionId` closes that decision
 * (its outcome is the acceptance) and teaches the learner.
 */
export class DecisionService {
  private funnel: DecisionFunnel;
  private document: CatalogueDocument;
  private version: number;
  private readonly ledger = new ContactLedger();
  private contactPolicy: ContactPolicyInput | undefined;
  private pending: DecisionRecord[] = [];
  private readonly recent = new RecentMap<string, Decision>(RECENT_DECISIONS);
  /** Request id → the catalogue offering it presented, until its answer comes. */
  private readonly presented = new RecentMap<string, string>(RECENT_DECISIONS);
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private learnerSavedAt = 0;
  private learnerDirty = false;
  /** Whether an interaction with a customer is in progress on a channel (the omnichannel context), once the operator says (`setInContact`). */
  private inContact: ((customerId: string, channel: Channel) => boolean | undefined) | undefined;
  /** Who hears of each catalogue stored (the TMF620 hub). */
  private readonly catalogueListeners = new Set<(before: OfferCatalogue, after: OfferCatalogue) => void>();

  private constructor(
    private readonly o: DecisionServiceOptions,
    stored: { document: CatalogueDocument; version: number },
    readonly learner: OfferLearner,
    /** The learner's priors by offer, which an offering added later joins. */
    private readonly offerPriors: Record<string, AcceptancePrior>,
  ) {
    this.document = stored.document;
    this.version = stored.version;
    this.funnel = this.build(loadCatalogue(stored.document));
  }

  /** Opens the service: the stored catalogue (the default one on first start) and learner state. */
  static async open(o: DecisionServiceOptions): Promise<DecisionService> {
    const stored = await o.records.get<CatalogueDocument>(CATALOGUE_RECORD.collection, CATALOGUE_RECORD.id);
    const document = stored?.body ?? DEFAULT_CATALOGUE_DOCUMENT;
    const catalogue = loadCatalogue(document);
    const offerPriors: Record<string, AcceptancePrior> = {};
    addPriors(offerPriors, catalogue);
    const learner = createOfferLearner({ prior: { mean: 0.1, strength: PRIOR_STRENGTH }, offerPriors });
    const state = await o.records.get(LEARNER_RECORD.collection, LEARNER_RECORD.id);
    if (state) learner.restore(state.body);
    const service = new DecisionService(o, { document, version: stored?.version ?? 0 }, learner, offerPriors);
    service.timer = setInterval(() => void service.flush().catch((err: Error) => o.log?.(`decisions: ${err.message}`)), DECISION_FLUSH_MS);
    service.timer.unref();
    return service;
  }

  private build(catalogue: OfferCatalogue): DecisionFunnel {
    return new DecisionFunnel({ catalogue, acceptance: this.learner, ledger: this.ledger, random: this.o.random, contactPolicy: this.contactPolicy });
  }

  /**
   * Where the operator knows whether a customer is in contact on a channel now (the omnichannel
   * context's interaction in progress, `CustomerContext.channels[channel].inProgress`): from then on a
   * person on a call, chat or store visit with none in progress is not on the line with the customer,
   * and their decisions and acts are judged outbound (quiet hours, caps, cool-downs). Before, a care
   * agent's `POST /decisions` on `call` at 00:47 with no call was judged inbound, exempt from quiet hours,
   * and its offer went out.
   */
  setInContact(inContact: (customerId: string, channel: Channel) => boolean | undefined): void {
    this.inContact = inContact;
  }

  /**
   * Whether `asker` on `channel` is in contact with the customer now, where it matters and is known
   * (`Asker.inContact`): read by a decision, and by the guarded executor once for a request, which
   * keeps it (`ActionRequest.inContact`).
   */
  inContactOf(customerId: string, asker: Pick<Actor, 'kind'>, channel: Channel): boolean | undefined {
    // Only a person on an assisted channel is on the line but for the interaction in progress: only then is the context read.
    return this.inContact && onAssistedChannel(asker, channel) ? this.inContact(customerId, channel) : undefined;
  }

  /**
   * The direction a decision is made in, judged for who asks and whether the customer is in contact,
   * and who asks as the funnel's contact step judges each offering (with the customer's consents).
   */
  private contactOf(customerId: string, request: DecideRequest): { direction: 'inbound' | 'outbound'; asker: DecisionAsker } {
    const actor = request.asker ?? SERVING_PERSON;
    const inContact = this.inContactOf(customerId, actor, request.channel);
    const consents = this.o.consents;
    return {
      direction: judgedDirection({ actor, channel: request.channel, inContact }, request.direction),
      asker: { actor, ...(inContact === undefined ? {} : { inContact }), ...(consents ? { consents: () => consents(customerId) } : {}) },
    };
  }

  /** The contact rules in force (the action policy's `contact` section); later decisions and actions follow them. */
  setContactPolicy(policy: ContactPolicyInput): void {
    this.contactPolicy = policy;
    this.funnel = this.build(this.funnel.catalogue);
  }

  /**
   * Why the contact rules forbid an action on its customer now, or null: the rules the funnel
   * applies before ranking, applied again by the guarded executor to whatever path asks (campaigns,
   * flows, MCP, the API). `consents` are the customer's channel consents (opt-outs). Whether the
   * customer is in contact with the asker is the request's stamp (`ActionRequest.inContact`), set when
   * the guarded executor first judged it: an approved request is judged as it was asked.
   */
  contactRefusal(request: ActionRequest, consents: ContactFacts['consents']): ContactRefusal | null {
    if (!request.customerId) return null;
    // An offering goes only to whom it may go now, whatever asks (decision 0116): its eligibility first.
    const offerId = request.params.offerId;
    const barred = typeof offerId === 'string' ? this.offerIneligibility(request.customerId, offerId, { channel: request.channel, direction: contactDirectionOf(request) }) : undefined;
    if (barred !== undefined) return { rule: 'offer-eligibility', reason: `${offerId} may not go to ${request.customerId} now: ${barred}` };
    if (contactKindOf(request) === 'none') return null;
    const now = this.o.clock.now();
    const features = this.o.twins.features(request.customerId, now);
    // No twin here: the consent, opt-outs and contact history the rules read are not known to this
    // process (a customer the operator does not have, or on a partition worker one another worker
    // owns), so a contact is refused rather than let through unchecked; service messages and
    // non-contacts (above) are not contacts the rules govern.
    if (!features) return { rule: 'customer-not-held', reason: `no twin of ${request.customerId} is held here, so its consent and contact history cannot be checked (a partition worker acts only for its own partitions' customers: ask through the gateway)` };
    const policy = this.funnel.policy;
    // The request's own entries are no earlier contact of it (a repeat judged again after a crash that followed its delivery).
    const summary = contactSummaryOf(this.ledger, request.customerId, features, now, policy, request.id);
    const offerMonths = (offerId: string) => this.funnel.catalogue.byId.get(offerId)?.months;
    const serviceMessage = (offerId: string) => this.funnel.catalogue.byId.get(offerId)?.marketing === false;
    return actionContactRefusal(policy, request, { summary, features, consents, offerMonths, serviceMessage }, now);
  }

  /**
   * Why the catalogue's offering `offerId` may not go to the customer now (the funnel's eligibility
   * step: live, valid now, not churned, its rule holding on the twin and its live scores, read in
   * `context`), in words naming the clause that fails with the customer's value; undefined when it
   * may, and for a customer without a twin here or an offering the catalogue has not (others say so:
   * the contact rules' `customer-not-held`, pricing's unknown offering).
   */
  offerIneligibility(customerId: string, offerId: string, context: RuleContext): string | undefined {
    const offer = this.funnel.catalogue.byId.get(offerId);
    if (!offer) return undefined;
    const now = this.o.clock.now();
    const features = this.o.twins.features(customerId, now);
    if (!features) return undefined;
    const values = fillRuleValues(new Float64Array(RULE_VALUE_COUNT), features, this.o.scores(customerId), context);
    return offerIneligibility(offer, values, now, this.funnel.catalogue.vocabulary);
  }

  get catalogue(): OfferCatalogue {
    return this.funnel.catalogue;
  }

  /** The catalogue document as stored, with its version (for optimistic updates). */
  catalogueDocument(): { document: CatalogueDocument; version: number } {
    return { document: this.document, version: this.version };
  }

  /** Validates and stores a new catalogue; later decisions use it. BAD_INPUT lists every problem. */
  async replaceCatalogue(document: unknown, expectedVersion?: number): Promise<{ document: CatalogueDocument; version: number }> {
    const catalogue = loadCatalogue(document);
    const saved = await this.o.records.put(CATALOGUE_RECORD.collection, CATALOGUE_RECORD.id, document as CatalogueDocument, {
      expectedVersion: expectedVersion ?? (this.version === 0 ? undefined : this.version),
    });
    this.document = saved.body;
    this.version = saved.version;
    addPriors(this.offerPriors, catalogue);
    const before = this.funnel.catalogue;
    this.funnel = this.build(catalogue);
    for (const listener of this.catalogueListeners) listener(before, catalogue);
    return { document: this.document, version: this.version };
  }

  /** Calls `listener` with the catalogue before and after each one stored (whatever the route); returns the detach. */
  onCatalogueChange(listener: (before: OfferCatalogue, after: OfferCatalogue) => void): () => void {
    this.catalogueListeners.add(listener);
    return () => this.catalogueListeners.delete(listener);
  }

  /** Adds or replaces one offering (TMF620 ProductOffering) in the catalogue. */
  async putOffering(offering: Record<string, unknown>): Promise<{ document: CatalogueDocument; version: number }> {
    const id = offering.id;
    if (typeof id !== 'string' || !id) throw new TwinloopError('BAD_INPUT', 'a product offering needs an "id"');
    const others = this.document.productOffering.filter((x) => (x as { id?: string }).id !== id);
    return this.replaceCatalogue({ ...this.document, productOffering: [...others, offering] });
  }

  /**
   * Stores the catalogue `edit` makes of the one in force (checked whole, as any replacement): for
   * a change that touches offerings and the resources beside them at once (TMF620).
   */
  async editCatalogue(edit: (document: CatalogueDocument) => CatalogueDocument): Promise<{ document: CatalogueDocument; version: number }> {
    return this.replaceCatalogue(edit(this.document));
  }

  /** Removes one offering; NOT_FOUND when it is not in the catalogue. */
  async deleteOffering(id: string): Promise<void> {
    const rest = this.document.productOffering.filter((x) => (x as { id?: string }).id !== id);
    if (rest.length === this.document.productOffering.length) throw new TwinloopError('NOT_FOUND', `no product offering "${id}" in the catalogue`);
    if (rest.length === 0) throw new TwinloopError('CONFLICT', 'the catalogue must keep at least one offering; replace it instead');
    await this.replaceCatalogue({ ...this.document, productOffering: rest });
  }

  /** What each offering is expected to do for one customer in this contact now (offer-what-if.ts); nothing is logged. */
  whatIf(customerId: string, request: DecideRequest): CustomerWhatIf {
    const { direction, asker } = this.contactOf(customerId, request);
    return whatIfForTwin(this.funnel, this.o.twins, this.o.scores, customerId, { channel: request.channel, reason: request.reason, direction, now: this.o.clock.now() }, this.o.unscored?.(customerId), asker);
  }

  /** Decides for one customer now; the decision is logged (asynchronously, in a batch). */
  decide(customerId: string, request: DecideRequest): Decision {
    const { direction, asker } = this.contactOf(customerId, request);
    const decision = decideForTwin(this.funnel, this.o.twins, this.o.scores, customerId, { channel: request.channel, reason: request.reason, direction, now: this.o.clock.now() }, request.explain ?? true, this.o.unscored?.(customerId), asker);
    this.pending.push(decision.record);
    // Kept slim: accepting an action needs the ranked actions, not the discarded offers' reasons
    // (an unexplained decision's discards are the funnel's shared ones: `get` leaves them out).
    this.recent.set(decision.decisionId, decision.explained ? { ...decision, discarded: [] } : decision);
    return decision;
  }

  /**
   * Logs a choice another part of the operator made for one customer (a churn-prevention run's
   * offer or holdout, a campaign's contact) in the same log as `decide`'s: the act that carries it
   * out names it (`params.decisionId`), its outcome comes back against it, and its offer's answer
   * teaches the learner in the context logged. Resolves once it is in the log; logging an id again
   * (a run asking again) changes nothing. BAD_INPUT, and nothing logged, when the record is malformed.
   */
  async logDecision(choice: LoggedChoice): Promise<void> {
    const record: DecisionRecord = { ...choice, contextKey: choice.contextKey ?? contextKeyOf(choice.channel, this.o.scores(choice.customerId)?.churn ?? Number.NaN) };
    checkDecision(record);
    this.pending.push(record);
    await this.flush();
  }

  /** A recent decision (for accepting its action; without its discarded list), or undefined. */
  get(decisionId: string): Decision | undefined {
    const kept = this.recent.get(decisionId);
    return kept && kept.discarded.length > 0 ? { ...kept, discarded: [] } : kept;
  }

  /**
   * Feeds applied events: contacts into the ledger; the answers to offers into the learner (every
   * offer a request presented from the catalogue, in its decision's context: from memory for a
   * recent decision, else as the decision log kept it, so a restart between a decision and its
   * answer changes nothing; with no logged decision, the customer's context now); and what came
   * of each logged decision into the log: its
   * offer's answer (accepted, declined, ignored), or its action delivered or failed. Resolves
   * once those outcomes are in the log (callers on the intake's path need not wait).
   */
  /**
   * Adds contacts read from the log to the contact ledger, and nothing else (their answers taught
   * the learner and closed their decisions when they were applied): a restart's ledger, fed by
   * the intake alone, forgot every offer a customer holds and every contact the caps count.
   */
  rememberContacts(events: readonly TwinEvent[]): void {
    this.ledger.observe(this.byCatalogueOffer(events));
  }

  /**
   * The events with each offer answer naming the catalogue offering it answers, not the back
   * end's offer (a catalogue's `loyalty-10` fulfilled by the back end's `retain-10`): the offering
   * the request presented (its `action presented` event, in this batch or before), else the one
   * offering the back end's id fulfils (`byBackendOffer`), else the id as sent. The one place an
   * answer's offer is mapped: the contact ledger's `offer-in-force` and same-offer cool-down look
   * the catalogue's id up, and missed every offering whose back end id differs.
   */
  private byCatalogueOffer(events: readonly TwinEvent[]): readonly TwinEvent[] {
    for (const e of events) if (e.kind === 'action' && e.data.status === 'presented' && e.data.offerId) this.presented.set(e.data.requestId, e.data.offerId);
    let out: TwinEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.kind !== 'offer') continue;
      const d = e.data;
      const offerId = (d.requestId ? this.presented.get(d.requestId) : undefined) ?? this.funnel.catalogue.byBackendOffer.get(d.offerId) ?? d.offerId;
      if (offerId === d.offerId) continue;
      out ??= [...events];
      out[i] = { ...e, data: { ...d, offerId } };
    }
    return out ?? events;
  }

  observe(events: readonly TwinEvent[]): Promise<void> {
    events = this.byCatalogueOffer(events);
    this.ledger.observe(events);
    const writes: Promise<boolean>[] = [];
    for (const e of events) {
      if (e.kind === 'action') {
        const d = e.data;
        // A presentation awaits its answer (byCatalogueOffer remembered the offering it presents).
        if (d.status !== 'presented' && d.decisionId) {
          // A person declining the recommendation is no answer of the customer's: nothing was acted on.
          const result = d.status === 'declined' ? 'not-acted' : d.status;
          writes.push(this.recordOutcome(d.decisionId, { accepted: false, reward: 0, at: Date.parse(e.time), result, requestId: d.requestId }));
        }
        continue;
      }
      if (e.kind !== 'offer') continue;
      const d = e.data;
      const answer = d.action;
      if (answer === 'presented') continue;
      const accepted = answer === 'accepted';
      const presented = d.requestId ? this.presented.get(d.requestId) : undefined;
      const recent = d.decisionId === undefined ? undefined : this.recent.get(d.decisionId);
      if (d.decisionId === undefined || recent) this.learnAnswer(e.customerId, d, presented, recent && { contextKey: recent.contextKey, chosen: recent.chosen.actionId }, accepted);
      // A decision no longer in memory (logged by a run, or decided before a restart): its context is the one the log kept.
      else writes.push(this.loggedDecision(d.decisionId).then((logged) => (this.learnAnswer(e.customerId, d, presented, logged, accepted), true)));
      // The reward is acceptance: the off-policy estimators then value a policy by its acceptance rate.
      if (d.decisionId) writes.push(this.recordOutcome(d.decisionId, { accepted, reward: accepted ? 1 : 0, at: Date.parse(e.time), result: answer, ...(d.requestId ? { requestId: d.requestId } : {}) }));
    }
    return Promise.all(writes).then(() => undefined);
  }

  /**
   * Teaches the learner one answer: about the catalogue offering the request presented, else the
   * decision's chosen offer, else the offer the event names; in the decision's context as logged,
   * or, with no decision (a campaign's answer before campaigns logged theirs), the customer's
   * channel and churn band now.
   */
  private learnAnswer(customerId: string, d: { channel: Channel; offerId: string }, presented: string | undefined, decision: Pick<DecisionRecord, 'contextKey' | 'chosen'> | undefined, accepted: boolean): void {
    const offerId = presented ?? (decision && decision.chosen !== DO_NOTHING ? decision.chosen : d.offerId);
    if (!this.funnel.catalogue.byId.has(offerId)) return;
    const churn = this.o.scores(customerId)?.churn;
    const contextKey = decision?.contextKey ?? (churn === undefined ? undefined : contextKeyOf(d.channel, churn));
    if (!contextKey) return;
    this.learner.observe(offerId, contextKey, accepted);
    this.learnerDirty = true;
  }

  /**
   * A logged decision as the log keeps it, or undefined when the log has none (or cannot answer
   * now: the answer then teaches in the customer's context now, said in the log). A decision still
   * in this process's batch is read after its flush.
   */
  private async loggedDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    try {
      await this.flush();
      return (await this.o.records.getDecision(decisionId)) ?? undefined;
    } catch (err) {
      this.o.log?.(`decisions: the context of ${decisionId} could not be read from the log (${(err as Error).message}); its answer teaches the learner in the customer's context now`);
      return undefined;
    }
  }

  /** Records what came of a logged decision (once: a later outcome of the same decision is ignored by the log). */
  recordOutcome(decisionId: string, outcome: DecisionOutcome): Promise<boolean> {
    return this.flush()
      .then(() => this.o.records.recordOutcome(decisionId, outcome))
      .catch((err: Error) => {
        this.o.log?.(`decisions: outcome of ${decisionId}: ${err.message}`);
        return false;
      });
  }

  /** Writes the buffered decisions, and the learner's state when it changed and is due (or `force`). */
  flush(force = false): Promise<void> {
    // A failed flush must not stop the next ones: chain on its settling, and keep its batch.
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      if (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.o.records.appendDecisions(batch);
        } catch (err) {
          this.pending = [...batch, ...this.pending];
          throw err;
        }
      }
      const now = Date.now();
      if (this.learnerDirty && (force || now - this.learnerSavedAt >= LEARNER_SAVE_MS)) {
        this.learnerDirty = false;
        this.learnerSavedAt = now;
        await this.o.records.put(LEARNER_RECORD.collection, LEARNER_RECORD.id, this.learner.snapshot());
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush(true);
  }
}
