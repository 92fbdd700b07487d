import { Command } from 'commander';
import { runStdioBridge } from '../mcp/mcp-stdio-bridge.js';
import { requireServer } from './server-client.js';

/** `twinloop mcp`: the MCP tools on stdio, for agents that launch their tools as processes. */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description("MCP server on stdin/stdout, relaying to the running Twinloop server's tools (/mcp), so actions go through its policy and audit")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .action(
      async (opts: { url?: string }, command: Command) => {
        const server = requireServer(command, opts.url, 'its tools are served at /mcp');
        await runStdioBridge(server);
      },
    );
}
