// The benchmark's PostgreSQL databases: an admin connection (DATABASE_URL or the local cluster), one database
// per scale seeded with synthetic requests (reused while it holds exactly that many), and cleaning up after POSTs.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { die } from './common.js';
import { baseEnv, runChild } from './processes.js';

export function runCommand(file: string, args: string[], input?: string): string {
  return execFileSync(file, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A connection URL to the server, as a role that may create databases: DATABASE_URL, or a local cluster. */
export function adminUrl(): URL {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    if (!/^postgres(ql)?:$/.test(url.protocol)) die('DATABASE_URL must be a postgres:// URL');
    return url;
  }
  let clusters: string;
  try {
    clusters = runCommand('pg_lsclusters', ['-h']);
  } catch {
    die(
      'DATABASE_URL is not set and no local PostgreSQL cluster was found (pg_lsclusters). Set DATABASE_URL to a PostgreSQL + PostGIS server whose role can create databases and the postgis extension.',
    );
  }
  const online = clusters
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields.length >= 4 && fields[3] === 'online');
  if (!online) die('DATABASE_URL is not set and pg_lsclusters shows no online cluster. Start one, or set DATABASE_URL.');
  const port = online[2]!;
  const password = randomBytes(12).toString('hex');
  const asPostgres = (args: string[], input: string): string =>
    process.getuid?.() === 0
      ? runCommand('runuser', ['-u', 'postgres', '--', ...args], input)
      : runCommand('sudo', ['-u', 'postgres', ...args], input);
  asPostgres(
    ['psql', '-q', '-p', port, '-v', 'ON_ERROR_STOP=1'],
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'open311_bench') THEN CREATE ROLE open311_bench LOGIN; END IF;
     END $$;
     ALTER ROLE open311_bench WITH LOGIN SUPERUSER PASSWORD '${password}';`,
  );
  process.stderr.write(`Using the local PostgreSQL ${online[0]} cluster "${online[1]}" on port ${port} as role open311_bench.\n`);
  return new URL(`postgres://open311_bench:${password}@127.0.0.1:${port}/postgres`);
}

export function databaseUrl(admin: URL, name: string): string {
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return url.toString();
}

export const scaleLabel = (scale: number): string =>
  scale >= 1_000_000 && scale % 1_000_000 === 0
    ? `${scale / 1_000_000}m`
    : scale >= 1000 && scale % 1000 === 0
      ? `${scale / 1000}k`
      : String(scale);

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Deletes what benchmark POSTs left (this run's or a crashed one's). A plain DELETE would run the foreign-key
 * actions row by row, and some referencing columns have no index (duplicate_of, request_tokens…): minutes on a
 * million rows. So, where the role may (a superuser), the referencing rows are handled in one statement per
 * foreign key with the triggers off; otherwise the plain DELETE.
 */
export async function deleteBenchRows(client: pg.Client): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE TEMP TABLE bench_ids ON COMMIT DROP AS SELECT id FROM service_requests WHERE description LIKE 'bm-%'`,
    );
    const { rows } = await client.query('SELECT count(*)::int AS n FROM bench_ids');
    const count = rows[0].n as number;
    if (count > 0) {
      let fast = true;
      try {
        await client.query('SAVEPOINT replica');
        await client.query('SET LOCAL session_replication_role = replica');
      } catch {
        await client.query('ROLLBACK TO SAVEPOINT replica');
        fast = false;
      }
      if (fast) {
        const { rows: keys } = await client.query(
          `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confdeltype AS action
           FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           WHERE c.contype = 'f' AND c.confrelid = 'service_requests'::regclass`,
        );
        for (const key of keys as Array<{ tbl: string; col: string; action: string }>) {
          const table = key.tbl;
          const column = `"${key.col.replace(/"/g, '""')}"`;
          if (key.action === 'c') await client.query(`DELETE FROM ${table} WHERE ${column} IN (SELECT id FROM bench_ids)`);
          else await client.query(`UPDATE ${table} SET ${column} = NULL WHERE ${column} IN (SELECT id FROM bench_ids)`);
        }
      }
      await client.query('DELETE FROM service_requests WHERE id IN (SELECT id FROM bench_ids)');
    }
    await client.query('COMMIT');
    return count;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** A database holding exactly `scale` synthetic requests, seeded within the last week: reused, else made. */
export async function prepareDatabase(
  admin: URL,
  scale: number,
): Promise<{ url: string; name: string; seededSeconds: number | undefined }> {
  const name = `open311_bench_${scaleLabel(scale)}`;
  const url = databaseUrl(admin, name);
  const adminDb = databaseUrl(admin, admin.pathname.length > 1 ? admin.pathname.slice(1) : 'postgres');
  const exists = await withClient(
    adminDb,
    async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
  if (exists) {
    const reusable = await withClient(url, async (client) => {
      try {
        await deleteBenchRows(client);
        const { rows } = await client.query(
          `SELECT count(*)::int AS n, coalesce(max(requested_datetime) > now() - interval '7 days', false) AS fresh FROM service_requests`,
        );
        return rows[0].n === scale && rows[0].fresh === true;
      } catch {
        return false;
      }
    });
    if (reusable) {
      process.stderr.write(`Reusing ${name} (${scale.toLocaleString('en-US')} requests).\n`);
      return { url, name, seededSeconds: undefined };
    }
    process.stderr.write(`${name} does not hold exactly ${scale} recent synthetic requests: recreating it.\n`);
    await withClient(adminDb, (client) => client.query(`DROP DATABASE ${name} WITH (FORCE)`));
  }
  await withClient(adminDb, (client) => client.query(`CREATE DATABASE ${name}`));
  const started = Date.now();
  await runChild(process.execPath, ['--import', 'tsx', 'src/cli/seed-synthetic.ts', '--requests', String(scale)], {
    ...baseEnv(),
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
  });
  return { url, name, seededSeconds: (Date.now() - started) / 1000 };
}
