import pg from 'pg';
import { checkPostgresOptions, inTransaction, postgresCall } from './postgres-connection.js';
import { describeTarget, openSchemaPool } from './postgres-pool.js';
import {
  checkNewModelVersion,
  checkStatus,
  DEFAULT_ALERT_PAGE_SIZE,
  modelVersionId,
  toDriftAlert,
  toModelVersion,
  toModelVersionInfo,
  unknownModel,
  type DriftAlertRow,
  type ModelRegistry,
  type ModelStatus,
  type ModelVersion,
  type ModelVersionInfo,
  type ModelVersionRow,
  type NewDriftAlert,
  type NewModelVersion,
  type StoredDriftAlert,
} from './model-registry.js';
import { applyPostgresMigrations } from './postgres-migrations.js';

/** Registry traffic is light (a save per training, a read per start): two connections suffice. */
const POOL_SIZE = 2;
/** Serialises version numbering and champion changes across processes (per schema). */
const REGISTRY_LOCK = `SELECT pg_advisory_xact_lock(hashtext('twinloop.models.' || current_schema()))`;

const INFO_COLUMNS = 'id, name, version, status, created_at, metadata';

type PgRow = Omit<ModelVersionRow, 'version' | 'created_at'> & { version: number | string; created_at: number | string };
const fromPg = (r: PgRow): ModelVersionRow => ({ ...r, version: Number(r.version), created_at: Number(r.created_at) });
type PgAlertRow = Omit<DriftAlertRow, 'id' | 'at'> & { id: number | string; at: number | string };
const alertFromPg = (r: PgAlertRow): DriftAlertRow => ({ ...r, id: Number(r.id), at: Number(r.at), psi: Number(r.psi), threshold: Number(r.threshold) });


class PostgresModelRegistry implements ModelRegistry {
  private readonly pool: pg.Pool;
  private readonly target: string;
  private closed = false;

  constructor(
    url: string,
    private readonly schema: string | undefined,
  ) {
    this.target = describeTarget(url, schema);
    this.pool = openSchemaPool(url, schema, POOL_SIZE);
  }

  private run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return postgresCall({ what: 'model registry', target: this.target }, this.closed, operation, work);
  }

  private async info(db: pg.PoolClient | pg.Pool, id: string): Promise<ModelVersionRow | undefined> {
    const { rows } = await db.query<PgRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE id = $1`, [id]);
    return rows[0] && fromPg(rows[0]);
  }

  migrate(): Promise<void> {
    return this.run('migrate', () => inTransaction(this.pool, (client) => applyPostgresMigrations(client, this.schema, this.target)));
  }

  save(v: NewModelVersion): Promise<ModelVersionInfo> {
    return this.run('save', () =>
      inTransaction(this.pool, async (client) => {
        checkNewModelVersion(v);
        await client.query(REGISTRY_LOCK);
        const { rows } = await client.query<{ v: string | number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = $1', [v.name]);
        const version = Number(rows[0].v);
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
    return this.run('list', async () => {
      const { rows } =
        name === undefined
          ? await this.pool.query<PgRow>(`SELECT ${INFO_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC`)
          : await this.pool.query<PgRow>(`SELECT ${INFO_COLUMNS} FROM model_versions WHERE name = $1 ORDER BY version DESC`, [name]);
      return rows.map((r) => toModelVersionInfo(fromPg(r)));
    });
  }

  get(id: string): Promise<ModelVersion | null> {
    return this.run('get', async () => {
      const { rows } = await this.pool.query<PgRow & { document: string }>(`SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE id = $1`, [id]);
      return rows[0] ? toModelVersion({ ...fromPg(rows[0]), document: rows[0].document }) : null;
    });
  }

  champion(name: string): Promise<ModelVersion | null> {
    return this.run('champion', async () => {
      const { rows } = await this.pool.query<PgRow & { document: string }>(
        `SELECT ${INFO_COLUMNS}, document FROM model_versions WHERE name = $1 AND status = 'champion'`,
        [name],
      );
      return rows[0] ? toModelVersion({ ...fromPg(rows[0]), document: rows[0].document }) : null;
    });
  }

  setStatus(id: string, status: ModelStatus): Promise<ModelVersionInfo> {
    return this.run('setStatus', () =>
      inTransaction(this.pool, async (client) => {
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
    return this.run('addDriftAlert', async () => {
      const { rows } = await this.pool.query<{ id: string }>(
        'INSERT INTO model_drift_alerts (model_id, at, subject, psi, threshold, message) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [a.modelId, a.at, a.subject, a.psi, a.threshold, a.message],
      );
      return { ...a, id: Number(rows[0].id) };
    });
  }

  listDriftAlerts(query: { modelId?: string; limit?: number } = {}): Promise<StoredDriftAlert[]> {
    return this.run('listDriftAlerts', async () => {
      const limit = query.limit ?? DEFAULT_ALERT_PAGE_SIZE;
      const cols = 'id, model_id, at, subject, psi, threshold, message';
      const { rows } =
        query.modelId === undefined
          ? await this.pool.query<PgAlertRow>(`SELECT ${cols} FROM model_drift_alerts ORDER BY id DESC LIMIT $1`, [limit])
          : await this.pool.query<PgAlertRow>(`SELECT ${cols} FROM model_drift_alerts WHERE model_id = $1 ORDER BY id DESC LIMIT $2`, [query.modelId, limit]);
      return rows.map((r) => toDriftAlert(alertFromPg(r)));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** The PostgreSQL model registry, in the same database and schema as the event store. */
export function createPostgresModelRegistry(options: { url: string; schema?: string }): ModelRegistry {
  checkPostgresOptions(options);
  return new PostgresModelRegistry(options.url, options.schema);
}
