import type { FastifyRequest } from 'fastify';
import { alarmIdOf, type AlarmInbox } from '../../../agents/flows/alarm-inbox.js';
import { idParams } from '../api-schemas.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, MERGE_PATCH, mergePatchBody, sendCreated, tmfErrors, tmfReadRoutes } from './tmf-common.js';
import { badFields, fromTmfAlarmCreate, fromTmfAlarmPatch, readTmfAlarmCreate, TMF642_BASE, toTmfAlarm, type FieldProblem } from './tmf642-mapping.js';
import { tmfSchema } from './tmf-spec.js';

/**
 * TMF642 Alarm Management v4 at `/tmf-api/alarmManagement/v4/alarm`: how the network's systems
 * send their alarms in. A created alarm (on a Cell or Site) starts the service-operations flow
 * (one run per alarm, its id the alarm's id); a PATCH updates it, and one that clears it
 * (`state: cleared`, `perceivedSeverity: cleared` or an `alarmClearedTime`) tells the flow.
 * GET lists (attribute filters, fields, paging) and reads them. Ids are integers, as the
 * specification has them. See docs/tmf.md.
 */
export function tmf642Routes(inbox: AlarmInbox): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF642_BASE);
  const alarmSchema = tmfSchema('TMF642', 'Alarm');
  /**
   * The inbox record of a path's id: the specification's integer (`17` → `alarm-17`), or the name the
   * console, the workflows and the audit give it (`alarm-17`), so the id a person reads works here;
   * anything else names none. Answers keep the specification's integer `id` (TMF642 v4.0.0: integer).
   */
  const recordId = (id: string) => {
    const n = /^(?:alarm-)?([1-9]\d{0,15})$/.exec(id)?.[1];
    return n === undefined ? `none:${id}` : alarmIdOf(Number(n));
  };
  const createSchema = tmfSchema('TMF642', 'Alarm_Create');
  /** The specification's problems with a body, every one, by field. */
  const specProblems = (r: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): FieldProblem[] =>
    r.success ? [] : (r.error?.issues ?? []).map((i) => ({ field: i.path.map(String).join('.') || 'body', message: i.message }));
  return (app) => {
    tmfReadRoutes(app, { api: 'TMF642', base: TMF642_BASE, collection: 'alarm', definition: 'Alarm', all: (req) => inbox.all().map((a) => toTmfAlarm(a, root(req))),
      one: (req, id) => {
        const found = inbox.get(recordId(id));
        return found && toTmfAlarm(found, root(req));
      },
    });
    app.post(
      `${TMF642_BASE}/alarm`,
      {
        schema: {
          summary: 'TMF642: a network system raises an alarm (on a Cell or Site: service operations starts for it); 409 when its source already sent that externalAlarmId',
          body: createSchema,
          response: { 201: alarmSchema, ...tmfErrors('TMF642', 400, 409) },
        },
        // Every problem at once, the specification's (a field missing) and the values' (a severity it
        // does not know): an alarm missing two fields with a bogus severity was refused three times over.
        preValidation: async (req) => {
          const body = req.body;
          if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
          const spec = specProblems(createSchema.safeParse(body));
          const values = readTmfAlarmCreate(body as Record<string, unknown>, new Set(spec.map((p) => p.field.split('.')[0]))).problems;
          if (spec.length + values.length > 0) throw badFields([...spec, ...values]);
        },
      },
      async (req, reply) => sendCreated(reply, toTmfAlarm(await inbox.raise(fromTmfAlarmCreate(req.body as Record<string, unknown>)), root(req))),
    );
    app.patch(
      `${TMF642_BASE}/alarm/:id`,
      {
        schema: {
          summary: `TMF642: update or clear an alarm with a JSON merge patch (${MERGE_PATCH}): severity, details, or the clear (state or perceivedSeverity "cleared", alarmClearedTime)`,
          params: idParams,
          body: mergePatchBody,
          response: { 200: alarmSchema, ...tmfErrors('TMF642', 400, 404, 409) },
        },
      },
      async (req) => {
        const spec = specProblems(tmfSchema('TMF642', 'Alarm_Update').safeParse(req.body));
        if (spec.length > 0) throw badFields(spec);
        return toTmfAlarm(await inbox.update(recordId(req.params.id), fromTmfAlarmPatch(req.body)), root(req));
      },
    );
  };
}
