import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { unansweredError } from '../cli/server-client.js';

/** The server the bridge relays to, and the key it presents (the tools then act as that key's holder). */
export interface BridgeTarget {
  readonly url: string;
  readonly apiKey?: string;
}

/**
 * `twinloop mcp`: an MCP server on stdin/stdout that relays every message to the running
 * server's `/mcp` endpoint. The tools then act on the live twins, models, sandbox back ends and
 * policy of that server: there is one place where actions happen and one audit trail. The bridge
 * presents the key it is given (`TWINLOOP_API_KEY`, else the data dir's admin.key): give an agent
 * a key of the `ai_agent` role, so that it may ask but never approve.
 */
export async function runStdioBridge(target: BridgeTarget): Promise<void> {
  const endpoint = new URL('/mcp', target.url);
  const requestInit: RequestInit = target.apiKey ? { headers: { authorization: `Bearer ${target.apiKey}` } } : {};
  // Fail early with a useful message rather than on the first tool call.
  const probe = new Client({ name: 'twinloop-mcp-probe', version: '1' });
  const started = Date.now();
  try {
    await probe.connect(new StreamableHTTPClientTransport(endpoint, { requestInit }));
    await probe.close();
  } catch (err) {
    throw unansweredError(err, target.url, 'POST', Date.now() - started);
  }
  const upstream = new StreamableHTTPClientTransport(endpoint, { requestInit });
  const local = new StdioServerTransport();
  local.onmessage = (message: JSONRPCMessage) => {
    upstream.send(message).catch((err: Error) => process.stderr.write(`twinloop mcp: ${err.message}\n`));
  };
  upstream.onmessage = (message: JSONRPCMessage) => {
    local.send(message).catch((err: Error) => process.stderr.write(`twinloop mcp: ${err.message}\n`));
  };
  upstream.onerror = (err) => process.stderr.write(`twinloop mcp: ${err.message}\n`);
  await upstream.start();
  await local.start();
  await new Promise<void>((resolve) => {
    local.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await upstream.close();
}
