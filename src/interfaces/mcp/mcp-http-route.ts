import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { sendError } from '../http/error-mapping.js';
import type { CustomerReach } from '../auth/customer-reach.js';
import { identityOf } from '../http/http-auth.js';
import { countActingCall } from '../http/http-hardening.js';
import type { RouteModule } from '../http/route-module.js';
import type { McpCapabilities } from './mcp-capabilities.js';
import { createMcpServer } from './mcp-server.js';

/** A JSON-RPC error answer (the MCP transport's own errors have this shape). */
const jsonRpcError = z.object({ jsonrpc: z.literal('2.0'), error: z.object({ code: z.number().int(), message: z.string() }), id: z.null() });
const jsonRpc = (code: number, message: string) => ({ jsonrpc: '2.0' as const, error: { code, message }, id: null });
const NOT_ALLOWED = jsonRpc(-32000, 'this MCP endpoint is stateless: POST JSON-RPC messages to /mcp');

/**
 * Mounts the MCP tools at `/mcp` (streamable HTTP, stateless: every POST carries a whole
 * exchange, so any number of agents can connect without server-side sessions). The caller's
 * identity (authenticated by the HTTP edge) is the one every tool checks and acts as. A body that is
 * not JSON is answered as JSON-RPC says (-32700), in a scope of its own.
 */
export function mcpHttpRoutes(caps: McpCapabilities, version: string, customers?: CustomerReach): RouteModule {
  return (app) => {
    void app.register(async (scope) => {
      // Who is asking was refused at the edge (401, 403): answered as every route answers it.
      scope.setErrorHandler((err, _req, reply) => (err instanceof TwinloopError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN') ? sendError(reply, err) : reply.status(400).send(jsonRpc(-32700, 'the body is not JSON'))));
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/mcp',
        {
          schema: {
            summary: 'Model Context Protocol (streamable HTTP, stateless): the same tools as `twinloop mcp`',
            body: z.unknown().describe('A JSON-RPC message or batch (MCP)'),
            response: { 200: z.unknown().describe('The JSON-RPC answer'), 400: jsonRpcError, 500: jsonRpcError },
          },
        },
        async (req, reply) => {
          const server = createMcpServer(caps, version, identityOf(req), { countActing: () => countActingCall(req), customers });
          const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
          reply.hijack();
          reply.raw.on('close', () => {
            void transport.close();
            void server.close();
          });
          try {
            await server.connect(transport);
            await transport.handleRequest(req.raw, reply.raw, req.body);
          } catch (err) {
            // The reply is hijacked: answer the JSON-RPC error ourselves rather than leave the client hanging.
            if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
            reply.raw.end(JSON.stringify(jsonRpc(-32603, (err as Error).message)));
          }
        },
      );
    });
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: '/mcp',
        schema: { summary: `Not allowed: the endpoint is stateless (no ${method === 'GET' ? 'server-sent stream' : 'session to end'})`, response: { 405: jsonRpcError } },
        handler: async (_req, reply) => reply.status(405).header('allow', 'POST').send(NOT_ALLOWED),
      });
    }
  };
}
