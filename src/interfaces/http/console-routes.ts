import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { loadConsoleAssets, notBuiltPage, type ConsoleAssets } from '../console/console-assets.js';
import type { RouteModule } from './route-module.js';

const wildcardParams = z.object({ '*': z.string() });

/**
 * The operator console in the browser: `GET /` and `GET /console` answer its page, `GET
 * /console/assets/…` its built scripts and styles, and any other `GET /console/…` path (a page
 * of the console such as `/console/customers/C000001`) the page again, which shows the page the
 * path names. The console is static: what it shows it reads from the JSON routes with the
 * caller's credentials. Left out of the OpenAPI document (not an API).
 */
export function consoleRoutes(assets: ConsoleAssets = loadConsoleAssets()): RouteModule {
  const page = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    if (!assets.index) return reply.status(503).type('text/html; charset=utf-8').send(notBuiltPage(assets.dir));
    return reply.type('text/html; charset=utf-8').send(assets.index);
  };
  return (app) => {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => page(reply));
    app.get('/console', { schema: { hide: true } }, async (_req, reply) => page(reply));
    app.get('/console/*', { schema: { hide: true, params: wildcardParams } }, async (req, reply) => {
      const path = req.params['*'];
      const file = assets.files.get(path);
      if (file) {
        reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        return reply.type(file.contentType).send(file.body);
      }
      // A missing script or style is an error to see, not a page: the page would load as script.
      if (path.startsWith('assets/')) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no console asset ${path}; rebuild with npm run build and reload the page` } });
      return page(reply);
    });
  };
}
