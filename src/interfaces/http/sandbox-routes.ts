import { z } from 'zod';
import { evaluateAnomalies, type AnomalyReport } from '../../evaluation/assurance-evaluation.js';
import type { SuspectedIncident } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { TwinloopError } from '../../domain/errors.js';
import type { SandboxWorld } from '../../sandbox/index.js';
import type { LiveChurnCeiling } from '../runtime/live-churn-ceiling.js';
import { errors, isoTime, list } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

const applicant = z.object({
  applicantId: z.string(),
  fullName: z.string(),
  birthDate: z.string(),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z.string(),
  preferredPlanId: z.string().describe('The plan the applicant asks for'),
});

const careExample = z.object({
  customerId: z.string(),
  planId: z.string(),
  monthlyPrice: z.number(),
  dataAllowanceMb: z.number(),
  periodDataMb: z.number().describe("The current period's data once the overuse is in"),
  ticketId: z.string().describe('The billing complaint opened'),
  at: z.string().describe('Simulated time the call started'),
  endsBy: z.string().nullable().describe("Simulated time the call is held until (its start's endsBy): heldRealMs of people's time at the world's pace; the world's own calls count as ended 2 h of simulated time after they begin"),
  heldRealMs: z.number().nullable().describe("How long the call is held in people's time (ms of the wall clock): a person's minutes to read the card and accept an offer on the line"),
  eventIds: z.array(z.string()),
});

const minutesOrNull = z.number().nullable();
const anomalyFigures = z.object({
  from: z.string().describe('Start of the judged span (ISO 8601, simulated time)'),
  to: z.string().describe('Its end'),
  suspicions: z.number().int().describe('Suspected incidents opened in the span'),
  precision: z.number().describe('Share of them on a real incident (its cell or site, from its start to a day after its end)'),
  incidents: z.number().int().describe('Incidents above low severity that began in the span and hurt someone'),
  recall: z.number().describe('Share of those a suspicion found'),
  recallAll: z.number().describe('The same over every incident, low severity included'),
  medianLeadMinutes: minutesOrNull.describe('Of the found incidents that alarmed: median minutes from the first suspicion to the alarm (positive: before it)'),
  foundBeforeAlarmShare: z.number().nullable(),
  silentIncidents: z.number().int().describe('Incidents above low severity that never alarmed'),
  silentFound: z.number().int(),
  aheadPossible: z.number().int().describe('Incidents above low severity that hurt before any alarm (a late alarm, or none)'),
  foundAheadShare: z.number().nullable().describe('Share of them found before their alarm (or at all, for a silent one)'),
  missedByKind: z.object({ 'alarmed-at-start': z.number().int(), 'found-after-alarm': z.number().int(), missed: z.number().int() }).describe('Incidents not found ahead of their alarm, by why'),
});
const assuranceAnswer = z.object({
  asOf: z.string().describe("The world's clock when judged"),
  liveFrom: z.string().describe('When the history ended and the world began to run live'),
  history: anomalyFigures.describe('The backfilled history (whose alarms were never sent in: what detection found there, it found in history)'),
  live: anomalyFigures.describe('Since the world runs live: what network operations sees as it happens'),
  falseSuspicions: list(z.object({ id: z.string().nullable(), scope: z.enum(['Cell', 'Site']), objectId: z.string(), openedTime: z.string(), touchedBy: z.string().nullable().describe('The incident that touched most of its customers around then, if any') })).describe('The live span’s suspicions no incident explains'),
  missedIncidents: list(z.object({ alarmId: z.string(), cellId: z.string(), siteId: z.string(), impact: z.string(), severity: z.string(), touched: z.number().int(), startTime: z.string(), alarmAfterMinutes: minutesOrNull, durationMinutes: z.number(), why: z.enum(['alarmed-at-start', 'found-after-alarm', 'missed']) })).describe('The live span’s incidents above low severity not found ahead of their alarm, with why'),
});

const iso = (ms: number) => new Date(ms).toISOString();
const figures = (r: AnomalyReport, fromMs: number, toMs: number): z.infer<typeof anomalyFigures> => ({
  from: iso(fromMs),
  to: iso(toMs),
  suspicions: r.suspicions,
  precision: r.precision,
  incidents: r.incidents,
  recall: r.recall,
  recallAll: r.recallAll,
  medianLeadMinutes: r.medianLeadMs === null ? null : Math.round(r.medianLeadMs / 6_000) / 10,
  foundBeforeAlarmShare: r.foundBeforeAlarmShare,
  silentIncidents: r.silentIncidents,
  silentFound: r.silentFound,
  aheadPossible: r.aheadPossible,
  foundAheadShare: r.foundAheadShare,
  missedByKind: r.missedByKind,
});

/** What judging the running operator against the world's truth reads of it. */
export interface SandboxRouteDeps {
  world: SandboxWorld;
  /** Anomaly detection's suspected incidents, every one kept. */
  suspicions(): readonly SuspectedIncident[];
  /** When the world's backfilled history ends and its live run begins (ms); absent: judged from the world's start. */
  liveFromMs?: number;
  /** The churn model against the world's truth (absent: no model is judged here, e.g. a partition worker). */
  churnCeiling?: LiveChurnCeiling;
}

const aucs = z.object({ model: z.number().describe('The served churn score'), featureOracle: z.number().describe("The truth with the hidden traits integrated out given the observables: the most any model of the twins' events can rank"), truth: z.number().describe("The sandbox's true probabilities"), churners: z.number().int() });
const ceilingAnswer = z.object({
  at: isoTime.describe('The recorded moment (world time): every twin the champion scored then'),
  modelId: z.string(),
  horizonDays: z.number(),
  rows: z.number().int(),
  expected: aucs.describe('AUCs expected with each label drawn from its true probability (no churn has to happen to read them); churners: the expected number'),
  realised: aucs.nullable().describe('AUCs on the churn that happened in the horizon after the moment; null until it has passed (labelsAt)'),
  labelsAt: isoTime,
  targetGap: z.number().describe("Issue 10's target: the model within this of the truth's AUC"),
  reading: z.string().describe('The figures in words: the gaps, the target, and whether any model of the observables could meet it'),
});

/**
 * The simulated operator's shop front: `POST /sandbox/applicants` draws the next person who asks
 * for a line (what they present; the truth stays hidden), to onboard with
 * `POST /workflows/onboarding/start` and `{"applicant": …}`; and the running operator judged
 * against the world's hidden truth (`GET /sandbox/assurance`, src/evaluation: the same yardstick
 * as `bench assurance`, on the suspicions this server raised).
 */
export function sandboxRoutes(deps: SandboxRouteDeps): RouteModule {
  const { world } = deps;
  return (app) => {
    app.get(
      '/sandbox/assurance',
      {
        schema: {
          summary:
            "The sandbox operator's truth: anomaly detection on this running server judged against the world's real incidents (the yardstick of `bench assurance`): precision of its suspected incidents, incidents found, lead before the alarm, over the backfilled history and since the world runs live, with the live span's false suspicions and missed incidents",
          response: { 200: assuranceAnswer },
        },
      },
      async () => {
        const startMs = Date.parse(world.config.start);
        const nowMs = world.clock.now();
        const liveFromMs = Math.min(nowMs, deps.liveFromMs ?? startMs);
        const suspicions = deps.suspicions();
        const history = evaluateAnomalies(world, suspicions, { fromMs: startMs, toMs: liveFromMs });
        // The live span ends a moment after the clock: a suspicion opened on its latest signal is in it.
        const live = evaluateAnomalies(world, suspicions, { fromMs: liveFromMs, toMs: nowMs + 1 });
        return {
          asOf: iso(nowMs),
          liveFrom: iso(liveFromMs),
          history: figures(history, startMs, liveFromMs),
          live: figures(live, liveFromMs, nowMs),
          falseSuspicions: live.falseSuspicions.map((f) => ({ id: f.id, scope: f.scope, objectId: f.objectId, openedTime: iso(f.openedMs), touchedBy: f.touchedBy })),
          missedIncidents: live.missedIncidents.map((m) => ({ alarmId: m.alarmId, cellId: m.cellId, siteId: m.siteId, impact: m.impact, severity: m.severity, touched: m.touched, startTime: iso(m.startMs), alarmAfterMinutes: m.alarmAfterMin, durationMinutes: m.durationMin, why: m.why })),
        };
      },
    );
    app.get(
      '/sandbox/churn-ceiling',
      {
        schema: {
          summary:
            "The sandbox operator's truth: the live churn model against its ceiling (issue 10). At a recorded moment (once the first model serves) every scored twin's served churn score, the world's true probability of churning within the model's horizon and the feature oracle's (the truth with the hidden traits integrated out) are ranked on the same rows: expected AUCs at once, realised ones once the horizon has passed, and the reading in words",
          response: { 200: ceilingAnswer, ...errors(409) },
        },
      },
      async () => {
        const report = deps.churnCeiling?.report();
        if (!report) throw new TwinloopError('CONFLICT', 'no churn ceiling recorded yet: it is recorded once a churn model serves the live world (the ready line of `twinloop start`); ask again then');
        return report;
      },
    );
    app.post(
      '/sandbox/applicants',
      { schema: { summary: 'The sandbox operator: draws the next applicant for a line, to onboard with POST /workflows/onboarding/start {"applicant": …}', response: { 201: applicant } } },
      async (_req, reply) => {
        const applicant = world.nextApplicant();
        // The draw is kept before the applicant leaves the process: a restart never draws them again.
        await world.journalFlushed();
        return reply.status(201).send(applicant);
      },
    );
    app.post(
      '/sandbox/scenarios/care-example',
      {
        schema: {
          summary:
            "The sandbox operator: makes the brief's care example happen now to a real customer of the live world (a high-value postpaid customer consenting to marketing runs over their data and calls with a billing complaint), so the agent desktop's card can offer the data bonus (what it will rank: GET /twins/{id}/what-if?channel=call&reason=billing_complaint, as the command prints it; only Do nothing before a churn model serves)",
          body: z.strictObject({ customerId: z.string().min(1).max(128).optional().describe('The customer to stage it on (a high-value postpaid one with a data plan who consents to marketing); the world picks one otherwise') }).default({}),
          response: { 201: careExample, ...errors(400, 404, 409, 503) },
        },
      },
      async (req, reply) => reply.status(201).send(world.stageCareExample(req.body.customerId)),
    );
  };
}
