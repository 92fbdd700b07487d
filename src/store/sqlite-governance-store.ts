import Database from 'better-sqlite3';
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
  type AuditHead,
  type AuditRecord,
  type AuditRow,
  type BudgetLine,
  type BudgetReserveResult,
  type BudgetSpend,
  type GovernanceStore,
} from './governance-store.js';
import { applySqliteMigrations } from './sqlite-migrations.js';
import { openSqliteFile, resolveSqliteDataDir, sqliteCall } from './sqlite-connection.js';

const APPROVAL_COLUMNS = 'id, status, created_at, expires_at, decided_by, decided_at, reason, payload';

function prepare(db: Database.Database) {
  return {
    head: db.prepare<[], AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1'),
    setHead: db.prepare<[number, string]>('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'),
    insertAudit: db.prepare<[number, number, string, string, string]>('INSERT INTO audit_log (seq, at, prev_hash, hash, entry) VALUES (?, ?, ?, ?, ?)'),
    readAudit: db.prepare<[number, number], AuditRow>('SELECT seq, at, prev_hash, hash, entry FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
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
  };
}

/** better-sqlite3 is synchronous: each method does its work before returning a settled promise. */
class SqliteGovernanceStore implements GovernanceStore {
  private readonly db: Database.Database;
  private statements: ReturnType<typeof prepare> | null = null;
  private closed = false;

  constructor(private readonly dataDir: string) {
    this.db = openSqliteFile(dataDir, 'governance store');
  }

  /** Prepared lazily: the tables exist only once `migrate()` has run. */
  private get sql(): ReturnType<typeof prepare> {
    this.statements ??= prepare(this.db);
    return this.statements;
  }

  private run<T>(operation: string, work: () => T): Promise<T> {
    return sqliteCall({ what: 'governance store', dataDir: this.dataDir }, this.closed, operation, work);
  }

  migrate(): Promise<void> {
    return this.run('migrate', () => {
      applySqliteMigrations(this.db, this.dataDir);
      this.statements = null;
    });
  }

  appendAudit(entry: Record<string, unknown>, at: number): Promise<AuditRecord> {
    return this.run('appendAudit', () => {
      const q = this.sql;
      // IMMEDIATE takes the write lock before reading the head: another process cannot extend it meanwhile.
      return this.db
        .transaction(() => {
          const record = nextAuditRecord(q.head.get()!, entry, at);
          q.insertAudit.run(record.seq, record.at, record.prevHash, record.hash, JSON.stringify(record.entry));
          q.setHead.run(record.seq, record.hash);
          return record;
        })
        .immediate();
    });
  }

  readAudit(query: { afterSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    return this.run('readAudit', () => this.sql.readAudit.all(query.afterSeq ?? 0, query.limit ?? DEFAULT_GOVERNANCE_PAGE).map(toAuditRecord));
  }

  auditHead(): Promise<AuditHead> {
    return this.run('auditHead', () => {
      const h = this.sql.head.get()!;
      return { seq: h.seq, hash: h.hash };
    });
  }

  insertApproval(r: ApprovalRecord): Promise<void> {
    return this.run('insertApproval', () => {
      checkNewApproval(r);
      if (this.sql.getApproval.get(r.id)) throw new TwinloopError('CONFLICT', `approval "${r.id}" already exists; use a new id`);
      this.sql.insertApproval.run(r.id, r.status, r.createdAt, r.expiresAt, JSON.stringify(r.payload));
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.run('getApproval', () => {
      const row = this.sql.getApproval.get(id);
      return row ? toApprovalRecord(row) : null;
    });
  }

  listApprovals(query: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    return this.run('listApprovals', () => {
      const limit = query.limit ?? DEFAULT_GOVERNANCE_PAGE;
      const rows = query.status === undefined ? this.sql.listAll.all(limit) : this.sql.listStatus.all(query.status, limit);
      return rows.map(toApprovalRecord);
    });
  }

  decideApproval(id: string, d: ApprovalDecision): Promise<ApprovalRecord> {
    return this.run('decideApproval', () => {
      checkDecision(d);
      const q = this.sql;
      return this.db
        .transaction(() => {
          const changed = q.decide.run(d.status, d.decidedBy, d.decidedAt, d.reason, id).changes;
          const row = q.getApproval.get(id);
          if (!row) throw unknownApproval(id);
          if (changed === 0) throw approvalAlreadyDecided(id, row.status);
          return toApprovalRecord(row);
        })
        .immediate();
    });
  }

  reserveBudget(lines: readonly BudgetLine[]): Promise<BudgetReserveResult> {
    return this.run('reserveBudget', () => {
      checkBudgetLines(lines);
      const q = this.sql;
      return this.db
        .transaction((): BudgetReserveResult => {
          for (const line of lines) {
            const spend = q.spend.get(line.periodKey, line.scope) ?? { periodKey: line.periodKey, scope: line.scope, reserved: 0, committed: 0 };
            if (!fitsBudget(spend, line.amount, line.limit)) return { ok: false, line, spend };
          }
          for (const line of lines) {
            q.ensureSpend.run(line.periodKey, line.scope);
            q.addSpend.run(line.amount, 0, line.periodKey, line.scope);
          }
          return { ok: true };
        })
        .immediate();
    });
  }

  commitBudget(lines: readonly { periodKey: string; scope: string; reserved: number; committed: number }[]): Promise<void> {
    return this.run('commitBudget', () => {
      checkBudgetLines(lines);
      const q = this.sql;
      this.db
        .transaction(() => {
          for (const l of lines) {
            q.ensureSpend.run(l.periodKey, l.scope);
            q.addSpend.run(-l.reserved, l.committed, l.periodKey, l.scope);
          }
        })
        .immediate();
    });
  }

  releaseBudget(lines: readonly { periodKey: string; scope: string; amount: number }[]): Promise<void> {
    return this.run('releaseBudget', () => {
      checkBudgetLines(lines);
      const q = this.sql;
      this.db
        .transaction(() => {
          for (const l of sortedLines(lines)) q.addSpend.run(-l.amount, 0, l.periodKey, l.scope);
        })
        .immediate();
    });
  }

  budgetSpend(periodKey: string, scope: string): Promise<BudgetSpend> {
    return this.run('budgetSpend', () => {
      const row = this.sql.spend.get(periodKey, scope);
      return row ? { periodKey, scope, reserved: row.reserved, committed: row.committed } : { periodKey, scope, reserved: 0, committed: 0 };
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }
}

/**
 * The embedded governance store: tables in the event store's own SQLite file (`twinloop.db` in
 * `dataDir`), through its own connection. Call `migrate()` before use (or `openGovernanceStore`).
 */
export function createSqliteGovernanceStore(options: { dataDir: string }): GovernanceStore {
  return new SqliteGovernanceStore(resolveSqliteDataDir(options.dataDir, 'governance store'));
}
