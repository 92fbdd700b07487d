import { createServer, type Server } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

type Json = Record<string, unknown>;

/**
 * A local TMF hub listener on loopback, answering `status`. Delivery is at least once: a delivery
 * whose answer came too late is tried again with the same `eventId` (docs/tmf.md), so `got` holds
 * each event once, as a listener that drops an id it has seen does, and `received` every POST
 * (a failing callback's attempts). A redelivery whose body differs from the first is kept in
 * `conflicts`: the hub must never send two events under one id.
 */
export async function hubListener(status = 201): Promise<{ url: string; got: Json[]; received: Json[]; conflicts: Json[]; close(): Promise<void> }> {
  const got: Json[] = [];
  const received: Json[] = [];
  const conflicts: Json[] = [];
  const byId = new Map<unknown, Json>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const event = JSON.parse(body) as Json;
      received.push(event);
      const first = byId.get(event.eventId);
      if (first === undefined) {
        byId.set(event.eventId, event);
        got.push(event);
      } else if (!isDeepStrictEqual(first, event)) conflicts.push(event);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/listener`, got, received, conflicts, close: () => new Promise((r) => server.close(() => r())) };
}
