import type { FastifyRequest } from 'fastify';
import { alarmIdOf, type AlarmInbox } from '../../../agents/flows/alarm-inbox.js';
import { TwinloopError } from '../../../domain/errors.js';
import { idParams } from '../api-schemas.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, MERGE_PATCH, mergePatchBody, sendCreated, tmfErrors, tmfReadRoutes } from './tmf-common.js';
import { fromTmfAlarmCreate, fromTmfAlarmPatch, TMF642_BASE, toTmfAlarm } from './tmf642-mapping.js';
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
  /** The inbox record of a path's id (`17` → `alarm-17`); anything but a positive integer names none. */
  const recordId = (id: string) => (/^[1-9]\d{0,15}$/.test(id) ? alarmIdOf(Number(id)) : `none:${id}`);
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
          body: tmfSchema('TMF642', 'Alarm_Create'),
          response: { 201: alarmSchema, ...tmfErrors('TMF642', 400, 409) },
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
        const checked = tmfSchema('TMF642', 'Alarm_Update').safeParse(req.body);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw new TwinloopError('BAD_INPUT', `${issue.path.join('.') || 'body'}: ${issue.message}`);
        }
        return toTmfAlarm(await inbox.update(recordId(req.params.id), fromTmfAlarmPatch(req.body)), root(req));
      },
    );
  };
}
