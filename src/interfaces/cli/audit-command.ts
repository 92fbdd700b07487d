import type { Command } from 'commander';
import { auditClockOf } from '../../agents/governance/audit-trail.js';
import { formatAuditVerification, verifyAudit } from '../../agents/governance/verify-audit.js';
import { TwinloopError } from '../../domain/errors.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import type { AuditRecord } from '../../store/governance-store.js';
import { intOption } from './cli-numbers.js';
import { globalOptions } from './cli-context.js';

/** One audit entry on one line: seq, time and its clock (operator or wall), type, actor, action, customer, why. */
export function formatAuditRecord(r: AuditRecord): string {
  const e = r.entry as { type?: string; requestId?: string; actor?: { kind?: string; id?: string }; action?: { actionClass?: string; channel?: string; customerId?: string; cost?: number; params?: { notificationChannel?: unknown } }; why?: { summary?: string; rule?: string | null } };
  const who = e.actor ? `${e.actor.kind ?? '?'}:${e.actor.id ?? '?'}` : '?';
  // A message goes out on its own channel (an SMS is a web contact on the twin): said beside the request's, as a campaign's variant names it ("a0-retain-10-sms" read "offer/web").
  const sent = e.action?.params?.notificationChannel;
  const via = typeof sent === 'string' && sent !== e.action?.channel ? ` via ${sent}` : '';
  const what = e.action ? `${e.action.actionClass ?? '?'}/${e.action.channel ?? '?'}${via}${e.action.customerId ? ` ${e.action.customerId}` : ''}${e.action.cost ? ` cost ${e.action.cost}` : ''}` : '';
  const why = e.why?.summary ?? e.why?.rule ?? '';
  return `${String(r.seq).padStart(6)}  ${new Date(r.at).toISOString()} ${auditClockOf(r).padEnd(8)}  ${(e.type ?? '?').padEnd(18)} ${who.padEnd(24)} ${what}${why ? `  (${why})` : ''}  ${e.requestId ?? ''}`.trimEnd();
}

/** Adds `audit verify` and `audit list`: the hash-chained audit trail of actions. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail of every action request, verdict, approval and execution');
  audit
    .command('verify')
    .description('walks the whole chain; exits 4 (CONFLICT) when an entry was altered, removed or cut off')
    .option('--json', 'one JSON object')
    .action(
      async (opts: { json?: boolean }, command: Command) => {
        const g = globalOptions(command);
        const result = await verifyAudit(resolveStoreOptions({ dataDir: g.dataDir, databaseUrl: g.databaseUrl }, process.env));
        process.stdout.write(`${opts.json ? JSON.stringify(result) : formatAuditVerification(result)}\n`);
        if (!result.ok) {
          throw new TwinloopError('CONFLICT', `the audit trail is broken at seq ${result.firstBreak.seq} (${result.firstBreak.kind}): ${result.firstBreak.message}; entries after it cannot be trusted, restore the store from a backup and investigate who wrote to it`);
        }
      },
    );
  audit
    .command('list')
    .description('audit entries oldest first')
    .option('--after <seq>', 'entries after this sequence number', intOption('--after', 0), 0)
    .option('--limit <n>', 'entries at most', intOption('--limit', 1, 1000), 100)
    .option('--json', 'one JSON object: { entries, next }')
    .action(
      async (opts: { after: number; limit: number; json?: boolean }, command: Command) => {
        const g = globalOptions(command);
        const store = await openGovernanceStore(resolveStoreOptions({ dataDir: g.dataDir, databaseUrl: g.databaseUrl }, process.env));
        try {
          const entries = await store.readAudit({ afterSeq: opts.after, limit: opts.limit });
          const next = entries.length === opts.limit ? entries[entries.length - 1].seq : null;
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ entries, next })}\n`);
            return;
          }
          if (entries.length === 0) process.stdout.write(`no audit entries after seq ${opts.after}\n`);
          for (const r of entries) process.stdout.write(`${formatAuditRecord(r)}\n`);
          if (next !== null) process.stdout.write(`more: twinloop audit list --after ${next}\n`);
        } finally {
          await store.close();
        }
      },
    );
}
