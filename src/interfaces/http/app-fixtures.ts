import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import type { RouteModule } from './route-module.js';
import { createHttpApp, type HttpAppOptions } from './server.js';

/** An app a test opened (`appsForTests`), with the authenticator it asks. */
export interface AppUnderTest {
  readonly app: FastifyInstance;
  readonly auth: TestAuth;
}

/**
 * For a test file of the HTTP edge itself (signing in, hardening): each call opens an app on the
 * real authenticator over a throw-away store (`openTestAuth`) with `options` and the route
 * `modules`, ready to be injected; every app opened in a test is closed with its store after it.
 */
export function appsForTests(): (options?: Omit<HttpAppOptions, 'version' | 'auth'>, modules?: readonly RouteModule[]) => Promise<AppUnderTest> {
  const opened: AppUnderTest[] = [];
  afterEach(async () => {
    for (const { app, auth } of opened.splice(0)) {
      await app.close();
      await auth.close();
    }
  });
  return async (options = {}, modules = []) => {
    const auth = await openTestAuth();
    const app = createHttpApp({ ...options, version: 'test', auth: auth.auth }, modules);
    await app.ready();
    const opening = { app, auth };
    opened.push(opening);
    return opening;
  };
}
