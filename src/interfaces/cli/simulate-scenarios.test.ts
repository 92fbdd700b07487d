import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '../../simulation/index.js';
import { simulateOnServer } from './simulate-scenarios.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

const scenario = { kind: 'retention_campaign', name: 'top 100' } as unknown as Scenario;
const result = { name: 'top 100', kind: 'retention_campaign', horizonMonths: 3, draws: 10, segmentBy: 'none', overall: { twins: 1000 }, segments: [] };

/** The lab's two routes as the server answers them: the run goes through `states` at each GET. */
async function lab(states: readonly Record<string, unknown>[]): Promise<{ url: string; asked: string[]; sent: unknown[] }> {
  const asked: string[] = [];
  const sent: unknown[] = [];
  let read = 0;
  const body = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const server = createServer((req, res) => {
    void body(req).then((b) => {
      asked.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (b !== undefined) sent.push(b);
      const answer = req.method === 'POST' ? { id: 'run-1', status: 'running', progress: 0 } : { id: 'run-1', ...states[Math.min(read++, states.length - 1)] };
      res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, sent };
}

describe('simulateOnServer', () => {
  it("starts the run on the server's lab with the key, says so before it answers, follows its progress and answers its results", async () => {
    const server = await lab([{ status: 'running', progress: 0.5 }, { status: 'succeeded', progress: 1, results: [result] }]);
    const said: string[] = [];
    const done = await simulateOnServer({ url: server.url, apiKey: 'twl_k' }, [scenario], { json: true, say: (l) => said.push(l) }, async () => undefined);
    expect(said[0]).toBe(`asking the server at ${server.url} to simulate 1 scenario (POST /simulations)…`);
    expect(said[1]).toMatch(/^run run-1 \(GET \/simulations\/run-1; the console's Simulation lab keeps it\)$/);
    expect(server.asked).toEqual(['POST /simulations Bearer twl_k', 'GET /simulations/run-1 Bearer twl_k', 'GET /simulations/run-1 Bearer twl_k']);
    expect(server.sent).toEqual([{ scenarios: [scenario] }]);
    expect(done).toEqual({ header: `run run-1 on the server at ${server.url}`, results: [result], json: { run: { id: 'run-1', server: server.url } } });
  });

  it("is the error a failed run carries, and CONFLICT for a run cancelled on the server", async () => {
    const failed = await lab([{ status: 'failed', progress: 0.2, error: { code: 'NOT_FOUND', message: 'no churn model serves yet' } }]);
    await expect(simulateOnServer({ url: failed.url }, [scenario], { say: () => {} }, async () => undefined)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'simulation run run-1 on the server failed: no churn model serves yet' });
    const cancelled = await lab([{ status: 'cancelled', progress: 0.2 }]);
    await expect(simulateOnServer({ url: cancelled.url }, [scenario], { say: () => {} }, async () => undefined)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^simulation run run-1 was cancelled on the server/) });
  });
});
