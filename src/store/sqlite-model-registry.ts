import type Database from 'better-sqlite3';
import {
  checkNewModelVersion,
  checkStatus,
  DEFAULT_ALERT_PAGE_SIZE,
  DEFAULT_DRIFT_CHECKS,
  modelVersionId,
  toDriftAlert,
  toDriftCheck,
  toModelVersion,
  toModelVersionInfo,
  unknownModel,
  type DriftAlertRow,
  type DriftCheckRow,
  type ModelRegistry,
  type ModelStatus,
  type ModelVersion,
  type ModelVersionInfo,
  type ModelVersionRow,
  type NewDriftAlert,
  type NewDriftCheck,
  type NewModelVersion,
  type StoredDriftAlert,
  type StoredDriftCheck,
} from './model-registry.js';
import { openSqliteConnection, type SqliteConnection } from './sqlite-connection.js';
import { StoreAdapter } from './store-adapter.js';

const INFO_COLUMNS = 'id, name, version, status, created_at, metadata';

function prepare(db: Database.Database) {
  return {
    nextVersion: db.prepare<[string], { v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?'),
    insert: db.prepare<[string, string, number, string, number, string, string]>(
      'INSERT INTO model_versions (id, name, version, status, created_at, metadata, document) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    retireChampion: db.prepare<[string, string]>("UPDATE model_versions SET status = 'retired' WHERE name = ? AND status = 'champion' AND id <> ?"),
    setStatus: db.prepare<[string, string]>('UPDATE model_versions SET status = ? WHERE id = ?'),
    listAll: db.prepare<[], ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC`),
    listName: db.prepare<[string], ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE name = ? ORDER BY version DESC`),
    info: db.prepare<[string], ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE id = ?`),
    get: db.prepare<[string], ModelVersionRow & { document: string }>(`SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE id = ?`),
    champion: db.prepare<[string], ModelVersionRow & { document: string }>(
      `SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE name = ? AND status = 'champion'`,
    ),
    addAlert: db.prepare<[string, number, string, number, number, string]>(
      'INSERT INTO model_drift_alerts (model_id, at, subject, psi, threshold, message) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    alertsAll: db.prepare<[number], DriftAlertRow>('SELECT id, model_id, at, subject, psi, threshold, message FROM model_drift_alerts ORDER BY id DESC LIMIT ?'),
    alertsOf: db.prepare<[string, number], DriftAlertRow>(
      'SELECT id, model_id, at, subject, psi, threshold, message FROM model_drift_alerts WHERE model_id = ? ORDER BY id DESC LIMIT ?',
    ),
    addCheck: db.prepare<[string, number, number, number, string]>('INSERT INTO model_drift_checks (model_id, at, population, score_psi, features) VALUES (?, ?, ?, ?, ?)'),
    checksOf: db.prepare<[string, number], DriftCheckRow>('SELECT id, model_id, at, population, score_psi, features FROM model_drift_checks WHERE model_id = ? ORDER BY id DESC LIMIT ?'),
  };
}
type Statements = ReturnType<typeof prepare>;

/** better-sqlite3 is synchronous: each method does its work before returning a settled promise. */
class SqliteModelRegistry extends StoreAdapter<SqliteConnection<Statements>> implements ModelRegistry {
  save(v: NewModelVersion): Promise<ModelVersionInfo> {
    return this.db.run('save', () => {
      checkNewModelVersion(v);
      const q = this.db.sql;
      return this.db.transaction(() => {
        const version = q.nextVersion.get(v.name)?.v ?? 1;
        const id = modelVersionId(v.name, version);
        if (v.status === 'champion') q.retireChampion.run(v.name, id);
        q.insert.run(id, v.name, version, v.status, v.createdAt, JSON.stringify(v.metadata), v.document);
        return toModelVersionInfo(q.info.get(id)!);
      });
    });
  }

  list(name?: string): Promise<ModelVersionInfo[]> {
    return this.db.run('list', () => (name === undefined ? this.db.sql.listAll.all() : this.db.sql.listName.all(name)).map(toModelVersionInfo));
  }

  get(id: string): Promise<ModelVersion | null> {
    return this.db.run('get', () => {
      const row = this.db.sql.get.get(id);
      return row ? toModelVersion(row) : null;
    });
  }

  champion(name: string): Promise<ModelVersion | null> {
    return this.db.run('champion', () => {
      const row = this.db.sql.champion.get(name);
      return row ? toModelVersion(row) : null;
    });
  }

  setStatus(id: string, status: ModelStatus): Promise<ModelVersionInfo> {
    return this.db.run('setStatus', () => {
      checkStatus(status);
      const q = this.db.sql;
      return this.db.transaction(() => {
        const row = q.info.get(id);
        if (!row) throw unknownModel(id);
        if (status === 'champion') q.retireChampion.run(row.name, id);
        q.setStatus.run(status, id);
        return toModelVersionInfo(q.info.get(id)!);
      });
    });
  }

  addDriftAlert(a: NewDriftAlert): Promise<StoredDriftAlert> {
    return this.db.run('addDriftAlert', () => {
      const r = this.db.sql.addAlert.run(a.modelId, a.at, a.subject, a.psi, a.threshold, a.message);
      return { ...a, id: Number(r.lastInsertRowid) };
    });
  }

  listDriftAlerts(query: { modelId?: string; limit?: number } = {}): Promise<StoredDriftAlert[]> {
    return this.db.run('listDriftAlerts', () => {
      const limit = query.limit ?? DEFAULT_ALERT_PAGE_SIZE;
      const rows = query.modelId === undefined ? this.db.sql.alertsAll.all(limit) : this.db.sql.alertsOf.all(query.modelId, limit);
      return rows.map(toDriftAlert);
    });
  }

  addDriftCheck(c: NewDriftCheck): Promise<StoredDriftCheck> {
    return this.db.run('addDriftCheck', () => {
      const r = this.db.sql.addCheck.run(c.modelId, c.at, c.population, c.scorePsi, JSON.stringify(c.features));
      return { ...c, id: Number(r.lastInsertRowid) };
    });
  }

  listDriftChecks(query: { modelId: string; limit?: number }): Promise<StoredDriftCheck[]> {
    return this.db.run('listDriftChecks', () => this.db.sql.checksOf.all(query.modelId, query.limit ?? DEFAULT_DRIFT_CHECKS).map(toDriftCheck));
  }
}

/**
 * The embedded model registry: tables in the event store's own SQLite file (`twinloop.db` in
 * `dataDir`), through a second connection. Call `migrate()` before use (or `openModelRegistry`).
 */
export function createSqliteModelRegistry(options: { dataDir: string }): ModelRegistry {
  return new SqliteModelRegistry(openSqliteConnection('model registry', options.dataDir, prepare));
}
