import { TwinloopError } from '../domain/errors.js';
import type { StoreOptions } from './store-options.js';

/** What `openMigrated` needs of an adapter: every store port has these two. */
export interface Migratable {
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** How one port builds its adapter for each kind of store, from that kind's options. */
export interface AdapterFactories<S> {
  sqlite(options: Extract<StoreOptions, { kind: 'sqlite' }>): S;
  postgres(options: Extract<StoreOptions, { kind: 'postgres' }>): S;
}

/**
 * Builds the adapter `options` name and brings its schema up to date before handing it out; an
 * adapter whose migration fails is closed, so no connection is left open behind the error. An
 * unknown kind is BAD_INPUT naming `what` ("event store", or "store" for the ports opened beside it).
 */
export async function openMigrated<S extends Migratable>(options: StoreOptions, factories: AdapterFactories<S>, what: string): Promise<S> {
  let store: S;
  switch (options.kind) {
    case 'sqlite':
      store = factories.sqlite(options);
      break;
    case 'postgres':
      store = factories.postgres(options);
      break;
    default: {
      const unknown: never = options;
      throw new TwinloopError('BAD_INPUT', `Unknown ${what} kind in ${JSON.stringify(unknown)}; use "sqlite" or "postgres"`);
    }
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
