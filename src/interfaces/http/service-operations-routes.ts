import { z } from 'zod';
import type { SuspectedIncident } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { CONFIRM_SEVERITIES } from '../../agents/flows/suspected-incidents.js';
import { errors, list, pageLimit } from './api-schemas.js';
import { actorFor } from './http-auth.js';
import type { RouteModule } from './route-module.js';

const ms = (what: string) => z.number().nullable().describe(`${what} (ms); null when it has not happened`);
/** Why affected customers have no outage notice, grouped by reason. */
const notToldReason = z.object({ state: z.enum(['waiting', 'not-sent', 'not-yet']).describe('waiting (for a person), not-sent, not-yet (the run may still tell them)'), why: z.string(), customers: z.number().int() });
const incident = z.object({
  alarmId: z.string().describe('The alarm as the inbox numbers it (alarm-N: TMF642 alarm N), also its service-operations run'),
  sourceSystemId: z.string(),
  externalAlarmId: z.string().nullable(),
  alarmedObject: z.object({ id: z.string(), '@referredType': z.enum(['Cell', 'Site']) }),
  perceivedSeverity: z.string(),
  probableCause: z.string(),
  state: z.enum(['raised', 'updated', 'cleared']),
  raisedTime: z.string().describe("TMF642's alarmRaisedTime: when the network detected the fault at its source"),
  reportingTime: z.string().describe("TMF642's alarmReportingTime: when the alarm reached the operator"),
  clearedTime: z.string().nullable(),
  timeToDetectMs: z.number().describe('Raise → the alarm reaching the operator (ms)'),
  timeToFirstNoticeMs: ms('Raise → the first outage notice accepted'),
  timeToRepairMs: ms('Raise → clear'),
  runStatus: z.string().describe('The service-operations run: none (not started; or a warning sent in before warnings were watched), running, waiting (for the clear, or watching), succeeded, failed…'),
  watch: z.boolean().describe("The run only watches: it was started on one of settings.watchSeverities (a warning) and has heard no escalation to an acting severity, so its affected customers are listed and nobody is told or compensated. Judged on the severity in force at each time as the run heard it, not today's (a major alarm dropped to warning still acts)"),
  actingSeverity: z.string().nullable().describe('The severity the run acts on: its raise\'s, or the last escalation it heard (what it tells and compensates by); null while it only watches, or with no run'),
  severities: list(z.object({ perceivedSeverity: z.string(), fromTime: z.string().describe('From when (ISO 8601): the raise, then when each change reached us') })).describe('The severity in force from each time: the raise\'s, then each change of it (today\'s alone for an alarm kept before they were)'),
  affectedCustomers: list(z.string()).describe('Customers found on the alarmed cells, highest expected harm first'),
  notifiedCustomers: list(z.string()),
  notNotified: list(notToldReason).describe(
    'Why the affected customers without an outage notice have none (a policy refusal with its rule, such as consent or quiet hours; held for a person; the outage over first; told already under another alarm; a back end\'s failure), grouped by reason, most customers first: the counts add up to affectedCustomers less notifiedCustomers',
  ),
  compensatedCustomers: list(z.string()),
  compensationRaisedCustomers: list(z.string()).describe('Customers paid the difference after the alarm was made worse than the severity they were first paid at (a top-up on their payment)'),
  compensationPaid: z.number().describe('The credit carried out for the incident, payments and top-ups together (currency units), those a person approved after the flow asked included; one still waiting for a person, or approved and not carried out yet, is not in it'),
  compensationApproved: z.number().describe('The credit a person approved after the flow asked that is not carried out yet (its back end failed it, a crash cut it short): committed, not paid, and not in compensationPaid'),
  resolutionNotices: z.number().int(),
  anomalyIds: list(z.string()).describe('Suspected incidents on the same cell or site, from a day before the raise until the clear'),
  anomalyLeadMs: ms('How long before the raise the first of them was opened (negative: after it)'),
  detectedTime: z
    .string()
    .describe("When the operator first knew (ISO 8601): the first of those suspicions' opening, or the alarm reaching it (reportingTime, TMF642's alarmReportingTime), whichever came first. Not a TMF642 field, and not when the network detected the fault: that is raisedTime (alarmRaisedTime)"),
  detectedBy: z.enum(['anomaly', 'alarm']).describe('Which came first'),
  contactedCustomers: z.number().int().describe('Affected customers who called or complained about their service from the first sign until a week after the clear'),
  notifiedBeforeContact: z.number().int().describe('Of them, those who had the outage notice by their first call or complaint'),
  notifiedBeforeContactShare: z.number().nullable().describe('notifiedBeforeContact / contactedCustomers; null when nobody called'),
});
const summary = z.object({
  incidents: z.number().int(),
  actedOn: z.number().int().describe('Alarms whose run told or paid at least one customer (a warning it only watches, or a run that reached nobody because the outage was over before its notices, is not counted)'),
  affected: z.number().int(),
  notified: z.number().int(),
  notNotified: list(notToldReason).describe("Why the affected without a notice have none, over every incident listed (each incident's notNotified added up, most customers first): the counts add up to affected less notified"),
  compensated: z.number().int(),
  compensationPaid: z.number().describe('The credit carried out over every incident listed, payments and top-ups together'),
  compensationApproved: z.number().describe('The credit approved by a person over every incident listed and not carried out yet: committed, not paid'),
  medianTimeToDetectMs: z.number().nullable(),
  medianTimeToFirstNoticeMs: z.number().nullable(),
  mttrMs: z.number().nullable().describe('Mean raise → clear over the cleared alarms'),
  anomalies: z.number().int(),
  anomaliesInHistory: z.number().int().describe('Suspected incidents found in history (on signals that came in a day or more after they happened, such as a loaded history), which no alarm here can follow'),
  anomaliesWithoutAlarm: z.number().int().describe('Suspected incidents found as they happened that no alarm came with on their cell or site (yet, or ever)'),
  contactedCustomers: z.number().int().describe('Affected customers who called or complained, over every incident'),
  notifiedBeforeContactShare: z.number().nullable().describe('Share of them notified before their first call or complaint'),
});
const severities = list(z.string());
const settings = z
  .object({
    actingSeverities: severities.describe('Severities whose alarms start a flow that tells the affected customers (and compensates them where compensation names an amount)'),
    watchSeverities: severities.describe('Severities whose alarms start a flow that only watches: it lists the affected customers, tells and pays nobody, and acts if the alarm escalates to an acting severity'),
    compensation: list(z.object({ severity: z.string(), amount: z.number() })).describe('Credit per affected customer by severity, for an outage lasting past compensateAfterMs; a severity not listed is never compensated'),
    compensateAfterMs: z.number().describe('How long an outage lasts before its customers are compensated (ms)'),
    maxOpenMs: z.number().describe('How long a flow waits for the clear before it leaves the alarm to people (ms)'),
    notificationChannel: z.string().describe('The channel of the notices'),
    presenceHorizonMs: z.number().describe('Customers not seen on the alarmed cells for this long before the raise are not affected (ms)'),
    minPresenceShare: z.number().describe('The share of their usage on the alarmed cells from which a customer who lives elsewhere counts affected'),
    showingEveryMs: z.number().describe('How often the flow looks for customers showing the incident (bad sessions, service calls) while the alarm is young (ms)'),
    showingLookbackMs: z.number().describe('How far before the raise the first look reaches (ms)'),
    showingForMs: z.number().describe('How long after the raise the flow keeps looking (ms)'),
    quietSpellMs: z.number().describe("Anomaly detection's quiet spell: a suspicion this long without a signal is over (a confirmation records it as over), and a fault back within it of a clear on its place is the same incident (ms)"),
    chainReachMs: z.number().describe('How far back from its raise an alarm goes on an earlier alarm of the same incident (ms)'),
    confirmSeverities: severities.describe('The severities a person confirming a suspicion may give its alarm'),
  })
  .describe('The outage settings in force: the values the flows act on');
const treatment = z.object({
  state: z.enum(['sent', 'waiting', 'not-sent', 'not-yet']).describe('sent; waiting (for a person); not-sent (why says why); not-yet (the run may still do it)'),
  why: z.string().nullable().describe("Why it is not sent: the request's answer (a policy refusal and its rule, a failure, an approval awaited, already asked under the incident) or the run's course (watched, over before the notice, a severity not compensated, an outage shorter than the threshold); null when sent"),
});
const incidentCustomer = z.object({ customerId: z.string(), notice: treatment, compensation: treatment, resolution: treatment });
const anomaly = z.object({
  id: z.string(),
  scope: z.enum(['Cell', 'Site']),
  objectId: z.string().describe('The cell or site id'),
  siteId: z.string().nullable(),
  openedTime: z.string().describe('When the burst was seen: the time of the signal that made it one (event clock, ISO 8601)'),
  lastSignalTime: z.string().describe('The latest signal counted in it; it closes after the quiet spell (settings.quietSpellMs of GET /service-operations/incidents) without one'),
  state: z.enum(['open', 'closed']),
  coveredBy: z.string().nullable().describe('The alarm on its cell or site that was open while it was, when it closed because that alarm cleared (its incident is over; a later burst is a new suspicion); null otherwise'),
  signal: z.enum(['bad-session-burst', 'service-contact-burst']).describe('Dropped calls and slow data sessions on the cell, or customers calling about their service'),
  signals: z.number().int().describe('Signals in the window when it opened'),
  expected: z.number().describe("What the base's usual rate expected there in the window"),
  pValue: z.number().describe('Chance of that many or more under the usual rate'),
  customers: list(z.string()).describe('The customers whose signals it holds, first first'),
  history: z.boolean().describe('Found in history: its signals came in a day or more after they happened (a loaded history, a late batch), when nobody could act on them'),
  review: z
    .object({
      decision: z.enum(['confirmed', 'dismissed']),
      by: z.string().describe('Who reviewed it (the signed-in subject)'),
      reason: z.string(),
      reviewedTime: z.string(),
      alarmId: z.string().nullable().describe('The alarm the confirmation raised, or the one on its cell or site that was open while it was (service operations acted on that one: nobody is told twice)'),
    })
    .nullable()
    .describe("Network operations' verdict; null while nobody has given one (no customer is told on a suspicion alone)"),
});
const reviewParams = z.object({ id: z.string().min(1).max(200).describe('The suspected incident (anomaly-N)') });
const reason = z.string().trim().min(1, 'say why (what was checked, what was found): it is kept in the audit trail').max(2000);
const confirmBody = z.strictObject({
  reason,
  severity: z.enum(CONFIRM_SEVERITIES).default('minor').describe("The severity of the alarm raised: minor (default) notifies and compensates nobody beyond the notices; the severities of the settings' compensation (GET /service-operations/incidents) are compensated after its compensateAfterMs"),
});
const dismissBody = z.strictObject({ reason });
const reviewAnswer = z.object({
  anomaly,
  alarmId: z.string().nullable().describe('The alarm service operations acts on (confirm), or null (dismiss)'),
  alarmRaised: z.boolean().describe('true: the confirmation raised alarmId; false: it raised nothing (a dismissal, or the suspicion belongs to alarmId, an alarm already in, whose flow told whom it touched)'),
  continues: z.string().nullable().describe('The alarm cleared on the same cell or site within the quiet spell (settings.quietSpellMs of GET /service-operations/incidents) before the suspicion opened, whose incident the raised alarm goes on: those it told are told the fault is back (anyone it did not reach, of an outage), then resolved at its clear, not paid twice; null when none'),
  over: z.boolean().describe("true: the suspicion's last signal was more than the quiet spell (quietSpellMs) before now (or it closed): the alarm is raised already cleared at that signal, nobody is told of an outage that is over, and it is compensated only if it lasted past the threshold"),
});

/** A suspicion as the API shows it: ISO times, like every other route. */
const anomalyAnswer = (s: SuspectedIncident) => ({
  id: s.id,
  scope: s.scope,
  objectId: s.objectId,
  siteId: s.siteId,
  openedTime: new Date(s.openedMs).toISOString(),
  lastSignalTime: new Date(s.lastSignalMs).toISOString(),
  state: s.state,
  coveredBy: s.coveredBy ?? null,
  signal: s.signal,
  history: s.history === true,
  signals: s.signals,
  expected: s.expected,
  pValue: s.pValue,
  customers: s.customers,
  review: s.review ? { decision: s.review.decision, by: s.review.by.id, reason: s.review.reason, reviewedTime: new Date(s.review.atMs).toISOString(), alarmId: s.review.alarmId } : null,
});

/**
 * Service operations over HTTP, for network operations and the console: each alarm with whom
 * it found affected, told and compensated, how fast, and its repair time; and the suspected
 * incidents anomaly detection raised from the twins' service calls.
 */
export function serviceOperationsRoutes(s: OperatorServices): RouteModule {
  return (app) => {
    app.get(
      '/service-operations/incidents',
      {
        schema: {
          summary: 'Network alarms with their treatment (affected, notified and compensated customers, time to detect, to first notice, to repair) and the anomalies around them, newest first; with totals (MTTR) and the outage settings in force (when customers are compensated and how much, which severities start a flow, the quiet spell)',
          querystring: z.object({ limit: pageLimit(50) }),
          response: { 200: z.object({ settings, summary, items: list(incident) }), ...errors(400) },
        },
      },
      async (req) => s.serviceOperations.incidents({ limit: req.query.limit }),
    );
    app.get(
      '/service-operations/incidents/:alarmId',
      {
        schema: {
          summary: "One alarm's treatment and each affected customer's outage notice, compensation and resolution notice, with why any of them is not sent",
          params: z.object({ alarmId: z.string().min(1).max(200).describe('The alarm (alarm-N)') }),
          response: { 200: z.object({ settings, incident, customers: list(incidentCustomer).describe('Every affected customer, in the order found') }), ...errors(404) },
        },
      },
      async (req) => s.serviceOperations.incident(req.params.alarmId),
    );
    app.get(
      '/service-operations/anomalies',
      {
        schema: {
          summary: "Suspected network incidents from bursts of bad sessions (dropped calls, slow data) or of the twins' service calls on a cell or site, before or without an alarm, newest first; kept in the store",
          querystring: z.object({
            state: z.enum(['open', 'closed']).optional(),
            history: z
              .enum(['true', 'false'])
              .optional()
              .describe('false: only those found as they happened (what network operations can act on); true: only those found in history (signals that came in a day or more late, such as the first start\'s loaded history); default both'),
            limit: pageLimit(100),
          }),
          response: { 200: list(anomaly), ...errors(400) },
        },
      },
      async (req) =>
        s.anomalies
          .suspicions()
          .filter((a) => (req.query.state === undefined || a.state === req.query.state) && (req.query.history === undefined || (a.history === true) === (req.query.history === 'true')))
          .reverse()
          .slice(0, req.query.limit)
          .map(anomalyAnswer),
    );
    app.post(
      '/service-operations/anomalies/:id/confirm',
      {
        schema: {
          summary: "Confirm a suspected incident, saying why (audited): an alarm is raised on its cell or site (TMF642, source twinloop-anomaly-detection) and service operations acts on it (notices to the affected customers, a trouble ticket); the network's own alarm there later continues it, telling nobody twice. If an alarm there was open while the suspicion was (even one since cleared), the confirmation names that alarm and raises nothing; one that cleared there within the quiet spell (settings.quietSpellMs of GET /service-operations/incidents) before the suspicion opened is the same incident back (continues: its customers are told the fault is back, then resolved at its clear, and not paid twice). A suspicion whose last signal is more than the quiet spell old (or closed) is over by its evidence: its alarm is raised cleared at that signal (over), nobody is told, compensation as its length says. The raised alarm clears when a person clears it, when the network's alarm there clears, or when the suspicion's signals stop (at its last signal); compensation is decided at the clear, from how long it lasted",
          params: reviewParams,
          body: confirmBody,
          response: { 200: reviewAnswer, ...errors(400, 404, 409) },
        },
      },
      async (req) => {
        const r = await s.reviewSuspicion(req.params.id, { decision: 'confirm', reason: req.body.reason, severity: req.body.severity, by: actorFor(req) });
        return { anomaly: anomalyAnswer(r.suspicion), alarmId: r.alarm?.id ?? null, alarmRaised: r.raised, continues: r.continues, over: r.over };
      },
    );
    app.post(
      '/service-operations/anomalies/:id/dismiss',
      {
        schema: {
          summary: 'Dismiss a suspected incident, saying why (audited): nobody is told; later signals there join it until it closes',
          params: reviewParams,
          body: dismissBody,
          response: { 200: reviewAnswer, ...errors(400, 404, 409) },
        },
      },
      async (req) => {
        const r = await s.reviewSuspicion(req.params.id, { decision: 'dismiss', reason: req.body.reason, by: actorFor(req) });
        return { anomaly: anomalyAnswer(r.suspicion), alarmId: null, alarmRaised: false, continues: null, over: false };
      },
    );
  };
}
