// The CSV import row of `npm run bench` (issue #17's target: ≥ 20,000 rows/s for a 1M-row file in bounded
// memory), also alone as `npm run bench:import`. Writes a GeoReport bulk-layout file of IMPORT_BENCH_ROWS rows
// (default 1,000,000), imports it into a fresh database (its role must create databases), imports it again
// (every row unchanged), and answers a table with ratios to the targets; the database is dropped after.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { BULK_CSV_MAPPING } from '../src/domain/import.js';
import { importFromCsv } from '../src/import/csv-import.js';
import { ensureJurisdiction } from '../src/store/catalog-store.js';
import { migrateLatest, openDb } from '../src/store/db.js';

const IMPORT_BENCH_ROWS = Number(process.env.IMPORT_BENCH_ROWS || 1_000_000);
const TARGET_ROWS_PER_SECOND = 20_000;
const TARGET_PEAK_RSS_MB = 400;

async function writeFile(file: string, rowCount: number): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write(
    'service_request_id,requested_datetime,updated_datetime,closed_date,status_description,status_notes,source,service_name,service_code,service_subtype,description,agency_responsible,address,lat,long\n',
  );
  const start = Date.UTC(2021, 0, 1);
  const span = 5 * 365 * 86_400_000;
  for (let index = 0; index < rowCount; index += 1) {
    const requested = start + Math.floor((index / rowCount) * span);
    const closed = index % 5 < 3;
    const code = `SVC_${index % 20}`;
    const line = `OLD-${index},${new Date(requested).toISOString()},${new Date(requested + 86_400_000).toISOString()},${closed ? new Date(requested + 86_400_000).toISOString() : ''},${closed ? 'Closed' : 'Open'},${closed ? 'Done' : ''},phone,Service ${index % 20},${code},,"Request number ${index}, with a comma",Streets,${index % 900} Main St,${(39.68 + (index % 1000) / 10_000).toFixed(6)},${(-82.63 + (index % 997) / 10_000).toFixed(6)}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export interface ImportBenchTable {
  header: string[];
  rows: string[][];
}

/** Runs the import benchmark on a new database of the server `admin` names; answers its table. */
async function importBench(admin: URL, rowCount: number): Promise<ImportBenchTable> {
  const database = `open311_bench_import_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${database}`);
  const url = new URL(admin.toString());
  url.pathname = `/${database}`;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-bench-import-'));
  const file = path.join(directory, 'requests.csv');
  const db = openDb({ databaseUrl: url.toString(), dataDirectory: undefined });
  try {
    await migrateLatest(db);
    const target = { jurisdiction_id: 'bench.example', name: 'Bench', time_zone: 'America/New_York' };
    await ensureJurisdiction(db, target);
    let started = Date.now();
    await writeFile(file, rowCount);
    process.stderr.write(
      `Wrote ${rowCount} rows (${(fs.statSync(file).size / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
    );
    const options = { file, mapping: BULK_CSV_MAPPING, source: 'bench', dryRun: false, notify: false, strict: false };
    started = Date.now();
    const importerBefore = process.cpuUsage();
    const first = await importFromCsv(db, target, options);
    const firstSeconds = (Date.now() - started) / 1000;
    const importerMicroseconds = cpuMicroseconds(process.cpuUsage(importerBefore));
    // CPU of this database's backends (only the importer's pool connects to it): what the import costs the
    // server whatever else the machine runs, where wall-clock rates depend on the load.
    const serverMicroseconds = await backendCpuMicroseconds(client, database);
    const rssAfterFirst = process.resourceUsage().maxRSS / 1024;
    started = Date.now();
    const second = await importFromCsv(db, target, options);
    const secondSeconds = (Date.now() - started) / 1000;
    const peak = process.resourceUsage().maxRSS / 1024;
    if (first.counts.created !== rowCount || second.counts.unchanged !== rowCount) {
      throw new Error(`unexpected counts: ${JSON.stringify(first.counts)} then ${JSON.stringify(second.counts)}`);
    }
    const rate = rowCount / firstSeconds;
    const rows: string[][] = [
      [
        'CSV import, new rows',
        `${Math.round(rate)} rows/s`,
        `≥ ${TARGET_ROWS_PER_SECOND}`,
        (rate / TARGET_ROWS_PER_SECOND).toFixed(2),
        rate >= TARGET_ROWS_PER_SECOND ? 'met' : 'not met',
      ],
      [
        'CPU per new row: importer + PostgreSQL',
        `${(importerMicroseconds / rowCount).toFixed(1)} + ${(serverMicroseconds / rowCount).toFixed(1)} µs`,
        '—',
        '—',
        `${os.cpus().length} cores: ≤ ${Math.round((os.cpus().length * 1e6) / ((importerMicroseconds + serverMicroseconds) / rowCount))} rows/s idle`,
      ],
      ['CSV import, re-run (all unchanged)', `${Math.round(rowCount / secondSeconds)} rows/s`, '—', '—', '—'],
      [
        'peak RSS of the importer',
        `${Math.round(peak)} MB (${Math.round(rssAfterFirst)} after the first run)`,
        `≤ ${TARGET_PEAK_RSS_MB} MB`,
        (peak / TARGET_PEAK_RSS_MB).toFixed(2),
        peak <= TARGET_PEAK_RSS_MB ? 'met' : 'not met',
      ],
    ];
    return { header: [`CSV import (${rowCount.toLocaleString('en-US')} rows)`, 'value', 'target', 'ratio', ''], rows };
  } finally {
    await db.destroy();
    await client.query(`DROP DATABASE IF EXISTS ${database}`);
    await client.end();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function cpuMicroseconds(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** User + system CPU of a database's backends so far, from /proc (Linux; 0 elsewhere). */
async function backendCpuMicroseconds(client: pg.Client, database: string): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  const ticksPerSecond = 100;
  let total = 0;
  for (const { pid } of rows) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
    } catch {
      // A backend that ended, or no /proc: not counted.
    }
  }
  return total;
}

// On DATABASE_URL. `npm run bench` runs this as a child process (so that the peak RSS is the importer's
// alone) with --json, and prints the table with its own.
if (!process.env.DATABASE_URL) {
  process.stderr.write('bench:import needs DATABASE_URL (a PostgreSQL server whose role can create databases).\n');
  process.exit(2);
}
const table = await importBench(new URL(process.env.DATABASE_URL), IMPORT_BENCH_ROWS);
process.stdout.write(
  process.argv.includes('--json')
    ? `${JSON.stringify(table)}\n`
    : `| ${table.header.join(' | ')} |\n|---|---|---|---:|---|\n${table.rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`,
);
