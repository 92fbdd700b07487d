import type { SandboxWorld } from '../../sandbox/index.js';
import type { RouteModule } from './route-module.js';

/**
 * The simulated operator's shop front: `POST /sandbox/applicants` draws the next person who asks
 * for a line (what they present; the truth stays hidden), to onboard with
 * `POST /workflows/onboarding/start` and `{"applicant": …}`.
 */
export function sandboxRoutes(world: SandboxWorld): RouteModule {
  return (app) => {
    app.post('/sandbox/applicants', async (_req, reply) => reply.status(201).send(world.nextApplicant()));
  };
}
