import { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { runStdioBridge } from '../mcp/mcp-stdio-bridge.js';
import { globalOptions } from './cli-context.js';
import { serverTarget } from './server-client.js';

/** `twinloop mcp`: the MCP tools on stdio, for agents that launch their tools as processes. */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description("MCP server on stdin/stdout, relaying to the running Twinloop server's tools (/mcp), so actions go through its policy and audit")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .action(
      async (opts: { url?: string }, command: Command) => {
        const server = serverTarget(globalOptions(command), opts.url);
        if (!server) throw new TwinloopError('UNAVAILABLE', 'no Twinloop server runs on this data dir; start one with `npm start` (its tools are served at /mcp) or pass --url');
        await runStdioBridge(server);
      },
    );
}
