import type Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import {
  approvalAlreadyDecided,
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
  checkAuditFact,
  type AuditQuery,
  type AuditRecord,
  type AuditRow,
  type BudgetLine,
  type BudgetReserveResult,
  type BookingState,
  type BudgetSpend,
  type GovernanceStore,
} from './governance-store.js';
import { openSqliteConnection, type SqliteConnection } from './sqlite-connection.js';
import { StoreAdapter } from './store-adapter.js';

const APPROVAL_COLUMNS = 'id, status, created_at, expires_at, decided_by, decided_at, reason, payload';

function prepare(db: Database.Database) {
  return {
    head: db.prepare<[], AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1'),
    setHead: db.prepare<[number, string]>('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'),
    insertAudit: db.prepare<[number, number, string, string, string]>('INSERT INTO audit_log (seq, at, prev_hash, hash, entry) VALUES (?, ?, ?, ?, ?)'),
    readAudit: db.prepare<[number, number], AuditRow>('SELECT seq, at, prev_hash, hash, entry FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
    auditOfFact: db.prepare<[string], AuditRow>('SELECT l.seq, l.at, l.prev_hash, l.hash, l.entry FROM audit_facts f JOIN audit_log l ON l.seq = f.seq WHERE f.fact = ?'),
    insertFact: db.prepare<[string, number]>('INSERT INTO audit_facts (fact, seq) VALUES (?, ?)'),
    readFacts: db.prepare<[string, number], AuditFact>('SELECT fact, seq FROM audit_facts WHERE fact > ? ORDER BY fact LIMIT ?'),
    // instr(x, '') is 1: an empty search matches every entry.
    readAuditNewest: db.prepare<[number, string, number], AuditRow>(
      'SELECT seq, at, prev_hash, hash, entry FROM audit_log WHERE seq < ? AND instr(lower(entry), ?) > 0 ORDER BY seq DESC LIMIT ?',
    ),
    insertApproval: db.prepare<[string, string, number, number, string]>(
      'INSERT INTO approvals (id, status, created_at, expires_at, payload) VALUES (?, ?, ?, ?, ?)',
    ),
    getApproval: db.prepare<[string], ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = ?`),
    listAll: db.prepare<[number], ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals ORDER BY created_at, id LIMIT ?`),
    listStatus: db.prepare<[string, number], ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE status = ? ORDER BY created_at, id LIMIT ?`),
    decide: db.prepare<[string, string, number, string, string]>(
      "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'",
    ),
    spend: db.prepare<[string, string], BudgetSpend>(
      'SELECT period_key AS periodKey, scope, reserved, committed FROM budget_spend WHERE period_key = ? AND scope = ?',
    ),
    ensureSpend: db.prepare<[string, string]>('INSERT INTO budget_spend (period_key, scope, reserved, committed) VALUES (?, ?, 0, 0) ON CONFLICT DO NOTHING'),
    addSpend: db.prepare<[number, number, string, string]>(
      'UPDATE budget_spend SET reserved = MAX(0, reserved + ?), committed = committed + ? WHERE period_key = ? AND scope = ?',
    ),
    booking: db.prepare<[string], { state: BookingState }>('SELECT state FROM budget_bookings WHERE booking = ?'),
    book: db.prepare<[string, string]>('INSERT INTO budget_bookings (booking, state) VALUES (?, ?) ON CONFLICT (booking) DO UPDATE SET state = excluded.state'),
    unbook: db.prepare<[string]>('DELETE FROM budget_bookings WHERE booking = ?'),
  };
}
type Statements = ReturnType<typeof prepare>;

/** better-sqlite3 is synchronous: each method does its work before returning a settled promise. */
class SqliteGovernanceStore extends StoreAdapter<SqliteConnection<Statements>> implements GovernanceStore {
  appendAudit(entry: Record<string, unknown>, at: number, fact?: string): Promise<AuditRecord> {
    return this.db.run('appendAudit', () => {
      checkAuditFact(fact);
      const q = this.db.sql;
      // IMMEDIATE takes the write lock before reading the head: another process cannot extend it meanwhile.
      return this.db.transaction(() => {
        if (fact !== undefined) {
          const first = q.auditOfFact.get(fact);
          if (first) return toAuditRecord(first);
        }
        const record = nextAuditRecord(q.head.get()!, entry, at, fact);
        q.insertAudit.run(record.seq, record.at, record.prevHash, record.hash, JSON.stringify(record.entry));
        q.setHead.run(record.seq, record.hash);
        if (fact !== undefined) q.insertFact.run(fact, record.seq);
        return record;
      });
    });
  }

  readAudit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = query.limit ?? DEFAULT_GOVERNANCE_PAGE;
    if ('newestFirst' in query)
      return this.db.run('readAudit', () =>
        this.db.sql.readAuditNewest.all(query.beforeSeq ?? Number.MAX_SAFE_INTEGER, (query.contains ?? '').toLowerCase(), limit).map(toAuditRecord),
      );
    return this.db.run('readAudit', () => this.db.sql.readAudit.all(query.afterSeq ?? 0, limit).map(toAuditRecord));
  }

  readAuditFacts(query: { afterFact?: string; limit?: number } = {}): Promise<AuditFact[]> {
    return this.db.run('readAuditFacts', () => this.db.sql.readFacts.all(query.afterFact ?? '', query.limit ?? DEFAULT_GOVERNANCE_PAGE).map((r) => ({ fact: r.fact, seq: Number(r.seq) })));
  }

  auditOfFact(fact: string): Promise<AuditRecord | null> {
    return this.db.run('auditOfFact', () => {
      const row = this.db.sql.auditOfFact.get(fact);
      return row ? toAuditRecord(row) : null;
    });
  }

  auditHead(): Promise<AuditHead> {
    return this.db.run('auditHead', () => {
      const h = this.db.sql.head.get()!;
      return { seq: h.seq, hash: h.hash };
    });
  }

  insertApproval(r: ApprovalRecord): Promise<void> {
    return this.db.run('insertApproval', () => {
      checkNewApproval(r);
      if (this.db.sql.getApproval.get(r.id)) throw new TwinloopError('CONFLICT', `approval "${r.id}" already exists; use a new id`);
      this.db.sql.insertApproval.run(r.id, r.status, r.createdAt, r.expiresAt, JSON.stringify(r.payload));
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.db.run('getApproval', () => {
      const row = this.db.sql.getApproval.get(id);
      return row ? toApprovalRecord(row) : null;
    });
  }

  listApprovals(query: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    return this.db.run('listApprovals', () => {
      const limit = query.limit ?? DEFAULT_GOVERNANCE_PAGE;
      const rows = query.status === undefined ? this.db.sql.listAll.all(limit) : this.db.sql.listStatus.all(query.status, limit);
      return rows.map(toApprovalRecord);
    });
  }

  decideApproval(id: string, d: ApprovalDecision): Promise<ApprovalRecord> {
    return this.db.run('decideApproval', () => {
      checkDecision(d);
      const q = this.db.sql;
      return this.db.transaction(() => {
        const changed = q.decide.run(d.status, d.decidedBy, d.decidedAt, d.reason, id).changes;
        const row = q.getApproval.get(id);
        if (!row) throw unknownApproval(id);
        if (changed === 0) throw approvalAlreadyDecided(id, row.status);
        return toApprovalRecord(row);
      });
    });
  }

  reserveBudget(lines: readonly BudgetLine[], booking?: string): Promise<BudgetReserveResult> {
    return this.db.run('reserveBudget', () => {
      checkBudgetLines(lines);
      const q = this.db.sql;
      return this.db.transaction((): BudgetReserveResult => {
        if (booking !== undefined && q.booking.get(booking)) return { ok: true };
        for (const line of lines) {
          const spend = q.spend.get(line.periodKey, line.scope) ?? { periodKey: line.periodKey, scope: line.scope, reserved: 0, committed: 0 };
          if (!fitsBudget(spend, line.amount, line.limit)) return { ok: false, line, spend };
        }
        for (const line of lines) {
          q.ensureSpend.run(line.periodKey, line.scope);
          q.addSpend.run(line.amount, 0, line.periodKey, line.scope);
        }
        if (booking !== undefined) q.book.run(booking, 'reserved');
        return { ok: true };
      });
    });
  }

  commitBudget(lines: readonly { periodKey: string; scope: string; reserved: number; committed: number }[], booking?: string): Promise<void> {
    return this.db.run('commitBudget', () => {
      checkBudgetLines(lines);
      const q = this.db.sql;
      this.db.transaction(() => {
        if (booking !== undefined) {
          if (q.booking.get(booking)?.state !== 'reserved') return;
          q.book.run(booking, 'committed');
        }
        for (const l of lines) {
          q.ensureSpend.run(l.periodKey, l.scope);
          q.addSpend.run(-l.reserved, l.committed, l.periodKey, l.scope);
        }
      });
    });
  }

  releaseBudget(lines: readonly { periodKey: string; scope: string; amount: number }[], booking?: string): Promise<void> {
    return this.db.run('releaseBudget', () => {
      checkBudgetLines(lines);
      const q = this.db.sql;
      this.db.transaction(() => {
        if (booking !== undefined) {
          if (q.booking.get(booking)?.state !== 'reserved') return;
          q.unbook.run(booking);
        }
        for (const l of sortedLines(lines)) q.addSpend.run(-l.amount, 0, l.periodKey, l.scope);
      });
    });
  }

  budgetSpend(periodKey: string, scope: string): Promise<BudgetSpend> {
    return this.db.run('budgetSpend', () => {
      const row = this.db.sql.spend.get(periodKey, scope);
      return row ? { periodKey, scope, reserved: row.reserved, committed: row.committed } : { periodKey, scope, reserved: 0, committed: 0 };
    });
  }
}

/**
 * The embedded governance store: tables in the event store's own SQLite file (`twinloop.db` in
 * `dataDir`), through its own connection. Call `migrate()` before use (or `openGovernanceStore`).
 */
export function createSqliteGovernanceStore(options: { dataDir: string }): GovernanceStore {
  return new SqliteGovernanceStore(openSqliteConnection('governance store', options.dataDir, prepare));
}
