import { z } from 'zod';
import { compareWarnings, parseScenarios, scenarioSchema, type SimulationRun } from '../../simulation/index.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { documentedAs, errors, idParams, isoTime, list } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

const scenarioAnswer = scenarioSchema.meta({ id: 'Scenario', description: 'A scenario of the simulation lab (docs/simulation.md)' });

const estimate = z.object({ mean: z.number(), p05: z.number(), p95: z.number() }).describe('Mean and the 90 % interval');
const outcome = z.object({
  twins: z.number().int(),
  treated: z.number().int(),
  churnersBaseline: estimate,
  churnersScenario: estimate,
  churnersAvoided: estimate,
  revenue: estimate,
  revenueDelta: estimate,
  cost: estimate,
  netValue: estimate,
  return: estimate.nullable().describe('netValue / cost; null when the scenario costs nothing'),
  accepted: estimate,
});
const scenarioResult = z.object({
  name: z.string(),
  kind: z.string(),
  horizonMonths: z.number(),
  draws: z.number().int(),
  segmentBy: z.string(),
  hazardLevel: z.number().optional().describe("The mean factor the treated twins' hazards were held at: the scenario's own hazardLevel times its group's fall after the pick over the horizon (the churn model's hazardDecay); absent on runs made before it was reported"),
  withoutConsent: z.number().int().optional().describe("An offer's or retention campaign's targeted twins left out because they gave no marketing consent (never contacted, so neither their answers nor the contact's effect count); absent for price changes, network fixes and runs made before it was said"),
  incidentEffect: z
    .discriminatedUnion('from', [
      z.object({ from: z.literal('scenario'), mean: z.number(), sd: z.number() }),
      z.object({ from: z.literal('history'), mean: z.number(), sd: z.number(), churnsExposed: z.number(), daysExposed: z.number(), churnsUnexposed: z.number(), daysUnexposed: z.number(), days: z.number() }),
      z.object({ from: z.literal('churn-model') }),
    ])
    .optional()
    .describe("A network scenario's effect of an incident on churn (the log hazard ratio of one incident felt in the last 30 days, mean and sd) and where it came from: the scenario's own incidentEffect, the operator's history of incidents and churn (the churns and customer-days after an incident and without one, over `days` days), or the churn model's re-scoring when neither is known; absent for other kinds and on runs made before it was said"),
  overall: outcome,
  segments: list(outcome.extend({ segment: z.string() })),
});
const runBrief = z.object({
  id: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  progress: z.number().describe('Fraction of draws done, 0..1'),
  scenarios: list(scenarioAnswer),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  tookMs: z.number().optional().describe('How long the run took on the wall clock (ms), waits included; its dates are on the operator\'s clock (the world\'s, 3,600x real time in the sandbox); absent while it runs and on runs made before it was said'),
  waitingFor: z.string().optional().describe("What a running run waits for before its first draw, with how far it is (a restarted server's read of the log's records from before it started); absent once it draws"),
  warnings: list(z.string()).describe('Why the columns of this compare do not stand on one baseline: one sentence per field its scenarios differ in (seed, horizon, draws); empty when they compare'),
});
const run = runBrief.extend({ results: list(scenarioResult).optional() });

const scenario = documentedAs('ScenarioInput');
const scenariosBody = z
  .union([scenario, z.array(scenario), z.object({ scenarios: z.array(scenario) })])
  .describe('One scenario, a list of them, or {"scenarios": [...]}; every problem is named with its path')
  .meta({ examples: [{ kind: 'retention_campaign', name: 'top 1000', horizonMonths: 3, targeting: { rank: 'churn_value', k: 1000 }, offer: { id: 'retain-10', discountPct: 10, months: 6 } }] });

/** A run as the API answers it: with the warnings of its compare. */
const answered = <R extends Pick<SimulationRun, 'scenarios'>>(r: R) => ({ ...r, warnings: compareWarnings(r.scenarios) });

/**
 * The simulation lab over HTTP: `POST /simulations` starts a run (202, with its id; scenarios in
 * docs/simulation.md), `GET /simulations/:id` reads its status, progress and results.
 */
export function simulationRoutes(s: OperatorServices): RouteModule {
  return (app) => {
    app.post(
      '/simulations',
      { schema: { summary: 'Start a simulation run (scenarios in docs/simulation.md); 202 with its id; 503 at once, nothing stored, while no churn model serves (saying when one will)', body: scenariosBody, response: { 202: run, ...errors(400, 503) } } },
      async (req, reply) => {
        const started = await s.simulations.start(parseScenarios(req.body).scenarios);
        return reply.status(202).header('location', `/simulations/${started.id}`).send(answered(started));
      },
    );
    app.get('/simulations', { schema: { summary: 'Simulation runs (without results)', response: { 200: list(runBrief) } } }, async () =>
      (await s.simulations.list()).map(({ results: _r, ...brief }) => answered(brief)),
    );
    app.get('/simulations/:id', { schema: { summary: 'Status, progress, and results with 90 % intervals by segment', params: idParams, response: { 200: run, ...errors(404) } } }, async (req) =>
      answered(await s.simulations.get(req.params.id)),
    );
    app.post('/simulations/:id/cancel', { schema: { summary: 'Cancel a running simulation', params: idParams, response: { 200: run, ...errors(404, 409) } } }, async (req) =>
      answered(await s.simulations.cancel(req.params.id)),
    );
  };
}
