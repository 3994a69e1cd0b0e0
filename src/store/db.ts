// Which backend: PostgreSQL + PostGIS through `pg` when DATABASE_URL is set, else an embedded PGlite with
// its PostGIS extension persisted in the data folder. The same migrations and queries run on both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';

// The embedded store's modules are loaded only when it is used: PGlite and its PostGIS build cost a server on
// PostgreSQL about 100 MB of memory for nothing. They are loaded as CommonJS, the same copy knex-pglite loads.
const require = createRequire(import.meta.url);
function embeddedModules() {
  return {
    PGlite: (require('@electric-sql/pglite') as typeof import('@electric-sql/pglite')).PGlite,
    postgis: (require('@electric-sql/pglite-postgis') as typeof import('@electric-sql/pglite-postgis')).postgis,
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
              // The client gives up on an answer that does not come (a black-holed link)…
              query_timeout: stall,
              // …and the server cancels a statement that runs too long a little before, so a merely slow
              // query ends cleanly (57014) and keeps its connection.
              statement_timeout: Math.max(100, stall - 500),
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
    };
  }
  const { PGlite, postgis, ClientPgLite } = embeddedModules();
  let instance: PGlite | undefined;
  return {
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    // knex-pglite accepts a function returning our own PGlite instance: that is how the PostGIS
    // extension gets loaded. One instance for the life of this knex (PGlite is single-connection).
    connection: (() => {
      if (!instance || instance.closed) {
        if (options.dataDirectory) fs.mkdirSync(options.dataDirectory, { recursive: true });
        instance = new PGlite({ dataDir: options.dataDirectory, extensions: { postgis } });
      }
      return { pglite: instance };
    }) as unknown as Knex.StaticConnectionConfig,
    migrations,
  };
}

const openedWith = new WeakMap<Db, DbOptions>();
/** The embedded store's start-up (loading PGlite and PostGIS), awaited outside the pool's 30 s create timeout. */
const embeddedReady = new WeakMap<Db, () => Promise<void>>();

export function openDb(options: DbOptions): Db {
  const config = knexConfig(options);
  const db = knexFactory(config);
  openedWith.set(db, options);
  if (!options.databaseUrl) {
    const connection = config.connection as unknown as () => { pglite: PGlite };
    embeddedReady.set(db, () => connection().pglite.waitReady);
  }
  return db;
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
