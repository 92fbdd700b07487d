import { z } from 'zod';
import type { SandboxWorld } from '../../sandbox/index.js';
import type { RouteModule } from './route-module.js';

const applicant = z.object({
  applicantId: z.string(),
  fullName: z.string(),
  birthDate: z.string(),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z.string(),
  preferredPlanId: z.string().describe('The plan the applicant asks for'),
});

/**
 * The simulated operator's shop front: `POST /sandbox/applicants` draws the next person who asks
 * for a line (what they present; the truth stays hidden), to onboard with
 * `POST /workflows/onboarding/start` and `{"applicant": …}`.
 */
export function sandboxRoutes(world: SandboxWorld): RouteModule {
  return (app) => {
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
  };
}
