// Import from a CSV export: the GeoReport bulk layout out of the box, any other through a mapping of
// columns, value maps and date formats. The file is streamed and written in batches of one statement each
// (a batch is never half-imported), with one batch written while the next is read, so memory stays bounded
// whatever the file's size. Bad rows are reported with their line number and skipped, or stop the run
// (`strict`) before the batch that holds them is written.
import fs from 'node:fs';
import { checkServiceDefinition } from '../validate/catalog.js';
import {
  type CsvMapping,
  csvRowReader,
  type ImportCounts,
  type ImportedRequest,
  type Mapped,
  type RowProblem,
} from '../domain/import.js';
import { upsertCatalog } from '../store/catalog-store.js';
import { type Db, isEmbedded } from '../store/db.js';
import { missingServiceCodes, upsertImportedRequests } from '../store/import-store.js';
import { CsvSyntaxError, csvRecords } from './csv-records.js';

export interface CsvImportOptions {
  file: string;
  mapping: CsvMapping;
  /** The name the requests' ids are kept under (default: the file's name). */
  source: string;
  dryRun: boolean;
  notify: boolean;
  strict: boolean;
  batchSize?: number;
  /** Batches written at once on PostgreSQL (default 2); always 1 for a dry run and on the embedded store. */
  writers?: number;
  /** Bad rows reported in full; beyond this only counted. */
  maxReportedProblems?: number;
  onProgress?: (progress: { bytes: number; total_bytes: number; rows: number; counts: ImportCounts; problems: number }) => void;
}

export interface CsvImportReport {
  rows: number;
  counts: ImportCounts;
  problems: RowProblem[];
  problem_count: number;
  services_created: string[];
  stopped: boolean;
}

export class CsvLayoutError extends Error {}

interface Target {
  jurisdiction_id: string;
  time_zone: string;
}

export async function importFromCsv(db: Db, target: Target, options: CsvImportOptions): Promise<CsvImportReport> {
  const report: CsvImportReport = {
    rows: 0,
    counts: { created: 0, updated: 0, unchanged: 0 },
    problems: [],
    problem_count: 0,
    services_created: [],
    stopped: false,
  };
  const work = async (store: Db): Promise<void> => {
    const totalBytes = fs.statSync(options.file).size;
    const input = fs.createReadStream(options.file);
    const batchSize = options.batchSize ?? 5000;
    // PostgreSQL spends most of a batch on index and foreign-key upkeep, in one backend per statement: two
    // batches in flight use both of a small server's cores. A dry run is one transaction (one connection), and
    // the embedded store has one connection. Which of two batches naming the same id commits first does not
    // matter: a row is only updated by a newer updated_datetime.
    const writers = options.dryRun || isEmbedded(store) ? 1 : Math.max(1, options.writers ?? 2);
    let read: ((row: string[]) => Mapped) | undefined;
    let batch: ImportedRequest[] = [];
    const inFlight = new Set<Promise<void>>();
    const failed: { error?: unknown; happened: boolean } = { happened: false };
    // Missing services are created one batch at a time, so two batches never race to create the same one.
    let servicesReady: Promise<void> = Promise.resolve();
    const write = async (requests: ImportedRequest[], services: Promise<void>): Promise<void> => {
      await services;
      const counts = await withDeadlockRetry(() =>
        upsertImportedRequests(store, target.jurisdiction_id, options.source, requests, { notify: options.notify }),
      );
      report.counts.created += counts.created;
      report.counts.updated += counts.updated;
      report.counts.unchanged += counts.unchanged;
      options.onProgress?.({
        bytes: input.bytesRead,
        total_bytes: totalBytes,
        rows: report.rows,
        counts: report.counts,
        problems: report.problem_count,
      });
    };
    const settle = async (): Promise<void> => {
      if (inFlight.size > 0) await Promise.race(inFlight);
    };
    const flush = async (requests: ImportedRequest[]): Promise<void> => {
      if (failed.happened) throw failed.error;
      if (requests.length === 0) return;
      while (inFlight.size >= writers) await settle();
      if (failed.happened) throw failed.error;
      const services = servicesReady.then(() => ensureServices(store, target, requests, report));
      servicesReady = services.catch(() => undefined);
      const pending: Promise<void> = write(requests, services)
        // A failed write must surface at the next batch, not wait for the end of the file.
        .catch((error: unknown) => {
          if (!failed.happened) Object.assign(failed, { error, happened: true });
        })
        .finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    };
    const drain = async (): Promise<void> => {
      while (inFlight.size > 0) await settle();
      if (failed.happened) throw failed.error;
    };
    try {
      reading: for await (const records of csvRecords(input, { maxRecordSize: 1024 * 1024 })) {
        for (const { fields: record, line } of records) {
          if (!read) {
            const reader = csvRowReader(options.mapping, record, target.time_zone);
            if ('missing' in reader) {
              throw new CsvLayoutError(
                `The file has no column ${reader.missing.map((name) => `"${name}"`).join(', ')} that the mapping names.`,
              );
            }
            read = reader.read;
            continue;
          }
          report.rows += 1;
          const mapped = read(record);
          if ('problem' in mapped) {
            report.problem_count += 1;
            const problem = { where: `line ${line}`, reason: mapped.problem };
            if (report.problems.length < (options.maxReportedProblems ?? 1000)) report.problems.push(problem);
            if (options.strict) {
              report.stopped = true;
              break reading;
            }
            continue;
          }
          batch.push(mapped.request);
          if (batch.length >= batchSize) {
            await flush(batch);
            batch = [];
          }
        }
      }
      if (!report.stopped) await flush(batch);
      else input.destroy();
      await drain();
    } catch (error) {
      // Not CSV from some line on: refused like a file without the mapped columns.
      if (error instanceof CsvSyntaxError) throw new CsvLayoutError(`The file is not valid CSV at ${error.message}.`);
      throw error;
    } finally {
      input.destroy();
      // Never leave a write running behind a failure (its connection would outlive the caller's transaction).
      await Promise.allSettled([...inFlight]);
    }
    if (!read) throw new CsvLayoutError('The file is empty: it has no header line.');
  };
  if (options.dryRun) {
    await db
      .transaction(async (trx) => {
        await work(trx);
        throw new DryRunDone();
      })
      .catch((error: unknown) => {
        if (!(error instanceof DryRunDone)) throw error;
      });
  } else {
    await work(db);
  }
  return report;
}

class DryRunDone extends Error {}

/**
 * Two batches naming the same ids in opposite orders can deadlock; PostgreSQL then aborts one of them, which
 * is written again once the other has committed (the statement is atomic, so nothing was half-written).
 */
async function withDeadlockRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 5 || (error as { code?: string }).code !== '40P01') throw error;
    }
  }
}

/** Services the rows name that the catalog lacks: created retired (history only), named as the file names them. */
async function ensureServices(db: Db, target: Target, requests: ImportedRequest[], report: CsvImportReport): Promise<void> {
  const names = new Map<string, string>();
  for (const request of requests)
    if (!names.has(request.service_code)) names.set(request.service_code, request.service_name ?? request.service_code);
  const missing = await missingServiceCodes(db, target.jurisdiction_id, [...names.keys()]);
  if (missing.length === 0) return;
  const services = missing.map((code) =>
    checkServiceDefinition({ service_code: code, service_name: (names.get(code) ?? code).slice(0, 200), active: false }),
  );
  report.services_created.push(...(await upsertCatalog(db, target.jurisdiction_id, services)));
}
