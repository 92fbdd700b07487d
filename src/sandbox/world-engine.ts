import { ManualClock } from '../domain/clock.js';
import type { EventKind, EventOf, TwinEvent } from '../domain/events.js';
import { Agenda, AGENDA, type AgendaItem } from './agenda.js';
import { driverLogit, dailyFromMonthly, monthlyHazard, solveIntercept, type HazardDrivers } from './churn-hazard.js';
import { customerTables, drawCustomer, tenureMonths, type CustomerChoice, type CustomerTables } from './customer-factory.js';
import { SANDBOX_SOURCE, type EventOutput } from './event-output.js';
import { Population, RESPONSE_TYPE_ORDER, STATUS_ACTIVE, STATUS_TERMINATED } from './population.js';
import { Prng, slotDayDie, slotDayHash } from './prng.js';
import { DAY_MS, DAYS_PER_MONTH } from '../domain/time.js';
import { fnv1a32 } from '../domain/string-hash.js';
import { fmix32 } from '../domain/seeded-random.js';
import { isoAt, isoDate, parseIsoDate } from './sim-time.js';
import { runBills } from './billing.js';
import { contractEndOf, runContractEnds, setContractEnd } from './contract-renewals.js';
import { drawEverydayExperience, emitExperienceRecord } from './network-experience.js';
import { drawIncidents, startIncident, raiseIncidentAlarm, clearIncident, cellId, siteId } from './network-incidents.js';
import { runAgendaItem } from './agenda-actions.js';
import type { WorldConfig } from './world-config.js';
import { CUSTOMER_DICE, type Incident, type WorldState } from './world-state.js';

/** Seconds of the day at which each daily phase runs; agenda items interleave by their own time. */
const PHASE = { JOIN: 0, PRICE: 3600, BILL: 7200, CHURN: 72000, USAGE: 86340 } as const;

/** Decay time constant (days) of complaint and network-impact scores in the hazard. */
export const SCORE_DECAY_DAYS = 30;
/** Mixed into the seed of the consent draw, so it is independent of every other hash of a customer id. */
const CONSENT_SALT = 0x636f6e73;
/** Salts of the SMS and e-mail opt-out draws ('sms ', 'mail'), likewise independent. */
const SMS_OPT_OUT_SALT = 0x736d7320;
const EMAIL_OPT_OUT_SALT = 0x6d61696c;

/**
 * The simulated operator: hidden customer state, network, agenda, and the day step that turns
 * it into events. Deterministic: with the same config and seed, the same calls give the same
 * events. Back-end effects (activations, credits, offers) enter through `world-effects.ts`.
 */
export class WorldEngine implements WorldState {
  readonly pop: Population;
  readonly clock: ManualClock;
  readonly startMs: number;
  readonly tables: CustomerTables;
  readonly agenda = new Agenda();
  readonly rng: Prng;
  /** A separate stream for effects triggered from outside, so they do not shift the world's own draws. */
  readonly effectsRng: Prng;
  readonly networkRng: Prng;
  readonly experienceRng: Prng;
  /** Next simulated day to generate, counted from `startMs`. */
  day = 0;
  intercept = 0;
  planPrices: number[];
  readonly incidents: Incident[] = [];
  readonly homeMembers: number[][];
  readonly visitors: number[][];
  /** Cell and site ids by cell number, as usage records and alarms name them. */
  readonly cellNames: string[];
  readonly siteNames: string[];
  /** Competitor pressure per plan family today. */
  exposure: Record<'fibre' | 'dsl' | 'none', number> = { fibre: 0, dsl: 0, none: 0 };
  /** Where scheduled events go; set by whoever drives the day step. */
  out: EventOutput;
  /** Where events caused by back-end calls go (the live queue, or the same output in backfill). */
  immediate: EventOutput;
  counters = { ids: 0, tickets: 0, incidents: 0, orders: 0 };
  /** The add-ons (indices into `cfg.addons`) each customer slot holds, ordered through order management. */
  readonly addons = new Map<number, number[]>();
  /** Every offer delivered and contact made through the back ends, for the oracle's record of what happened. */
  readonly contactLog: ContactRecord[] = [];
  /** Called when an incident starts or clears (the alarm feed listens here), with the clock at that moment. */
  readonly incidentListeners = new Set<(incident: Incident) => void>();
  /**
   * Starts and clears generated ahead of the clock, held until it reaches them: a live run
   * generates a whole day at its start, and a network system raises an alarm when it happens,
   * not when the day is planned. Undefined outside a live run (backfills tell listeners at once).
   */
  heldIncidents: { atMs: number; incident: Incident }[] | undefined;
  /**
   * Interactions staged for a person to take (`care-example.ts`), by customer id: ms of event time
   * from their start to their `endsBy`. While one is on the line the world starts no other
   * interaction for that customer (`heldBack`): a later start on its channel ends it (the omnichannel
   * context's rule), and at 3,600x the world's own calls came within minutes of the person's 15.
   */
  private readonly lines = new Map<string, { fromMs: number; toMs: number }[]>();
  /** The earliest end among the staged lines held (Infinity with none): before it, there is nothing to forget. */
  private firstLineEndMs = Infinity;
  datePrefix = '';
  private readonly dateCache = new Map<number, string>();
  private initialEmitted = false;
  /** Whether the streams have been started over for `cfg.redraw` (once its day came). */
  private redrawn = false;
  /** The day from which a customer's everyday chances come from its own stream of the day (`customerDice.from`, `customerRng`); Infinity: never. */
  private readonly perCustomerFrom: number;
  /** The one stream object `customerRng` reseeds for each customer and use. */
  private readonly slotRng = new Prng(0, 'slot');
  private readonly idPrefix: string;

  constructor(
    readonly cfg: WorldConfig,
    readonly seed: number,
    noop: EventOutput,
  ) {
    this.idPrefix = 'sbx-' + seed + '-';
    this.startMs = parseIsoDate(cfg.start);
    this.clock = new ManualClock(this.startMs);
    this.rng = new Prng(seed, 'world');
    this.effectsRng = new Prng(seed, 'effects');
    this.networkRng = new Prng(seed, 'network');
    this.experienceRng = new Prng(seed, 'experience');
    this.perCustomerFrom = cfg.customerDice?.from ?? Infinity;
    this.tables = customerTables(cfg);
    this.planPrices = cfg.plans.map((p) => p.monthlyPrice);
    this.homeMembers = Array.from({ length: cfg.network.cells }, () => []);
    this.visitors = Array.from({ length: cfg.network.cells }, () => []);
    this.cellNames = Array.from({ length: cfg.network.cells }, (_, k) => cellId(k));
    this.siteNames = Array.from({ length: cfg.network.cells }, (_, k) => siteId(k, cfg.network.cellsPerSite));
    this.out = noop;
    this.immediate = noop;
    const n = cfg.population.customers;
    this.pop = new Population(Math.ceil(n * 1.3), cfg.network.visitedCellsPerCustomer);
    for (let k = 0; k < n; k++) this.addCustomer(this.rng, this.startMs, 0, true);
    // The intercept makes the initial population's mean hazard, before any recent event, the target.
    const logits = new Float64Array(n);
    for (let c = 0; c < n; c++) logits[c] = driverLogit(cfg.churn.coefficients, this.drivers(c, 0));
    this.intercept = solveIntercept(logits, cfg.churn.monthlyRate.target);
  }

  /** A fresh, stable event id: the seed and a counter. */
  nextId(): string {
    return this.idPrefix + ++this.counters.ids;
  }

  /** An event of customer slot `c` at `time`, with a fresh id (keys in the order the text path uses). */
  ev<K extends EventKind>(c: number, time: string, kind: K, data: EventOf<K>['data']): EventOf<K> {
    return { id: this.idPrefix + ++this.counters.ids, customerId: this.pop.customerIds[c], time, source: SANDBOX_SOURCE, v: 1, kind, data } as EventOf<K>;
  }

  /** `YYYY-MM-DD` of a day index (cached: bills and payments ask for the same days often). */
  dateOf(day: number): string {
    let s = this.dateCache.get(day);
    if (s === undefined) this.dateCache.set(day, (s = isoDate(this.startMs + day * DAY_MS)));
    return s;
  }

  /** Epoch time of the current simulated moment as an ISO string (for effects). */
  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Simulated day index of the clock's current time. */
  currentDay(): number {
    return Math.floor((this.clock.now() - this.startMs) / DAY_MS);
  }

  /**
   * The seed the world's chances are drawn with on day `d`: its own, or from `cfg.redraw`'s day
   * on that seed with the redraw's salt mixed in (another realisation of the same history).
   */
  customerRng(c: number, salt: number): Prng {
    if (this.day < this.perCustomerFrom) return this.rng;
    this.slotRng.reseed(slotDayHash(this.seedOn(this.day), salt, c, this.day));
    return this.slotRng;
  }

  seedOn(d: number): number {
    const r = this.cfg.redraw;
    return r && d >= r.day ? fmix32(this.seed ^ Math.imul(r.salt, 0x9e3779b1)) : this.seed;
  }

  /**
   * Starts every stream over from the redraw's seed once day `d` reaches `cfg.redraw.day`:
   * called before a day is generated and before an effect from outside draws (an offer made
   * at the redraw's day, before that day is generated, is answered with the new chances).
   */
  redrawIfDue(d: number): void {
    const r = this.cfg.redraw;
    if (!r || this.redrawn || d < r.day) return;
    this.redrawn = true;
    const seed = this.seedOn(d);
    this.rng.reseed(seed, 'world');
    this.effectsRng.reseed(seed, 'effects');
    this.networkRng.reseed(seed, 'network');
    this.experienceRng.reseed(seed, 'experience');
  }

  /** Adds a customer (initial or joining) and indexes its cells. */
  addCustomer(rng: Prng, nowMs: number, day: number, initial: boolean, choice?: CustomerChoice): number {
    const c = this.pop.add();
    drawCustomer(this.pop, this.cfg, this.tables, rng, c, nowMs, day, initial, choice);
    if (initial) this.pop.i.lastBillDay[c] = this.pop.u.billDay[c] - 31;
    setContractEnd(this, c, nowMs);
    this.homeMembers[this.pop.i.homeCell[c]].push(c);
    const k = this.pop.visitedPerCustomer;
    for (let v = 0; v < k; v++) this.visitors[this.pop.visited[c * k + v]].push(c);
    return c;
  }

  /** The data of customer `c`'s `customer` event as it stands (its contract's end only in a world with `renewals`). */
  profileOf(c: number): EventOf<'customer'>['data'] {
    const { pop, cfg } = this;
    const contractEnd = contractEndOf(this, c);
    return {
      segment: pop.u.business[c] ? 'business' : 'consumer',
      billing: pop.u.prepaid[c] ? 'prepaid' : 'postpaid',
      contractMonths: cfg.population.contracts[pop.u.contractIdx[c]].months,
      ...(contractEnd ? { contractEnd } : {}),
      // Prepaid customers pay as they go: with vouchers, whatever method their draw named.
      paymentMethod: pop.u.prepaid[c] ? 'voucher' : cfg.population.paymentMethods[pop.u.paymentIdx[c]].method,
      since: new Date(pop.f.sinceMs[c]).toISOString(),
      consent: this.consentOf(c),
    };
  }

  /** Emits a new customer's `customer` and `subscription activated` events. */
  emitJoin(out: EventOutput, c: number, time: string, reason: string): void {
    const { pop, cfg } = this;
    const plan = cfg.plans[pop.plan[c]];
    out.event(this.ev(c, time, 'customer', this.profileOf(c)));
    out.event(this.ev(c, time, 'subscription', {
        action: 'activated',
        subscriptionId: pop.subscriptionIds[c],
        productKind: 'plan',
        productId: plan.id,
        monthlyPrice: this.planPrices[pop.plan[c]],
        dataAllowanceMb: plan.dataAllowanceMb,
        voiceAllowanceMin: plan.voiceAllowanceMin,
        reason,
      }));
  }

  /**
   * What customer `c` consented to: marketing with the world's `marketingConsent` share, and SMS
   * and e-mail unless they opted out (`channelOptOuts`). Each a hash of the customer id with its
   * own salt, so the draws are independent of one another and shift no other draw of the world.
   */
  consentOf(c: number): { marketing: boolean; sms: boolean; email: boolean } {
    const id = this.pop.customerIds[c];
    const { marketingConsent, channelOptOuts } = this.cfg.population;
    const draw = (salt: number) => fnv1a32(id, this.seed ^ salt) / 4294967296;
    return { marketing: draw(CONSENT_SALT) < marketingConsent, sms: draw(SMS_OPT_OUT_SALT) >= channelOptOuts.sms, email: draw(EMAIL_OPT_OUT_SALT) >= channelOptOuts.email };
  }

  /** The hidden drivers of customer `c` on `day` (decayed scores, expired effects dropped). */
  drivers(c: number, day: number): HazardDrivers {
    const { pop, cfg } = this;
    const { f, i, u } = pop;
    const plan = cfg.plans[pop.plan[c]];
    const type = RESPONSE_TYPE_ORDER[u.responseType[c]];
    const bits = u.overageBits[c];
    const decay = (v: number, since: number) => v * Math.exp(-(day - since) / SCORE_DECAY_DAYS);
    const mult = (i.offerUntil[c] >= day ? f.offerMultiplier[c] : 1) * (i.contactUntil[c] >= day ? f.contactMultiplier[c] : 1);
    return {
      contractLogit: cfg.population.contracts[u.contractIdx[c]].churnLogit,
      paymentLogit: u.prepaid[c] ? 0 : cfg.population.paymentMethods[u.paymentIdx[c]].churnLogit,
      tenureMonths: tenureMonths(f.sinceMs[c], this.startMs + day * DAY_MS),
      family: plan.family,
      business: u.business[c] === 1,
      prepaid: u.prepaid[c] === 1,
      overageMonths: (bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1),
      complaintScore: decay(f.complaintScore[c], i.complaintDay[c]),
      networkScore: decay(f.networkScore[c], i.networkDay[c]),
      priceIncreasePct: i.priceUntil[c] >= day ? f.priceIncreasePct[c] : 0,
      competitorExposure: this.exposure[plan.family],
      strain: f.strain[c],
      frailty: f.frailty[c],
      typeShift: cfg.offers.typeLogitShift[type],
      multiplier: mult,
    };
  }

  /** True monthly hazard of `c` on `day` given its drivers (optionally overridden). */
  hazardOf(c: number, day: number, override: Partial<HazardDrivers> = {}): number {
    const x = { ...this.drivers(c, day), ...override };
    return monthlyHazard(this.intercept, driverLogit(this.cfg.churn.coefficients, x), x.multiplier);
  }

  /** Recomputes a customer's cached daily churn probability. */
  refreshHazard(c: number, day: number): void {
    const p = this.hazardOf(c, day);
    this.pop.f.monthlyHazard[c] = p;
    this.pop.f.dailyChurn[c] = dailyFromMonthly(p);
    this.pop.u.dirty[c] = 0;
  }

  /** Adds to a decayed score (complaints, network impact), decaying what was there first. */
  bumpScore(scores: Float64Array, days: Int32Array, c: number, day: number, by: number): void {
    scores[c] = scores[c] * Math.exp(-(day - days[c]) / SCORE_DECAY_DAYS) + by;
    days[c] = day;
    this.pop.u.dirty[c] = 1;
  }

  /** Ends a customer's relationship (churn or forced) with a `subscription terminated` event. */
  terminate(out: EventOutput, c: number, day: number, time: string, reason: string): void {
    const pop = this.pop;
    pop.u.status[c] = STATUS_TERMINATED;
    pop.i.terminatedDay[c] = day;
    out.event(this.ev(c, time, 'subscription', { action: 'terminated', subscriptionId: pop.subscriptionIds[c], productKind: 'plan', reason }));
  }

  /** Generates one simulated day into `this.out`, in time order, and advances the day counter. */
  stepDay(): void {
    const d = this.day;
    this.redrawIfDue(d);
    const { cfg, pop, rng } = this;
    const dayMs = this.startMs + d * DAY_MS;
    this.datePrefix = this.dateOf(d);
    this.updateExposure(d);
    drawIncidents(this, d);
    this.drawDailyContacts(d);
    drawEverydayExperience(this, d);
    const items = this.agenda.take(d);
    let next = 0;
    const runUntil = (sec: number) => {
      while (next < items.length && items[next].at < sec) {
        const item: AgendaItem = items[next++];
        this.clock.set(dayMs + item.at * 1000);
        if (item.k === AGENDA.INCIDENT_START) {
          startIncident(this, item.x, d);
          // What the start scheduled for later today (customers' calls) joins today's items.
          const late = this.agenda.take(d);
          if (late.length) items.push(...items.splice(next).concat(late).sort((a, b) => a.at - b.at));
        } else if (item.k === AGENDA.INCIDENT_ALARM) raiseIncidentAlarm(this, item.x);
        else if (item.k === AGENDA.INCIDENT_CLEAR) clearIncident(this, item.x);
        else if (item.k === AGENDA.EXPERIENCE_RECORD) {
          if (pop.u.status[item.c] === STATUS_ACTIVE) emitExperienceRecord(this, item);
        }
        else if (pop.u.status[item.c] === STATUS_ACTIVE) runAgendaItem(this, item, d);
      }
      this.clock.set(dayMs + sec * 1000);
    };

    runUntil(PHASE.JOIN);
    this.runJoins(d);
    runUntil(PHASE.PRICE);
    this.runPriceChanges(d);
    runUntil(PHASE.BILL);
    runBills(this, d);
    runUntil(PHASE.CHURN);
    const churnTime = isoAt(this.datePrefix, PHASE.CHURN);
    runContractEnds(this, d, churnTime);
    const status = pop.u.status;
    const dirty = pop.u.dirty;
    const daily = pop.f.dailyChurn;
    const perCustomer = cfg.churn.dice === 'per-customer';
    const diceSeed = this.seedOn(d);
    for (let c = 0; c < pop.size; c++) {
      if (status[c] !== STATUS_ACTIVE) continue;
      if (dirty[c]) this.refreshHazard(c, d);
      // Under `per-customer`, a die of the seed, the slot and the day alone (no stream), so it is the same in every copy of a world.
      const u = perCustomer ? slotDayDie(diceSeed, CHURN_DIE_SALT, c, d) : rng.float();
      if (u < daily[c]) this.terminate(this.out, c, d, churnTime, 'customer_request');
    }
    runUntil(PHASE.USAGE);
    this.runUsage(cfg.usage.weekly[(new Date(dayMs).getUTCDay() + 6) % 7]);
    runUntil(86400);
    this.day = d + 1;
    this.clock.set(dayMs + DAY_MS);
  }

  private runJoins(d: number): void {
    const time = isoAt(this.datePrefix, PHASE.JOIN);
    if (!this.initialEmitted) {
      this.initialEmitted = true;
      for (let c = 0; c < this.pop.size; c++) this.emitJoin(this.out, c, time, 'existing_customer');
    }
    const active = this.pop.activeCount();
    // Per customer, the day's joins have a stream of their own: how many join follows the active
    // count, which differs between copies of a world, and would move the world's stream after it.
    const rng = this.customerRng(-1, CUSTOMER_DICE.joins);
    const joins = rng.poisson((active * this.cfg.population.joinRatePerMonth) / DAYS_PER_MONTH);
    for (let k = 0; k < joins; k++) {
      const c = this.addCustomer(rng, this.startMs + d * DAY_MS, d, false);
      this.emitJoin(this.out, c, time, 'new_customer');
    }
  }

  private runPriceChanges(d: number): void {
    const time = isoAt(this.datePrefix, PHASE.PRICE);
    for (const change of this.cfg.priceChanges) {
      if (change.day !== d) continue;
      const planIdxs = new Set(change.planIds.map((id) => this.cfg.plans.findIndex((p) => p.id === id)));
      for (const p of planIdxs) this.planPrices[p] = Math.round(this.planPrices[p] * (100 + change.pct)) / 100;
      const { pop } = this;
      for (let c = 0; c < pop.size; c++) {
        if (pop.u.status[c] !== STATUS_ACTIVE || !planIdxs.has(pop.plan[c])) continue;
        const plan = this.cfg.plans[pop.plan[c]];
        this.out.event(this.ev(c, time, 'subscription', { action: 'plan_changed', subscriptionId: pop.subscriptionIds[c], productKind: 'plan', productId: plan.id, monthlyPrice: this.planPrices[pop.plan[c]], reason: 'price_change' }));
        if (change.pct > 0) {
          pop.f.priceIncreasePct[c] = change.pct;
          // A price rise weighs on the decision for about three months, then is absorbed.
          pop.i.priceUntil[c] = d + 91;
          pop.u.dirty[c] = 1;
        }
      }
    }
  }

  private updateExposure(d: number): void {
    const next = { fibre: 0, dsl: 0, none: 0 };
    for (const o of this.cfg.competitorOffers) {
      if (d >= o.startDay && d < o.startDay + o.days) for (const fam of o.families) next[fam] += o.intensity;
    }
    if (next.fibre !== this.exposure.fibre || next.dsl !== this.exposure.dsl || next.none !== this.exposure.none) {
      this.exposure = next;
      this.pop.u.dirty.fill(1, 0, this.pop.size);
    }
  }

  /** Draws today's unprompted contacts: interactions on channels and service faults. */
  private drawDailyContacts(d: number): void {
    const { pop, cfg } = this;
    const pInteraction = cfg.complaints.interactionsPerMonth / DAYS_PER_MONTH;
    const pFault = cfg.complaints.serviceFaultsPerMonth / DAYS_PER_MONTH;
    const status = pop.u.status;
    for (let c = 0; c < pop.size; c++) {
      if (status[c] !== STATUS_ACTIVE) continue;
      const rng = this.customerRng(c, CUSTOMER_DICE.contacts);
      if (rng.float() < pInteraction) {
        const channel = CONTACT_CHANNELS[rng.weighted(CONTACT_CHANNEL_WEIGHTS)];
        this.agenda.add(d, 28800 + rng.int(43200), AGENDA.INTERACTION, c, 0, 0, CONTACT_INTENTS[rng.int(CONTACT_INTENTS.length)], channel);
      }
      if (rng.float() < pFault) {
        const category = rng.chance(0.7) ? 'service' : 'device';
        this.agenda.add(d, 28800 + rng.int(43200), AGENDA.TICKET_OPEN, c, rng.chance(0.7) ? 0 : 1, rng.chance(0.5) ? 1 : 0, '', category);
      }
    }
  }

  /** Daily usage per active subscription, reported at the end of the day. The hot loop: locals only. */
  private runUsage(weekday: number): void {
    const { pop, cfg, out } = this;
    const status = pop.u.status;
    const roamDays = pop.u.cycleRoamingDays;
    const { growth, dataLevel, voiceLevel, cycleDataMb, cycleVoiceMin } = pop.f;
    const time = isoAt(this.datePrefix, PHASE.USAGE);
    const sigma = cfg.usage.dailyNoiseSigma;
    const smsL = Math.exp(-cfg.usage.smsPerDay * weekday);
    const roamP = cfg.usage.roamingDayRate;
    const ids = pop.customerIds;
    const subs = pop.subscriptionIds;
    const n = pop.size;
    const { cellNames, siteNames } = this;
    const home = pop.i.homeCell;
    const visited = pop.visited;
    const k = pop.visitedPerCustomer;
    const visitP = cfg.network.visitProbability;
    const away = Math.min(1, k * visitP);
    const dayKey = Math.imul(this.day + 1, 0x9e3779b1) ^ this.seed;
    for (let c = 0; c < n; c++) {
      if (status[c] !== STATUS_ACTIVE) continue;
      const rng = this.customerRng(c, CUSTOMER_DICE.usage);
      const scale = growth[c] * weekday;
      const dataMb = Math.round(dataLevel[c] * scale * Math.exp(sigma * rng.normal()) * 10) / 10;
      const voice = voiceLevel[c];
      let voiceMin = 0;
      let sms = 0;
      if (voice > 0) {
        voiceMin = Math.round(voice * scale * Math.exp(sigma * rng.normal()) * 10) / 10;
        sms = rng.poissonFromExp(smsL);
      }
      const roaming = rng.float() < roamP;
      cycleDataMb[c] += dataMb;
      cycleVoiceMin[c] += voiceMin;
      if (roaming) roamDays[c]++;
      // The cell that carried most of the day: a visited one with the chance of being there
      // (visitProbability each), else home. A hash of customer and day, not a draw, so the
      // world's own random stream is the same as without cells.
      const u = dayCellDraw(c, dayKey);
      const cell = u < away ? visited[c * k + Math.min(k - 1, Math.floor(u / visitP))] : home[c];
      out.usage(c, this.idPrefix, ++this.counters.ids, ids[c], time, subs[c], dataMb, voiceMin, sms, roaming, cellNames[cell], siteNames[cell]);
    }
  }

  incidentChanged(incident: Incident, atMs: number): void {
    if (this.heldIncidents) this.heldIncidents.push({ atMs, incident });
    else for (const l of this.incidentListeners) l(incident);
  }

  /** Tells the listeners of the held starts and clears due by `untilMs`, in time order, the clock set to each. */
  releaseIncidents(untilMs: number): void {
    const held = this.heldIncidents;
    if (!held) return;
    let i = 0;
    for (; i < held.length && held[i].atMs <= untilMs; i++) {
      this.clock.set(held[i].atMs);
      for (const l of this.incidentListeners) l(held[i].incident);
    }
    held.splice(0, i);
  }

  /** Holds customer `c` on a staged interaction from `fromMs` until `toMs` (event time): see `lines`. */
  holdLine(c: number, fromMs: number, toMs: number): void {
    const id = this.pop.customerIds[c];
    const held = this.lines.get(id);
    if (held) held.push({ fromMs, toMs });
    else this.lines.set(id, [{ fromMs, toMs }]);
    if (toMs < this.firstLineEndMs) this.firstLineEndMs = toMs;
  }

  /**
   * Forgets the staged lines that ended by `atMs`: what a live run calls as its clock passes them (it
   * has released every event up to `atMs`, and generates none earlier), so a long run keeps only the
   * lines still ahead, and the world's events stop being checked against them once none is.
   */
  forgetLinesBefore(atMs: number): void {
    // Called at every tick of a live run: it goes over the lines only once one of them has ended.
    if (atMs < this.firstLineEndMs) return;
    let first = Infinity;
    for (const [id, held] of this.lines) {
      const ahead = held.filter((l) => l.toMs > atMs);
      for (const l of ahead) if (l.toMs < first) first = l.toMs;
      if (ahead.length === 0) this.lines.delete(id);
      else if (ahead.length < held.length) this.lines.set(id, ahead);
    }
    this.firstLineEndMs = first;
  }

  /** How many customers have a staged line held (ended or not, until `forgetLinesBefore`). */
  get linesHeld(): number {
    return this.lines.size;
  }

  onTheLine(c: number, atMs: number): boolean {
    return this.lines.size > 0 && this.onLine(this.pop.customerIds[c], atMs);
  }

  /**
   * Whether `e`, generated before a staging (a live day is generated whole at its start), is one of
   * the world's interactions the staged one holds back: dropped where the day's events are released.
   */
  heldBack(e: TwinEvent): boolean {
    return this.lines.size > 0 && e.kind === 'interaction' && e.data.context?.staged === undefined && this.onLine(e.customerId, Date.parse(e.time));
  }

  private onLine(customerId: string, atMs: number): boolean {
    const held = this.lines.get(customerId);
    return held !== undefined && held.some((l) => atMs >= l.fromMs && atMs < l.toMs);
  }

  /** Emits an event built elsewhere (effects) to the immediate output. */
  emitNow(e: TwinEvent): void {
    this.immediate.event(e);
  }
}

/** A uniform number in [0, 1) from a customer slot and a day key (a 32-bit integer mix). */
function dayCellDraw(c: number, dayKey: number): number {
  let x = Math.imul(c ^ dayKey, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

/** Mixed into the churn dice's hash ('chrn'), so they coincide with no other hash of a customer slot. */
const CHURN_DIE_SALT = 0x6368726e;

/** One contact made through a back end (offer or notification) and how the customer took it. */
export interface ContactRecord {
  customer: number;
  day: number;
  kind: 'offer' | 'notification';
  /** Offer id, or the notification's purpose. */
  what: string;
  accepted: boolean;
  /** An offer the customer left unanswered (absent: answered, or a notification). */
  ignored?: boolean;
}

const CONTACT_CHANNELS = ['web', 'app', 'call', 'chat', 'store'] as const;
/** Digital channels dominate unprompted contact; calls remain the biggest assisted one. */
const CONTACT_CHANNEL_WEIGHTS = [0.3, 0.3, 0.2, 0.12, 0.08];
const CONTACT_INTENTS = ['billing_question', 'plan_info', 'configure_bundle', 'upgrade', 'technical_support', 'account_update'];
