// Which backend: PostgreSQL + PostGIS through `pg` when DATABASE_URL is set, else an embedded PGlite with
// its PostGIS extension persisted in the data folder. The same migrations and queries run on both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import { acquireDataFolderLock, type DataFolderLock } from './data-folder-lock.js';

// The embedded store's modules are loaded only when it is used: PGlite and its PostGIS build cost a server on
// PostgreSQL about 100 MB of memory for nothing. They are loaded as CommonJS, the same copy knex-pglite loads.
const require = createRequire(import.meta.url);
export function embeddedModules() {
  return {
    PGlite: (require('@electric-sql/pglite') as typeof import('@electric-sql/pglite')).PGlite,
    postgis: (require('@electric-sql/pglite-postgis') as typeof import('@electric-sql/pglite-postgis')).postgis,
    // GiST operator classes for plain columns (the duplicate probe's index: service, place and date together).
    btree_gist: (require('@electric-sql/pglite/contrib/btree_gist') as typeof import('@electric-sql/pglite/contrib/btree_gist'))
      .btree_gist,
    ClientPgLite: require('knex-pglite') as unknown,
  };
}

export type Db = Knex;

// Beside this code: the TypeScript sources under tsx (tests, CLIs), their compiled copies in dist/ (npm start).
const codeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MIGRATIONS_DIRECTORY = path.join(codeRoot, 'migrations');

/**
 * The migrations of a folder, as TypeScript or compiled JavaScript alike. Knex records a migration by its file
 * name; each keeps its .ts name whatever runs it, so a database migrated by one is up to date for the other.
 */
class FolderMigrations implements Knex.MigrationSource<{ file: string; directory: string }> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<Array<{ file: string; directory: string }>> {
    return fs
      .readdirSync(this.directory)
      .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
      .sort()
      .map((file) => ({ file, directory: this.directory }));
  }

  getMigrationName(migration: { file: string }): string {
    return migration.file.replace(/\.js$/, '.ts');
  }

  async getMigration(migration: { file: string; directory: string }): Promise<Knex.Migration> {
    return (await import(pathToFileURL(path.join(migration.directory, migration.file)).href)) as Knex.Migration;
  }
}

// Note: pg returns int8 as a string and PGlite as a number, so queries cast ids to text and counts to
// integer in SQL; the rest of the code never sees the difference.

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded store; undefined keeps it in memory (tests). */
  dataDirectory?: string | undefined;
  poolMax?: number;
  /**
   * Who opens a data folder (the lock names it: "server" or a tool's name), and what the operator can do
   * instead when another process holds the folder (said in the refusal).
   */
  holder?: string;
  lockAlternative?: string;
  /**
   * PostgreSQL only: the longest a connect, a wait for a pooled connection or one statement may take before
   * it fails as an outage (the server answers 503). Unset (CLIs, migrations): only a 3 s connect timeout.
   */
  stallTimeoutMs?: number | undefined;
}

/** A pooled pg client, as far as the pool's checks need to see it. */
interface PooledClient {
  readyForQuery?: boolean;
  connection?: { stream?: { destroy(): void } };
}

const EMBEDDED_START_TIMEOUT_MS = 180_000;

const embeddedInstances = new WeakMap<object, () => PGlite | undefined>();
const openedWith = new WeakMap<Db, DbOptions>();
/** The embedded store's start-up (loading PGlite and PostGIS), awaited outside the pool's 30 s create timeout. */
const embeddedReady = new WeakMap<Db, () => Promise<void>>();
const INSTANCE_OF_CONFIG = Symbol('embedded instance');

export function knexConfig(options: DbOptions): Knex.Config {
  const migrations: Knex.MigratorConfig = {
    migrationSource: new FolderMigrations(MIGRATIONS_DIRECTORY),
    tableName: 'knex_migrations',
  };
  if (options.databaseUrl) {
    const stall = options.stallTimeoutMs;
    return {
      client: 'pg',
      connection: {
        connectionString: options.databaseUrl,
        // Fail fast when the database is down or the link drops packets, so clients get a 503 with Retry-After
        // instead of hanging: connecting, waiting for a pooled connection and each statement are bounded.
        connectionTimeoutMillis: stall ?? 3000,
        // Idle connections whose peer vanished are found by the kernel instead of lingering in the pool.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        ...(stall === undefined
          ? {}
          : {
              // The client gives up on an answer that does not come (a black-holed link). No server-side
              // statement_timeout here: pg would send it as a startup parameter, which PgBouncer refuses
              // ("unsupported startup parameter"), and the server must run unchanged behind a pooler.
              query_timeout: stall,
            }),
      },
      acquireConnectionTimeout: stall ?? 5000,
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        // No JIT: it spends ~20 ms compiling for the spatial lists whose estimated cost looks high but which
        // run in tens of milliseconds; nothing this server asks benefits from it.
        afterCreate: (
          connection: { query: (sql: string, callback: (error: Error | null) => void) => void },
          done: (error: Error | null, connection: unknown) => void,
        ) => {
          connection.query('SET jit = off', (error) => done(error, connection));
        },
        // A connection whose last query timed out still waits for that answer (it may never come): it is
        // closed instead of being handed to the next query, which would queue behind it.
        validate: (connection: PooledClient) => {
          if (connection.readyForQuery !== false) return true;
          connection.connection?.stream?.destroy();
          return false;
        },
      },
      migrations,
      log: KNEX_LOG,
    };
  }
  const { PGlite, postgis, btree_gist, ClientPgLite } = embeddedModules();
  let instance: PGlite | undefined;
  return {
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    // knex-pglite accepts a function returning our own PGlite instance: that is how the PostGIS
    // extension gets loaded. One instance for the life of this knex (PGlite is single-connection).
    connection: (() => {
      if (!instance || instance.closed) {
        if (options.dataDirectory) fs.mkdirSync(options.dataDirectory, { recursive: true });
        instance = new PGlite({ dataDir: options.dataDirectory, extensions: { postgis, btree_gist } });
      }
      return { pglite: instance };
    }) as unknown as Knex.StaticConnectionConfig,
    migrations,
    log: KNEX_LOG,
    acquireConnectionTimeout: EMBEDDED_START_TIMEOUT_MS,
    [INSTANCE_OF_CONFIG]: () => instance,
  } as Knex.Config;
}

// Knex prints "Acquire connection error" with a stack for every failed connection, and the same error then
// reaches the caller, who reports it: printed twice at start-up. The caller's report is the one kept.
const KNEX_LOG = {
  warn(message: string) {
    if (!String(message).startsWith('Acquire connection error')) process.stderr.write(`knex: ${message}\n`);
  },
  error(message: string) {
    process.stderr.write(`knex: ${message}\n`);
  },
  deprecate(method: string, alternative: string) {
    process.stderr.write(`knex: ${method} is deprecated, use ${alternative}\n`);
  },
  debug() {},
};

/**
 * A data folder is opened by one process at a time (src/store/data-folder-lock.ts): the lock is taken here,
 * before PGlite touches the folder, and released by db.destroy(). Throws the "in use" OperatorError when
 * another live process holds it.
 */
export function openDb(options: DbOptions): Db {
  const config = knexConfig(options);
  const lock =
    !options.databaseUrl && options.dataDirectory
      ? acquireDataFolderLock(
          options.dataDirectory,
          options.holder ?? 'store',
          options.lockAlternative ?? 'Stop that process first, or use a different DATA_DIR.',
        )
      : undefined;
  const db = knexFactory(config);
  openedWith.set(db, options);
  if (!options.databaseUrl) {
    const connection = config.connection as unknown as () => { pglite: PGlite };
    embeddedReady.set(db, () => connection().pglite.waitReady);
  }
  // Starting PGlite and loading PostGIS takes ~10 s, several times that on a busy machine: the pool's 30 s
  // for creating a connection would fail the start for no fault of the store (knex-pglite fixes the pool's
  // settings, so the limit is raised on the pool itself).
  const pool = (db.client as { pool?: { createTimeoutMillis?: number } }).pool;
  if (!options.databaseUrl && pool) pool.createTimeoutMillis = EMBEDDED_START_TIMEOUT_MS;
  const instance = (config as { [INSTANCE_OF_CONFIG]?: () => PGlite | undefined })[INSTANCE_OF_CONFIG];
  if (instance) embeddedInstances.set(db, instance);
  if (lock) {
    dataFolderLocks.set(db, lock);
    // knex.destroy() ends in client.destroy(), which closes PGlite: the folder is free after that.
    const client = db.client as { destroy(callback?: (error?: unknown) => void): Promise<void> };
    const destroy = client.destroy.bind(client);
    client.destroy = async (callback) => {
      try {
        await destroy(callback);
      } finally {
        lock.release();
      }
    };
  }
  return db;
}

const dataFolderLocks = new WeakMap<object, DataFolderLock>();

/** The lock this process holds on the store's data folder (embedded store in a folder only). */
export function dataFolderLockOf(db: Db): DataFolderLock | undefined {
  return dataFolderLocks.get(db);
}

/** The PGlite instance behind an embedded store (once it has been connected). */
export function embeddedInstanceOf(db: Db): PGlite | undefined {
  return embeddedInstances.get(db)?.();
}

export async function migrateLatest(db: Db): Promise<void> {
  // On a busy machine PGlite can take longer to start than the pool waits for a connection.
  await embeddedReady.get(db)?.();
  const options = openedWith.get(db);
  if (options?.databaseUrl && options.stallTimeoutMs !== undefined) {
    // Migrations may legitimately run long (an index on a large table): not under the serving timeouts.
    const migrator = openDb({ ...options, stallTimeoutMs: undefined, poolMax: 1 });
    try {
      await migrator.migrate.latest();
    } finally {
      await migrator.destroy();
    }
    return;
  }
  await db.migrate.latest();
}

export function isEmbedded(db: Db): boolean {
  return db.client.config.client !== 'pg';
}
