import type pg from 'pg';
import { openPostgresConnection, type PostgresConnection } from './postgres-connection.js';
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
import { StoreAdapter } from './store-adapter.js';

/** Registry traffic is light (a save per training, a read per start): two connections suffice. */
const POOL_SIZE = 2;
/** Serialises version numbering and champion changes across processes (per schema). */
const REGISTRY_LOCK = `SELECT pg_advisory_xact_lock(hashtext('twinloop.models.' || current_schema()))`;

const INFO_COLUMNS = 'id, name, version, status, created_at, metadata';

class PostgresModelRegistry extends StoreAdapter<PostgresConnection> implements ModelRegistry {
  private async info(client: pg.PoolClient, id: string): Promise<ModelVersionRow | undefined> {
    const { rows } = await client.query<ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE id = $1`, [id]);
    return rows[0];
  }

  save(v: NewModelVersion): Promise<ModelVersionInfo> {
    return this.db.run('save', () =>
      this.db.transaction(async (client) => {
        checkNewModelVersion(v);
        await client.query(REGISTRY_LOCK);
        const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = $1', [v.name]);
        const version = rows[0].v;
        const id = modelVersionId(v.name, version);
        if (v.status === 'champion') {
          await client.query("UPDATE model_versions SET status = 'retired' WHERE name = $1 AND status = 'champion'", [v.name]);
        }
        await client.query('INSERT INTO model_versions (id, name, version, status, created_at, metadata, document) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          id,
          v.name,
          version,
          v.status,
          v.createdAt,
          JSON.stringify(v.metadata),
          v.document,
        ]);
        return toModelVersionInfo((await this.info(client, id))!);
      }),
    );
  }

  list(name?: string): Promise<ModelVersionInfo[]> {
    return this.db.run('list', async () => {
      const { rows } =
        name === undefined
          ? await this.db.query<ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC`)
          : await this.db.query<ModelVersionRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE name = $1 ORDER BY version DESC`, [name]);
      return rows.map(toModelVersionInfo);
    });
  }

  get(id: string): Promise<ModelVersion | null> {
    return this.db.run('get', async () => {
      const { rows } = await this.db.query<ModelVersionRow & { document: string }>(`SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE id = $1`, [id]);
      return rows[0] ? toModelVersion(rows[0]) : null;
    });
  }

  champion(name: string): Promise<ModelVersion | null> {
    return this.db.run('champion', async () => {
      const { rows } = await this.db.query<ModelVersionRow & { document: string }>(
        `SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE name = $1 AND status = 'champion'`,
        [name],
      );
      return rows[0] ? toModelVersion(rows[0]) : null;
    });
  }

  setStatus(id: string, status: ModelStatus): Promise<ModelVersionInfo> {
    return this.db.run('setStatus', () =>
      this.db.transaction(async (client) => {
        checkStatus(status);
        await client.query(REGISTRY_LOCK);
        const row = await this.info(client, id);
        if (!row) throw unknownModel(id);
        if (status === 'champion') {
          await client.query("UPDATE model_versions SET status = 'retired' WHERE name = $1 AND status = 'champion' AND id <> $2", [row.name, id]);
        }
        await client.query('UPDATE model_versions SET status = $1 WHERE id = $2', [status, id]);
        return toModelVersionInfo((await this.info(client, id))!);
      }),
    );
  }

  addDriftAlert(a: NewDriftAlert): Promise<StoredDriftAlert> {
    return this.db.run('addDriftAlert', async () => {
      const { rows } = await this.db.query<{ id: number }>(
        'INSERT INTO model_drift_alerts (model_id, at, subject, psi, threshold, message) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [a.modelId, a.at, a.subject, a.psi, a.threshold, a.message],
      );
      return { ...a, id: rows[0].id };
    });
  }

  listDriftAlerts(query: { modelId?: string; limit?: number } = {}): Promise<StoredDriftAlert[]> {
    return this.db.run('listDriftAlerts', async () => {
      const limit = query.limit ?? DEFAULT_ALERT_PAGE_SIZE;
      const cols = 'id, model_id, at, subject, psi, threshold, message';
      const { rows } =
        query.modelId === undefined
          ? await this.db.query<DriftAlertRow>(`SELECT ${cols} FROM model_drift_alerts ORDER BY id DESC LIMIT $1`, [limit])
          : await this.db.query<DriftAlertRow>(`SELECT ${cols} FROM model_drift_alerts WHERE model_id = $1 ORDER BY id DESC LIMIT $2`, [query.modelId, limit]);
      return rows.map(toDriftAlert);
    });
  }

  addDriftCheck(c: NewDriftCheck): Promise<StoredDriftCheck> {
    return this.db.run('addDriftCheck', async () => {
      const { rows } = await this.db.query<{ id: number }>('INSERT INTO model_drift_checks (model_id, at, population, score_psi, features) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
        c.modelId,
        c.at,
        c.population,
        c.scorePsi,
        JSON.stringify(c.features),
      ]);
      return { ...c, id: rows[0].id };
    });
  }

  listDriftChecks(query: { modelId: string; limit?: number }): Promise<StoredDriftCheck[]> {
    return this.db.run('listDriftChecks', async () => {
      const { rows } = await this.db.query<DriftCheckRow>('SELECT id, model_id, at, population, score_psi, features FROM model_drift_checks WHERE model_id = $1 ORDER BY id DESC LIMIT $2', [
        query.modelId,
        query.limit ?? DEFAULT_DRIFT_CHECKS,
      ]);
      return rows.map(toDriftCheck);
    });
  }
}

/** The PostgreSQL model registry, in the same database and schema as the event store. */
export function createPostgresModelRegistry(options: { url: string; schema?: string }): ModelRegistry {
  return new PostgresModelRegistry(openPostgresConnection('model registry', options, POOL_SIZE));
}
