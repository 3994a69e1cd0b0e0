// npm run import -- open311 BASE_URL [--jurisdiction ID] [--since DATE] [--api-key K] [--format xml|json]
//                                     [--map services.json] [--max-per-answer N] [--dry-run] [--notify]
// npm run import -- csv FILE [--map mapping.json] [--source NAME] [--strict] [--dry-run] [--notify]
// Brings a city's history into this server's store, re-runnable until the switch-over day.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDateTime } from '../domain/datetime.js';
import { Open311Error, OperatorError } from '../errors.js';
import {
  BULK_CSV_MAPPING,
  type ColumnRule,
  type CsvMapping,
  type ImportCounts,
  MAPPABLE_FIELDS,
  type RowProblem,
} from '../domain/import.js';
import { CsvLayoutError, importFromCsv } from '../import/csv-import.js';
import { SourceError } from '../import/open311-client.js';
import { importFromOpen311, type ImportProgress } from '../import/open311-import.js';
import { listJurisdictions } from '../store/catalog-store.js';
import { ensureConfiguredJurisdiction } from '../store/seed.js';
import { validate } from '../validate/validate.js';
import { fail, openConfiguredStore } from './open-store.js';

const USAGE = `Usage:
  npm run import -- open311 BASE_URL [options]
      Import the catalog and requests of another GeoReport v2 server (BASE_URL is its base, e.g.
      https://city.example/open311/v2). Re-run it to add what is new and update what changed.
      --jurisdiction ID    the source's jurisdiction_id, when it serves several
      --since DATE         requests made from this date on (default: ten years back)
      --api-key KEY        a key of the source, if it wants one
      --format json|xml    the format to ask for (default json)
      --map FILE           a JSON object of source service_code → our service_code
      --max-per-answer N   the most requests the source answers at once (default 1000)
  npm run import -- csv FILE [options]
      Import a CSV export: the GeoReport bulk layout, or any other with --map.
      --map FILE           a mapping of columns, value maps and date formats (see README)
      --source NAME        the name the ids are kept under (default: the file's name)
      --strict             stop at the first bad row (earlier batches stay imported)
  Both:
      --dry-run            print what would change, change nothing
      --notify             send webhook events for what is imported (off: history is quiet)
      --help               this text`;

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    if (fs.statSync(file).size > 16 * 1024 * 1024) fail(`${what} ${file} is larger than 16 MB.`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    fail(`Cannot read ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    fail(`${what} ${file} is not valid JSON.`);
  }
}

function checked<T>(schema: 'import-mapping.json' | 'import-service-map.json', value: unknown, what: string): T {
  try {
    return validate<T>(schema, value);
  } catch (error) {
    const problems =
      error instanceof Open311Error
        ? error.errors.map((item) => item.description)
        : [error instanceof Error ? error.message : String(error)];
    fail(`${what} is not valid:\n  ${problems.join('\n  ')}`);
  }
}

type RawMapping = { columns: Record<string, string | ColumnRule>; time_zone?: string };

function mappingOf(raw: RawMapping): CsvMapping {
  const columns: CsvMapping['columns'] = {};
  for (const field of MAPPABLE_FIELDS) {
    const rule = raw.columns[field];
    if (rule !== undefined) columns[field] = typeof rule === 'string' ? { column: rule } : rule;
  }
  if (raw.time_zone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: raw.time_zone });
    } catch {
      fail(`The mapping's time_zone "${raw.time_zone}" is not an IANA time zone.`);
    }
  }
  return { columns, ...(raw.time_zone ? { time_zone: raw.time_zone } : {}) };
}

/** A progress line: a bar with counts and ETA on a terminal, plain lines (at most every 5 s) otherwise. */
function progressWriter(): (fraction: number | undefined, counts: ImportCounts, problems: number, label: string) => void {
  const started = Date.now();
  let lastPlain = 0;
  const terminal = process.stderr.isTTY === true;
  return (fraction, counts, problems, label) => {
    const elapsed = (Date.now() - started) / 1000;
    const eta = fraction && fraction > 0.01 ? Math.max(0, (elapsed / fraction) * (1 - fraction)) : undefined;
    const summary = `${counts.created} new, ${counts.updated} updated, ${counts.unchanged} unchanged, ${problems} bad`;
    const etaText = eta === undefined ? '' : `, ETA ${Math.ceil(eta)} s`;
    if (terminal) {
      const width = 24;
      const filled = Math.round((fraction ?? 0) * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((fraction ?? 0) * 100)}% ${label} — ${summary}${etaText}\u001b[K`,
      );
    } else if (Date.now() - lastPlain >= 5000 || fraction === 1) {
      lastPlain = Date.now();
      process.stderr.write(`${label}: ${summary}${etaText}\n`);
    }
  };
}

function printProblems(problems: RowProblem[], total: number): void {
  for (const problem of problems.slice(0, 50)) process.stdout.write(`  ${problem.where}: ${problem.reason}\n`);
  if (total > 50) process.stdout.write(`  … and ${total - 50} more.\n`);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      jurisdiction: { type: 'string' },
      since: { type: 'string' },
      'api-key': { type: 'string' },
      format: { type: 'string', default: 'json' },
      map: { type: 'string' },
      source: { type: 'string' },
      'max-per-answer': { type: 'string' },
      strict: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      notify: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [kind, where] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (kind !== 'open311' && kind !== 'csv') fail(`${kind ? `Unknown source "${kind}".\n` : ''}${USAGE}`);
  if (!where) fail(`${kind} needs ${kind === 'csv' ? 'the FILE' : 'the BASE_URL'}.\n${USAGE}`);

  // Every argument and file is checked before the store is opened (opening the embedded one takes seconds).
  let baseUrl = new URL('http://unused.invalid');
  let maxPerAnswer: number | undefined;
  let serviceMap: Map<string, string> | undefined;
  const file = path.resolve(where);
  let mapping: CsvMapping = BULK_CSV_MAPPING;
  if (kind === 'open311') {
    try {
      baseUrl = new URL(where);
    } catch {
      fail(`BASE_URL "${where}" is not a URL.`);
    }
    if (!/^https?:$/.test(baseUrl.protocol)) fail('BASE_URL must be an http(s) URL.');
    if (values.format !== 'json' && values.format !== 'xml') fail('--format must be json or xml.');
    maxPerAnswer = values['max-per-answer'] === undefined ? undefined : Number(values['max-per-answer']);
    if (maxPerAnswer !== undefined && !(Number.isInteger(maxPerAnswer) && maxPerAnswer >= 2 && maxPerAnswer <= 10000)) {
      fail('--max-per-answer must be a whole number from 2 to 10000.');
    }
    if (values.map) {
      serviceMap = new Map(
        Object.entries(
          checked<Record<string, string>>('import-service-map.json', readJson(values.map, 'The service map'), 'The service map'),
        ),
      );
    }
  } else {
    if (!fs.existsSync(file)) fail(`No file ${file}.`);
    if (values.map)
      mapping = mappingOf(checked<RawMapping>('import-mapping.json', readJson(values.map, 'The mapping'), 'The mapping'));
  }

  const { config, db } = await openConfiguredStore(
    'import',
    'Stop the server first: an import writes the store itself (on PostgreSQL it may run beside the server).',
  );
  try {
    let target = (await listJurisdictions(db)).find((jurisdiction) => jurisdiction.jurisdiction_id === config.jurisdictionId);
    if (!target) {
      // As at the server's start: an empty store gets the configured jurisdiction, a store of another is refused.
      await ensureConfiguredJurisdiction(db, config);
      target = {
        jurisdiction_id: config.jurisdictionId,
        name: config.jurisdictionName,
        time_zone: config.timeZone,
        catalog_changed_at: new Date(),
      };
    }
    const show = progressWriter();
    const dry = values['dry-run'] ? ' (dry run: nothing was changed)' : '';
    if (kind === 'open311') {
      let since: Date | undefined;
      if (values.since) {
        since = parseDateTime(values.since, target.time_zone)?.date;
        if (!since) fail(`--since "${values.since}" is not a date (YYYY-MM-DD or ISO 8601).`);
      }
      const report = await importFromOpen311(db, target, {
        baseUrl: baseUrl.toString(),
        sourceJurisdiction: values.jurisdiction,
        apiKey: values['api-key'],
        format: values.format as 'json' | 'xml',
        since,
        serviceMap,
        dryRun: values['dry-run'],
        notify: values.notify,
        maxPerAnswer,
        userAgent: `open311-server-import/0.1 (+${config.publicUrl}; migrating ${config.jurisdictionName})`,
        onProgress: (progress: ImportProgress) => {
          const fraction =
            progress.since && progress.until && progress.done_until
              ? (progress.done_until.getTime() - progress.since.getTime()) /
                Math.max(1, progress.until.getTime() - progress.since.getTime())
              : undefined;
          show(
            fraction,
            progress.counts,
            progress.problems,
            progress.phase === 'catalog' ? 'catalog' : `to ${progress.done_until?.toISOString().slice(0, 10) ?? '…'}`,
          );
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const { created, updated, unchanged } = report.counts;
      process.stdout.write(
        `${report.resumed ? 'Resumed an interrupted import. ' : ''}Walked ${report.windows} window(s) ${report.mode === 'updated_after' ? 'of changes since the last run' : 'of request dates'} in ${report.calls} call(s) to the source.\n` +
          `Services created: ${report.services_created.length ? report.services_created.join(', ') : 'none'}.\n` +
          `Requests: ${created} new, ${updated} updated, ${unchanged} unchanged, ${report.problems.length} not importable${dry}.\n` +
          `Source offers: paging ${yes(report.capabilities.paging)}, extensions ${yes(report.capabilities.extensions)}, updated_after ${yes(report.capabilities.updated_after)}, servicerequestupdates ${yes(report.capabilities.updates)}.\n`,
      );
      for (const warning of report.warnings) process.stdout.write(`Warning: ${warning}\n`);
      printProblems(report.problems, report.problems.length);
    } else {
      const report = await importFromCsv(db, target, {
        file,
        mapping,
        source: values.source ?? `csv:${path.basename(file)}`,
        dryRun: values['dry-run'],
        notify: values.notify,
        strict: values.strict,
        onProgress: (progress) =>
          show(progress.bytes / Math.max(1, progress.total_bytes), progress.counts, progress.problems, `${progress.rows} rows`),
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const { created, updated, unchanged } = report.counts;
      process.stdout.write(
        `Read ${report.rows} row(s)${report.stopped ? ', stopped at the first bad row (--strict)' : ''}.\n` +
          `Services created: ${report.services_created.length ? report.services_created.join(', ') : 'none'}.\n` +
          `Requests: ${created} new, ${updated} updated, ${unchanged} unchanged, ${report.problem_count} bad row(s) ${values.strict ? '' : 'skipped'}${dry}.\n`,
      );
      printProblems(report.problems, report.problem_count);
      if (report.stopped) process.exitCode = 1;
    }
  } finally {
    await db.destroy();
  }
}

const yes = (flag: boolean): string => (flag ? 'yes' : 'no');

main().catch((error: unknown) => {
  if (error instanceof OperatorError) {
    process.stderr.write(`import: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof SourceError || error instanceof CsvLayoutError) fail(`import: ${error.message}`);
  fail(`import: ${error instanceof Error ? error.message : String(error)}`);
});
