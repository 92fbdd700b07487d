import { z } from 'zod';
import type { SandboxWorld } from '../../sandbox/index.js';
import { errors } from './api-schemas.js';
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
  eventIds: z.array(z.string()),
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
    app.post(
      '/sandbox/scenarios/care-example',
      {
        schema: {
          summary:
            "The sandbox operator: makes the brief's care example happen now to a real customer of the live world (a high-value postpaid customer consenting to marketing runs over their data and calls with a billing complaint), so the agent desktop's card proposes the data bonus",
          body: z.strictObject({ customerId: z.string().min(1).max(128).optional().describe('The customer to stage it on (a high-value postpaid one with a data plan who consents to marketing); the world picks one otherwise') }).default({}),
          response: { 201: careExample, ...errors(400, 404, 409, 503) },
        },
      },
      async (req, reply) => reply.status(201).send(world.stageCareExample(req.body.customerId)),
    );
  };
}
