import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../src/interfaces/auth/access-table.js';
import { ROLE_NAMES, roleAllows, type Role } from '../src/interfaces/auth/roles.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { startBareOperator, type BareOperator } from './support/bare-operator.js';
import { loadWorldDocument, namedWorld } from '../src/sandbox/index.js';
import { until } from './support/until.js';

/** Values planted in the journey: none may reach a role without personal:read, nor the server's log. */
const PLANTED = {
  fullName: 'Zebulon Plantedname',
  birthDate: '1901-02-03',
  documentNumber: 'PLANTEDDOC77',
  email: 'zebulon.planted@example.org',
  // In a field no list names (a parked record's `nom`), and a CSV line with no field names at all,
  // whose first characters JSON.parse quotes in the dead letter's reason.
  unlisted: 'Plantednom Quentin',
  csv: 'CSVPLNT;Quirine Plantedcsv;1902-03-04',
};
const LEAKS = Object.values(PLANTED);

/**
 * Personal data on the operator with its sandbox: an applicant is onboarded (a name, a birth
 * date, a passport number in the run's input) and a bad record carrying a name and an e-mail is
 * parked. Then every GET route is read with a key of every role: the planted values appear for
 * the roles holding personal:read (so the check can fail) and in no answer to any other role;
 * nor in any line the server logged.
 */
describe('personal data is shown only to the roles that need it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-personal-'));
  const logged: string[] = [];
  let running: BareOperator | undefined;
  let operator: Operator;
  let app: FastifyInstance;
  const keys = new Map<Role, string>();
  let workflowId = '';

  const get = async (url: string, role: Role) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keys.get(role)}` } });
    return { status: res.statusCode, text: res.body };
  };

  beforeAll(async () => {
    const small = namedWorld('small');
    running = await startBareOperator(dir, {
      sandbox: { config: loadWorldDocument({ ...small, population: { ...small.population, customers: 200 } }), worldName: 'small', seed: 1, months: 1, speed: 3600 },
      log: (line) => logged.push(line),
      warn: (line) => logged.push(line),
    });
    ({ operator, app } = running);
    for (const role of ROLE_NAMES) keys.set(role, (await operator.auth.keys.create({ subject: `${role.replace(/_/g, '-')}-1`, role }, 'personal data test')).key);
    const started = await app.inject({
      method: 'POST',
      url: '/workflows/onboarding/start',
      headers: { authorization: `Bearer ${keys.get('care_agent')}`, 'content-type': 'application/json' },
      payload: { applicant: { applicantId: 'planted-1', fullName: PLANTED.fullName, birthDate: PLANTED.birthDate, documentType: 'passport', documentNumber: PLANTED.documentNumber } },
    });
    expect(started.statusCode, started.body).toBe(201);
    workflowId = (started.json() as { workflowId: string }).workflowId;
    const parked = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { authorization: `Bearer ${keys.get('admin')}`, 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ type: 'interaction', customerId: 'C000001', fullName: PLANTED.fullName, email: PLANTED.email, nom: PLANTED.unlisted })}\n${PLANTED.csv}\n`,
    });
    expect(parked.statusCode, parked.body).toBeLessThan(300);
    await until(async () => {
      const parkedNow = (await get('/dead-letters', 'admin')).text;
      return parkedNow.includes(PLANTED.email) && parkedNow.includes(PLANTED.csv) ? true : undefined;
    }, 30_000);
  }, 240_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the planted values to roles with personal:read only, on every GET route', async () => {
    // The control: those who need them see them, so a leak would show.
    expect((await get(`/workflows/${workflowId}`, 'care_agent')).text).toContain(PLANTED.documentNumber);
    for (const value of [PLANTED.fullName, PLANTED.unlisted, PLANTED.csv, 'CSVPLNT']) expect((await get('/dead-letters', 'admin')).text).toContain(value);

    const leaks: string[] = [];
    let read = 0;
    const paths = Object.entries(ROUTE_ACCESS)
      .filter(([key, access]) => key.startsWith('GET ') && access !== 'public' && !/\/stream$|^GET \/mcp$/.test(key))
      .map(([key, access]) => ({ access, path: key.slice(4).replace('/workflows/:id', `/workflows/${workflowId}`).replace(/:[A-Za-z]+/g, 'C000001') }));
    for (const role of ROLE_NAMES) {
      if (roleAllows(role, 'personal:read')) continue;
      for (const { access, path } of paths) {
        if (access !== 'signed-in' && access !== 'public' && !roleAllows(role, access)) continue;
        const answer = await get(path, role);
        read++;
        for (const value of [...LEAKS, 'CSVPLNT']) if (answer.text.includes(value)) leaks.push(`${role} GET ${path} (${answer.status}) shows ${value}`);
      }
    }
    expect(read).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
    // The run's input keeps its shape, its personal values masked.
    const run = JSON.parse((await get(`/workflows/${workflowId}`, 'viewer')).text) as { input: { applicant: Record<string, string> } };
    expect(run.input.applicant).toMatchObject({ applicantId: 'planted-1', documentType: 'passport', fullName: expect.stringMatching(/masked/) });
  });

  it('logs none of them', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.filter((line) => LEAKS.some((v) => line.includes(v)))).toEqual([]);
  });
});
