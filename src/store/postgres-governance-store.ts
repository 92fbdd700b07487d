import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import {
  approvalAlreadyDecided,
  checkAuditFact,
  checkBudgetLines,
  checkDecision,
  checkNewApproval,
  DEFAULT_GOVERNANCE_PAGE,
  fitsBudget,
  nextAuditRecord,
  sortedLines,
  toApprovalRecord,
  toAuditRecord,
  unknownApproval,
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalRow,
  type ApprovalStatus,
  type AuditFact,
  type AuditHead,
  type AuditQuery,
  type AuditRecord,
  type AuditRow,
  type BudgetLine,
  type BudgetReserveResult,
  type BookingState,
  type BudgetSpend,
  type GovernanceStore,
} from './governance-store.js';
import { openPostgresConnection, type PostgresConnection } from './postgres-connection.js';
import { StoreAdapter } from './store-adapter.js';

/** Governance traffic is a few writes per action: a small pool suffices. */
const POOL_SIZE = 3;

/**
 * Where a budget booking stands, under a transaction-scoped lock on its id: the row may not exist
 * yet, so a row lock cannot serialise two repeats of one request (several servers may share the database).
 */
async function lockBooking(client: pg.PoolClient, booking: string): Promise<BookingState | undefined> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`budget-booking:${booking}`]);
  const { rows } = await client.query<{ state: BookingState }>('SELECT state FROM budget_bookings WHERE booking = $1', [booking]);
  return rows[0]?.state;
}

/** The entry appended for a fact. */
const AUDIT_OF_FACT = 'SELECT l.seq, l.at, l.prev_hash, l.hash, l.entry FROM audit_facts f JOIN audit_log l ON l.seq = f.seq WHERE f.fact = $1';

const APPROVAL_COLUMNS = 'id, status, created_at, expires_at, decided_by, decided_at, reason, payload';

type SpendRow = { reserved: number; committed: number };

class PostgresGovernanceStore extends StoreAdapter<PostgresConnection> implements GovernanceStore {
  appendAudit(entry: Record<string, unknown>, at: number, fact?: string): Promise<AuditRecord> {
    return this.db.run('appendAudit', () =>
      this.db.transaction(async (client) => {
        checkAuditFact(fact);
        // FOR UPDATE on the single head row: concurrent appenders queue here, so each extends the
        // latest hash, and an append of a fact sees the one appended before it.
        const { rows } = await client.query<AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
        if (fact !== undefined) {
          const first = await client.query<AuditRow>(AUDIT_OF_FACT, [fact]);
          if (first.rows[0]) return toAuditRecord(first.rows[0]);
        }
        const record = nextAuditRecord(rows[0], entry, at, fact);
        await client.query('INSERT INTO audit_log (seq, at, prev_hash, hash, entry) VALUES ($1, $2, $3, $4, $5)', [
          record.seq,
          record.at,
          record.prevHash,
          record.hash,
          JSON.stringify(record.entry),
        ]);
        await client.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [record.seq, record.hash]);
        if (fact !== undefined) await client.query('INSERT INTO audit_facts (fact, seq) VALUES ($1, $2)', [fact, record.seq]);
        return record;
      }),
    );
  }

  readAudit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.db.run('readAudit', async () => {
      if ('newestFirst' in query) {
        // strpos(x, '') is 1: an empty search matches every entry.
        const { rows } = await this.db.query<AuditRow>(
          'SELECT seq, at, prev_hash, hash, entry FROM audit_log WHERE seq < $1 AND strpos(lower(entry), $2) > 0 ORDER BY seq DESC LIMIT $3',
          [query.beforeSeq ?? Number.MAX_SAFE_INTEGER, (query.contains ?? '').toLowerCase(), query.limit ?? DEFAULT_GOVERNANCE_PAGE],
        );
        return rows.map(toAuditRecord);
      }
      const { rows } = await this.db.query<AuditRow>('SELECT seq, at, prev_hash, hash, entry FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [
        query.afterSeq ?? 0,
        query.limit ?? DEFAULT_GOVERNANCE_PAGE,
      ]);
      return rows.map(toAuditRecord);
    });
  }

  readAuditFacts(query: { afterFact?: string; limit?: number } = {}): Promise<AuditFact[]> {
    return this.db.run('readAuditFacts', async () => {
      const { rows } = await this.db.query<{ fact: string; seq: string | number }>('SELECT fact, seq FROM audit_facts WHERE fact > $1 ORDER BY fact LIMIT $2', [query.afterFact ?? '', query.limit ?? DEFAULT_GOVERNANCE_PAGE]);
      return rows.map((r) => ({ fact: r.fact, seq: Number(r.seq) }));
    });
  }

  auditOfFact(fact: string): Promise<AuditRecord | null> {
    return this.db.run('auditOfFact', async () => {
      const { rows } = await this.db.query<AuditRow>(AUDIT_OF_FACT, [fact]);
      return rows[0] ? toAuditRecord(rows[0]) : null;
    });
  }

  auditHead(): Promise<AuditHead> {
    return this.db.run('auditHead', async () => {
      const { rows } = await this.db.query<AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1');
      return rows[0];
    });
  }

  insertApproval(r: ApprovalRecord): Promise<void> {
    return this.db.run('insertApproval', async () => {
      checkNewApproval(r);
      const res = await this.db.query(
        'INSERT INTO approvals (id, status, created_at, expires_at, payload) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
        [r.id, r.status, r.createdAt, r.expiresAt, JSON.stringify(r.payload)],
      );
      if (res.rowCount === 0) throw new TwinloopError('CONFLICT', `approval "${r.id}" already exists; use a new id`);
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.db.run('getApproval', async () => {
      const { rows } = await this.db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1`, [id]);
      return rows[0] ? toApprovalRecord(rows[0]) : null;
    });
  }

  listApprovals(query: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    return this.db.run('listApprovals', async () => {
      const limit = query.limit ?? DEFAULT_GOVERNANCE_PAGE;
      const { rows } =
        query.status === undefined
          ? await this.db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals ORDER BY created_at, id LIMIT $1`, [limit])
          : await this.db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE status = $1 ORDER BY created_at, id LIMIT $2`, [query.status, limit]);
      return rows.map(toApprovalRecord);
    });
  }

  decideApproval(id: string, d: ApprovalDecision): Promise<ApprovalRecord> {
    return this.db.run('decideApproval', async () => {
      checkDecision(d);
      // One statement decides only a pending item: two deciders cannot both win.
      const { rows } = await this.db.query<ApprovalRow>(
        `UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4 WHERE id = $5 AND status = 'pending' RETURNING ${APPROVAL_COLUMNS}`,
        [d.status, d.decidedBy, d.decidedAt, d.reason, id],
      );
      if (rows[0]) return toApprovalRecord(rows[0]);
      const current = await this.db.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [id]);
      if (!current.rows[0]) throw unknownApproval(id);
      throw approvalAlreadyDecided(id, current.rows[0].status);
    });
  }

  reserveBudget(lines: readonly BudgetLine[], booking?: string): Promise<BudgetReserveResult> {
    return this.db.run('reserveBudget', async () => {
      checkBudgetLines(lines);
      return this.db.transaction(async (client): Promise<BudgetReserveResult> => {
        // The booking row is locked first, so two repeats of one request cannot both reserve.
        if (booking !== undefined && (await lockBooking(client, booking))) return { ok: true };
        const ordered = sortedLines(lines);
        const spends: BudgetSpend[] = [];
        for (const line of ordered) {
          await client.query('INSERT INTO budget_spend (period_key, scope, reserved, committed) VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING', [line.periodKey, line.scope]);
          const { rows } = await client.query<SpendRow>('SELECT reserved, committed FROM budget_spend WHERE period_key = $1 AND scope = $2 FOR UPDATE', [
            line.periodKey,
            line.scope,
          ]);
          spends.push({ periodKey: line.periodKey, scope: line.scope, reserved: rows[0].reserved, committed: rows[0].committed });
        }
        for (const [i, line] of ordered.entries()) {
          if (!fitsBudget(spends[i], line.amount, line.limit)) return { ok: false, line, spend: spends[i] };
        }
        for (const line of ordered) {
          await client.query('UPDATE budget_spend SET reserved = reserved + $1 WHERE period_key = $2 AND scope = $3', [line.amount, line.periodKey, line.scope]);
        }
        if (booking !== undefined) await client.query("INSERT INTO budget_bookings (booking, state) VALUES ($1, 'reserved')", [booking]);
        return { ok: true };
      });
    });
  }

  commitBudget(lines: readonly { periodKey: string; scope: string; reserved: number; committed: number }[], booking?: string): Promise<void> {
    return this.db.run('commitBudget', async () => {
      checkBudgetLines(lines);
      await this.db.transaction(async (client) => {
        if (booking !== undefined) {
          if ((await lockBooking(client, booking)) !== 'reserved') return;
          await client.query("UPDATE budget_bookings SET state = 'committed' WHERE booking = $1", [booking]);
        }
        for (const l of sortedLines(lines)) {
          await client.query(
            `INSERT INTO budget_spend (period_key, scope, reserved, committed) VALUES ($1, $2, 0, $4)
             ON CONFLICT (period_key, scope) DO UPDATE SET reserved = GREATEST(0, budget_spend.reserved - $3), committed = budget_spend.committed + $4`,
            [l.periodKey, l.scope, l.reserved, l.committed],
          );
        }
      });
    });
  }

  releaseBudget(lines: readonly { periodKey: string; scope: string; amount: number }[], booking?: string): Promise<void> {
    return this.db.run('releaseBudget', async () => {
      checkBudgetLines(lines);
      await this.db.transaction(async (client) => {
        if (booking !== undefined) {
          if ((await lockBooking(client, booking)) !== 'reserved') return;
          await client.query('DELETE FROM budget_bookings WHERE booking = $1', [booking]);
        }
        for (const l of sortedLines(lines)) {
          await client.query('UPDATE budget_spend SET reserved = GREATEST(0, reserved - $1) WHERE period_key = $2 AND scope = $3', [l.amount, l.periodKey, l.scope]);
        }
      });
    });
  }

  budgetSpend(periodKey: string, scope: string): Promise<BudgetSpend> {
    return this.db.run('budgetSpend', async () => {
      const { rows } = await this.db.query<SpendRow>('SELECT reserved, committed FROM budget_spend WHERE period_key = $1 AND scope = $2', [periodKey, scope]);
      return { periodKey, scope, reserved: rows[0] ? rows[0].reserved : 0, committed: rows[0] ? rows[0].committed : 0 };
    });
  }
}

/** The PostgreSQL governance store, in the same database and schema as the event store. */
export function createPostgresGovernanceStore(options: { url: string; schema?: string }): GovernanceStore {
  return new PostgresGovernanceStore(openPostgresConnection('governance store', options, POOL_SIZE));
}
