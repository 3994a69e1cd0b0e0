// Which backend: PostgreSQL + PostGIS through `pg` when DATABASE_URL is set, else an embedded PGlite with
// its PostGIS extension persisted in the data folder. The same migrations and queries run on both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import ClientPgLite from 'knex-pglite';

export type Db = Knex;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MIGRATIONS_DIRECTORY = path.join(projectRoot, 'migrations');
export const SEEDS_DIRECTORY = path.join(projectRoot, 'seeds');

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
    directory: MIGRATIONS_DIRECTORY,
    loadExtensions: ['.ts'],
    tableName: 'knex_migrations',
  };
  const seeds: Knex.SeederConfig = { directory: SEEDS_DIRECTORY, loadExtensions: ['.ts'] };
  if (options.databaseUrl) {
    return {
      client: 'pg',
      // Fail fast when the database is down, so clients get a 503 with Retry-After instead of hanging.
      connection: { connectionString: options.databaseUrl, connectionTimeoutMillis: 3000 },
      acquireConnectionTimeout: 5000,
      pool: { min: 0, max: options.poolMax ?? 10 },
      migrations,
      seeds,
    };
  }
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
    seeds,
  };
}

export function openDb(options: DbOptions): Db {
  return knexFactory(knexConfig(options));
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest();
}

export function isEmbedded(db: Db): boolean {
  return db.client.config.client !== 'pg';
}
