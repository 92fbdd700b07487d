import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { openActionPolicySettings } from '../../agents/governance/action-policy-settings.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { DEFAULT_ACTION_POLICY } from '../../decisioning/policy/index.js';
import { closeMatches } from '../../domain/close-matches.js';
import { systemClock } from '../../domain/clock.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { openApiKeys, type ApiKeyInfo } from '../auth/api-keys.js';
import { auditKeyChanges } from '../auth/local-auth.js';
import { ROLE_NAMES } from '../auth/roles.js';
import { globalOptions, parseDuration, type GlobalOptions } from './cli-context.js';
import { callServer, serverTarget, usingAccess } from './server-client.js';

/**
 * `twinloop keys create|list|revoke`: API keys, through the running server when one runs on the
 * data dir (or at --url; it needs an admin's key: `TWINLOOP_API_KEY` or the data dir's
 * admin.key), else directly on the store (whoever can open the store holds every key anyway).
 * A key's secret is printed once, at creation; lists never show it.
 */

/** What the keys commands act through: the running server's API, or the store itself. */
interface KeysAccess {
  create(input: Record<string, unknown>): Promise<{ key: string; info: ApiKeyInfo }>;
  list(): Promise<ApiKeyInfo[]>;
  revoke(id: string): Promise<ApiKeyInfo>;
  close(): Promise<void>;
}

async function keysAccess(global: GlobalOptions, url: string | undefined): Promise<KeysAccess> {
  const server = serverTarget(global, url);
  if (server) {
    return {
      create: async (input) => {
        const { key, note: _note, ...info } = (await callServer(server, 'POST', '/keys', input)) as ApiKeyInfo & { key: string; note: string };
        return { key, info };
      },
      list: async () => (await callServer(server, 'GET', '/keys')) as ApiKeyInfo[],
      revoke: async (id) => (await callServer(server, 'DELETE', `/keys/${encodeURIComponent(id)}`)) as ApiKeyInfo,
      close: async () => {},
    };
  }
  const store = resolveStoreOptions({ dataDir: global.dataDir, databaseUrl: global.databaseUrl }, process.env);
  const records = await openRecordStore(store);
  const governance = await openGovernanceStore(store);
  // Made or revoked on the store itself, a key is audited as through the server, and scoped only to the segments of the policy stored in force.
  const audit = createAuditTrail(governance, systemClock);
  const policy = await openActionPolicySettings({ records, audit, defaults: DEFAULT_ACTION_POLICY, refreshMs: 0 });
  policy.close();
  const segments = [...policy.current().segments.keys()];
  const keys = await openApiKeys(records, { refreshMs: 0, onChange: auditKeyChanges(audit), segments: () => segments });
  const by = `cli:${userInfo().username}`;
  return {
    create: (input) => keys.create(input, by),
    list: () => keys.list(),
    revoke: (id) => keys.revoke(id, by),
    close: async () => {
      keys.close();
      await governance.close();
      await records.close();
    },
  };
}

const withKeys = <T>(command: Command, url: string | undefined, use: (keys: KeysAccess) => Promise<T>): Promise<T> => usingAccess(() => keysAccess(globalOptions(command), url), use);

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** One key on one line: id, status, role, subject, scope, expiry. */
export function formatKey(k: ApiKeyInfo): string {
  const scope = [k.channels ? `channels ${k.channels.join(',')}` : '', k.segments ? `segments ${k.segments.join(',')}` : ''].filter(Boolean).join('; ');
  const expiry = k.revokedAt ? `revoked ${k.revokedAt} by ${k.revokedBy}` : k.expiresAt ? `expires ${k.expiresAt}` : 'no expiry';
  return `${k.id}  ${k.status.padEnd(7)}  ${k.role.padEnd(14)}  ${k.subject.padEnd(20)}  ${expiry}${scope ? `  (${scope})` : ''}${k.description ? `  ${k.description}` : ''}`;
}

/** Adds `keys create`, `keys list` and `keys revoke`. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description("API keys: one per person or service, scoped to a role; the secret is shown once (docs/security.md)");
  keys
    .command('create')
    .description('make a key; prints its secret once (store it now)')
    .requiredOption('--subject <name>', "who holds it: a person's or service's stable name (the actor in the audit trail)")
    .requiredOption('--role <role>', `one of ${ROLE_NAMES.join(', ')}`)
    .option('--channels <list>', 'only these channels, comma-separated (default: all)')
    .option('--segments <list>', 'only these policy segments, comma-separated (default: all)')
    .option('--expires <when>', 'an ISO time, or a duration from now (90d, 12h)')
    .option('--description <text>', 'what the key is for')
    .option('--url <url>', 'server URL (default: the server running on the data dir, else the store itself)')
    .option('--json', 'one JSON object, the secret included')
    .action(
      async (opts: { subject: string; role: string; channels?: string; segments?: string; expires?: string; description?: string; url?: string; json?: boolean }, command: Command) => {
        if (!(ROLE_NAMES as readonly string[]).includes(opts.role)) {
          const near = closeMatches(opts.role, ROLE_NAMES)[0];
          throw new TwinloopError('BAD_INPUT', `--role: "${opts.role}" is not a role;${near ? ` did you mean ${near}?` : ''} one of ${ROLE_NAMES.join(', ')}`);
        }
        let expiresAt: string | undefined;
        if (opts.expires !== undefined) {
          const at = /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(opts.expires.trim()) ? Date.now() + parseDuration(opts.expires, '--expires') : Date.parse(opts.expires);
          if (Number.isNaN(at)) throw new TwinloopError('BAD_INPUT', `--expires: "${opts.expires}" is neither an ISO time (2027-01-01T00:00:00Z) nor a duration (90d)`);
          expiresAt = new Date(at).toISOString();
        }
        const input = {
          subject: opts.subject,
          role: opts.role,
          ...(opts.channels ? { channels: list(opts.channels) } : {}),
          ...(opts.segments ? { segments: list(opts.segments) } : {}),
          ...(expiresAt ? { expiresAt } : {}),
          ...(opts.description ? { description: opts.description } : {}),
        };
        const made = await withKeys(command, opts.url, (k) => k.create(input));
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...made.info, key: made.key })}\n`);
        else process.stdout.write(`${made.key}\n${formatKey(made.info)}\nthe key is shown this once: store it now (send it as "Authorization: Bearer <key>", or set TWINLOOP_API_KEY)\n`);
      },
    );
  keys
    .command('list')
    .description('every key with its role, subject, scope and status (never a secret)')
    .option('--url <url>', 'server URL (default: the server running on the data dir, else the store itself)')
    .option('--json', 'one JSON array')
    .action(async (opts: { url?: string; json?: boolean }, command: Command) => {
      const all = await withKeys(command, opts.url, (k) => k.list());
      process.stdout.write(opts.json ? `${JSON.stringify(all)}\n` : all.length ? `${all.map(formatKey).join('\n')}\n` : 'no keys yet: `twinloop start` makes an admin key on first start\n');
    });
  keys
    .command('revoke <id>')
    .description('revoke a key at once (its sessions end too)')
    .option('--url <url>', 'server URL (default: the server running on the data dir, else the store itself)')
    .action(async (id: string, opts: { url?: string }, command: Command) => {
      const revoked = await withKeys(command, opts.url, (k) => k.revoke(id));
      process.stdout.write(`${formatKey(revoked)}\n`);
    });
}
