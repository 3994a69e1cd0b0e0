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
}

export function knexConfig(options: DbOptions): Knex.Config {
  const migrations: Knex.MigratorConfig = {
    migrationSource: new FolderMigrations(MIGRATIONS_DIRECTORY),
    tableName: 'knex_migrations',
  };
  if (options.databaseUrl) {
    return {
      client: 'pg',
      // Fail fast when the database is down, so clients get a 503 with Retry-After instead of hanging.
      connection: { connectionString: options.databaseUrl, connectionTimeoutMillis: 3000 },
      acquireConnectionTimeout: 5000,
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
    acquireConnectionTimeout: EMBEDDED_OPEN_TIMEOUT_MS,
    migrations,
  };
}

// Opening PGlite compiles its WebAssembly and PostGIS: seconds alone, over half a minute on a loaded machine,
// past the pool's default 30 s for creating a connection ("Timeout acquiring a connection").
const EMBEDDED_OPEN_TIMEOUT_MS = 180_000;

export function openDb(options: DbOptions): Db {
  const db = knexFactory(knexConfig(options));
  // knex-pglite refuses pool settings (one connection, its own); the creation timeout is the pool's own field.
  const pool = (db.client as { pool?: { createTimeoutMillis?: number } }).pool;
  if (!options.databaseUrl && pool) pool.createTimeoutMillis = EMBEDDED_OPEN_TIMEOUT_MS;
  return db;
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest();
}

export function isEmbedded(db: Db): boolean {
  return db.client.config.client !== 'pg';
}
