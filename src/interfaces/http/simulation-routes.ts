import { TwinloopError } from '../../domain/errors.js';
import { parseScenarios } from '../../simulation/index.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { jsonBody } from './json-body.js';
import type { RouteModule } from './route-module.js';

/**
 * The simulation lab over HTTP: `POST /simulations` starts a run (202, with its id; scenarios in
 * docs/simulation.md), `GET /simulations/:id` reads its status, progress and results.
 */
export function simulationRoutes(services: () => OperatorServices): RouteModule {
  return (app) => {
    app.post('/simulations', async (req, reply) => {
      const file = parseScenarios(jsonBody(req.body, '{"scenarios": [{"kind": "retention_campaign", ...}]}'));
      const run = await services().simulations.start(file.scenarios);
      return reply.status(202).header('location', `/simulations/${run.id}`).send(run);
    });
    app.get('/simulations', async () => (await services().simulations.list()).map(({ results: _r, ...brief }) => brief));
    app.get<{ Params: { id: string } }>('/simulations/:id', async (req) => services().simulations.get(req.params.id));
    app.post<{ Params: { id: string } }>('/simulations/:id/cancel', async (req) => {
      if (!req.params.id) throw new TwinloopError('BAD_INPUT', 'a simulation id is needed');
      return services().simulations.cancel(req.params.id);
    });
  };
}
