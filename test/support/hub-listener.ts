import { createServer, type Server } from 'node:http';

type Json = Record<string, unknown>;

/** A local TMF hub listener on loopback: records every event POSTed to it, answering `status`. */
export async function hubListener(status = 201): Promise<{ url: string; got: Json[]; close(): Promise<void> }> {
  const got: Json[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push(JSON.parse(body) as Json);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/listener`, got, close: () => new Promise((r) => server.close(() => r())) };
}
