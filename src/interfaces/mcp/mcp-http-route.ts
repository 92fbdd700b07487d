import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import type { McpCapabilities } from './mcp-capabilities.js';
import { createMcpServer } from './mcp-server.js';

/**
 * Mounts the MCP tools at `/mcp` (streamable HTTP, stateless: every POST carries a whole
 * exchange, so any number of agents can connect without server-side sessions).
 */
export function mcpHttpRoutes(caps: McpCapabilities, version: string): (app: FastifyInstance) => void {
  return (app) => {
    app.post('/mcp', async (req, reply) => {
      let body: unknown;
      try {
        body = typeof req.body === 'string' ? JSON.parse(req.body) : req.body;
      } catch {
        return reply.status(400).send({ jsonrpc: '2.0', error: { code: -32700, message: 'the body is not JSON' }, id: null });
      }
      const server = createMcpServer(caps, version);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(req.raw, reply.raw, body);
      } catch (err) {
        // The reply is hijacked: answer the JSON-RPC error ourselves rather than leave the client hanging.
        if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: (err as Error).message }, id: null }));
      }
    });
    const notAllowed = { jsonrpc: '2.0', error: { code: -32000, message: 'this MCP endpoint is stateless: POST JSON-RPC messages to /mcp' }, id: null };
    app.get('/mcp', async (_req, reply) => reply.status(405).header('allow', 'POST').send(notAllowed));
    app.delete('/mcp', async (_req, reply) => reply.status(405).header('allow', 'POST').send(notAllowed));
  };
}
