// Opens the configured store for a command-line tool, with migrations applied.
import { loadConfig, type Config } from '../config.js';
import { migrateLatest, openDb, type Db } from '../store/db.js';

export async function openConfiguredStore(): Promise<{ config: Config; db: Db }> {
  const config = loadConfig();
  const db = openDb({ databaseUrl: config.databaseUrl, dataDirectory: config.dataDirectory });
  await migrateLatest(db);
  return { config, db };
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
