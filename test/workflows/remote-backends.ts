import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OnboardingDependencies } from '../../src/agents/flows/onboarding-flow.js';

/**
 * The sandbox's back ends reached over loopback HTTP: the test process hosts the world (it must
 * outlive a killed worker, as a real BSS would), the worker process calls it like a remote system.
 * POST /<connector>/<method> with a JSON array of arguments; the answer is the ConnectorResult.
 */

type Connectors = Omit<OnboardingDependencies, 'plans' | 'creditPolicy'>;
const METHODS: Record<keyof Connectors, string[]> = {
  identity: ['verify'],
  credit: ['check'],
  orders: ['create', 'get', 'cancel'],
  provisioning: ['activate', 'status'],
  notifications: ['send'],
};

/** Serves `connectors` on 127.0.0.1 at a free port. */
export async function serveBackends(connectors: Connectors): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const [, name, method] = (req.url ?? '').split('/') as [string, keyof Connectors, string];
      const target = connectors[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> | undefined;
      if (!target || !METHODS[name]?.includes(method)) {
        res.writeHead(404).end();
        return;
      }
      target[method](...(JSON.parse(body) as unknown[])).then(
        (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Connectors that call `serveBackends` at `url`; a network failure is a transient result. */
export function remoteBackends(url: string): Connectors {
  const call = (name: string, method: string) => async (...args: unknown[]) => {
    try {
      const res = await fetch(`${url}/${name}/${method}`, { method: 'POST', body: JSON.stringify(args) });
      if (!res.ok) return { status: 'transient', reason: `http_${res.status}` };
      return (await res.json()) as unknown;
    } catch (err) {
      return { status: 'transient', reason: `unreachable: ${(err as Error).message}` };
    }
  };
  const build = (name: keyof Connectors) => Object.fromEntries(METHODS[name].map((m) => [m, call(name, m)]));
  return {
    identity: build('identity'),
    credit: build('credit'),
    orders: build('orders'),
    provisioning: { ...build('provisioning'), onCompletion: () => () => undefined },
    notifications: build('notifications'),
  } as unknown as Connectors;
}
