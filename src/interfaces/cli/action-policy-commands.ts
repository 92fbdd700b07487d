import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { openActionPolicySettings, type PolicySaved, type PolicyVersion } from '../../agents/governance/action-policy-settings.js';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
import { systemClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { globalOptions, type GlobalOptions } from './cli-context.js';
import { intOption } from './cli-numbers.js';
import { readInputText } from './input-file.js';
import { callServer, serverTarget, usingAccess } from './server-client.js';

/**
 * `twinloop policy show|set FILE --reason …|history`: the action policy in force, through the
 * running server when one runs on the data dir (or at --url; its key: `TWINLOOP_API_KEY` or the
 * data dir's admin.key), else directly on the store, so that the next start puts it in force.
 */

/** The action policy document in a JSON file (BAD_INPUT naming the file when it is not JSON). */
export function readPolicyFile(file: string): unknown {
  const text = readInputText(file, 'action policy file', 'give the path of a JSON policy document (docs/policy.md; `twinloop policy show --json` prints the one in force)');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `the action policy file ${file} is not JSON (${(err as Error).message}); docs/policy.md shows the document`, { cause: err });
  }
}

/** What the policy commands act through: the running server's API, or the store itself. */
interface PolicyAccess {
  get(): Promise<PolicyVersion>;
  set(document: unknown, reason: string, basedOn?: number): Promise<PolicySaved>;
  history(limit: number): Promise<PolicyVersion[]>;
  close(): Promise<void>;
}

async function policyAccess(global: GlobalOptions, url: string | undefined): Promise<PolicyAccess> {
  const server = serverTarget(global, url);
  if (server) {
    return {
      get: async () => (await callServer(server, 'GET', '/policy')) as PolicyVersion,
      set: async (policy, reason, basedOn) => (await callServer(server, 'PUT', '/policy', { policy, reason, ...(basedOn === undefined ? {} : { basedOn }) })) as PolicySaved,
      history: async (limit) => (await callServer(server, 'GET', `/policy/history?limit=${limit}`)) as PolicyVersion[],
      close: async () => {},
    };
  }
  const store = resolveStoreOptions({ dataDir: global.dataDir, databaseUrl: global.databaseUrl }, process.env);
  const records = await openRecordStore(store);
  const governance = await openGovernanceStore(store);
  const settings = await openActionPolicySettings({ records, audit: createAuditTrail(governance, systemClock), defaults: DEFAULT_ACTION_POLICY, refreshMs: 0 });
  // Whoever can open the store may change it anyway; the audit names the operating-system user.
  const actor = { kind: 'human' as const, id: `cli:${userInfo().username}` };
  return {
    get: () => settings.get(),
    set: (document, reason, basedOn) => settings.set({ document, reason, basedOn }, actor),
    history: (limit) => settings.history(limit),
    close: async () => {
      settings.close();
      await governance.close();
      await records.close();
    },
  };
}

const withPolicy = <T>(command: Command, url: string | undefined, use: (p: PolicyAccess) => Promise<T>): Promise<T> => usingAccess(() => policyAccess(globalOptions(command), url), use);

/** What `policy set` prints: the version in force, and whether the file made it (or was that version already). */
export function formatPolicySaved(v: PolicySaved): string {
  return `${formatPolicyVersion(v)}\n${v.unchanged ? `unchanged: the file is version ${v.version}, in force already; no new version was made` : 'in force now'}`;
}

/** One version on one line: number, when, who, why. */
export function formatPolicyVersion(v: PolicyVersion): string {
  const who = v.changedBy ? `${v.changedBy.kind}:${v.changedBy.id}` : 'built in';
  return `version ${String(v.version).padStart(3)}  ${(v.changedAt ?? '-').padEnd(24)}  ${who.padEnd(24)}  ${v.reason}`;
}

const URL_OPTION = ['--url <url>', 'server URL (default: the server running on the data dir, else the store itself)'] as const;

/** Adds `policy show`, `policy set FILE --reason` and `policy history` to the `policy` command. */
export function registerActionPolicyCommands(policy: Command): void {
  policy
    .command('show')
    .description('the action policy in force: version, who set it and why, then the document')
    .option(...URL_OPTION)
    .option('--json', 'the document alone, as JSON (edit it and give it to `policy set`)')
    .action(async (opts: { url?: string; json?: boolean }, command: Command) => {
      const v = await withPolicy(command, opts.url, (p) => p.get());
      process.stdout.write(opts.json ? `${JSON.stringify(v.document, null, 2)}\n` : `${formatPolicyVersion(v)}\n${JSON.stringify(v.document, null, 2)}\n`);
    });
  policy
    .command('set <file>')
    .description('put the action policy in FILE (JSON, docs/policy.md) in force; the next action is judged by it')
    .requiredOption('--reason <text>', 'why the policy changes (kept in its history and the audit trail)')
    .option('--based-on <version>', 'refuse if the policy in force is no longer this version (someone else changed it)', intOption('--based-on', 0))
    .option(...URL_OPTION)
    .option('--json', 'the new version as one JSON object')
    .action(async (file: string, opts: { reason: string; basedOn?: number; url?: string; json?: boolean }, command: Command) => {
      const document = readPolicyFile(file);
      const v = await withPolicy(command, opts.url, (p) => p.set(document, opts.reason, opts.basedOn));
      process.stdout.write(`${opts.json ? JSON.stringify(v) : formatPolicySaved(v)}\n`);
    });
  policy
    .command('history')
    .description('every version of the action policy, newest first: who changed it, when and why')
    .option('--limit <n>', 'versions at most', intOption('--limit', 1, 500), 20)
    .option(...URL_OPTION)
    .option('--json', 'one JSON array (documents included)')
    .action(async (opts: { limit: number; url?: string; json?: boolean }, command: Command) => {
      const all = await withPolicy(command, opts.url, (p) => p.history(opts.limit));
      process.stdout.write(opts.json ? `${JSON.stringify(all)}\n` : `${all.map(formatPolicyVersion).join('\n')}\n`);
    });
}
