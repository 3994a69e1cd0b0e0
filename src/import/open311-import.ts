// Import from another GeoReport v2 server: its catalog first (missing services created, or mapped with a
// mapping file), then its requests, walked in date windows within the standard's limits (90 days, 1000 per
// answer). A window that comes back full is split until it is not, so nothing is missed; the source's paging
// and updated_after are used when it offers them (asked, with a fallback). Each window is written in one
// statement and checkpointed, so an interrupted run continues where it stopped, and a re-run adds what is new
// and updates what changed.
import { checkServiceDefinition } from '../validate/catalog.js';
import {
  fromGeoReportRequest,
  type ImportCounts,
  type ImportedNote,
  type ImportedRequest,
  type RowProblem,
  serviceCodeOf,
} from '../domain/import.js';
import { upsertCatalog, exportCatalog, type CatalogService } from '../store/catalog-store.js';
import type { Db } from '../store/db.js';
import {
  addImportedNotes,
  type ImportCheckpoint,
  missingServiceCodes,
  readCheckpoint,
  upsertImportedRequests,
  writeCheckpoint,
} from '../store/import-store.js';
import { Open311Client, type SourceFormat, SourceError } from './open311-client.js';

export interface Open311ImportOptions {
  baseUrl: string;
  /** The source's jurisdiction_id, when it serves several. */
  sourceJurisdiction?: string;
  apiKey?: string;
  format: SourceFormat;
  /** Requests made from this date on (default: ten years back). */
  since?: Date;
  /** Source service code → our service code. */
  serviceMap?: ReadonlyMap<string, string>;
  dryRun: boolean;
  notify: boolean;
  /** The most requests the source answers at once (the standard's 1000, unless it says less). */
  maxPerAnswer?: number;
  concurrency?: number;
  retryBaseMs?: number;
  userAgent: string;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
  /** Called after each window is written (tests interrupt a run here). */
  afterWindow?: (window: { start: Date; end: Date }) => void;
}

export interface ImportProgress {
  phase: 'catalog' | 'requests';
  done_until?: Date;
  since?: Date;
  until?: Date;
  counts: ImportCounts;
  problems: number;
}

export interface ImportReport {
  services_created: string[];
  counts: ImportCounts;
  problems: RowProblem[];
  windows: number;
  calls: number;
  mode: 'windows' | 'updated_after';
  resumed: boolean;
  capabilities: { paging: boolean; extensions: boolean; updated_after: boolean; updates: boolean };
  warnings: string[];
}

const DAY = 86_400_000;
const WINDOW_DAYS = 90;

interface Target {
  jurisdiction_id: string;
  time_zone: string;
}

type Record_ = Record<string, unknown>;

/** A stable name of the source, under which its ids and checkpoint are kept. */
function sourceName(baseUrl: string, jurisdiction: string | undefined): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}${jurisdiction ? `#${jurisdiction}` : ''}`;
}

const iso = (date: Date): string => date.toISOString();

export async function importFromOpen311(db: Db, target: Target, options: Open311ImportOptions): Promise<ImportReport> {
  const client = new Open311Client({
    baseUrl: options.baseUrl,
    format: options.format,
    apiKey: options.apiKey,
    jurisdiction: options.sourceJurisdiction,
    userAgent: options.userAgent,
    concurrency: options.concurrency,
    retryBaseMs: options.retryBaseMs,
    signal: options.signal,
  });
  const source = sourceName(options.baseUrl, options.sourceJurisdiction);
  const maxPerAnswer = options.maxPerAnswer ?? 1000;
  const report: ImportReport = {
    services_created: [],
    counts: { created: 0, updated: 0, unchanged: 0 },
    problems: [],
    windows: 0,
    calls: 0,
    mode: 'windows',
    resumed: false,
    capabilities: { paging: false, extensions: false, updated_after: false, updates: false },
    warnings: [],
  };
  const progress = (extra: Partial<ImportProgress>): void =>
    options.onProgress?.({ phase: 'requests', counts: report.counts, problems: report.problems.length, ...extra });

  progress({ phase: 'catalog' });
  const catalog = await planCatalog(db, client, target, options, report);
  // A dry run writes each window in a transaction that is rolled back (the catalog's new services with it), so
  // its counts are exactly what a real run would do; nothing is held open while the source is asked.
  const write = async (step: (store: Db) => Promise<void>): Promise<void> => {
    if (!options.dryRun) return step(db);
    await db
      .transaction(async (trx) => {
        if (catalog.toCreate.length > 0) await upsertCatalog(trx, target.jurisdiction_id, catalog.toCreate);
        await step(trx);
        throw new DryRunDone();
      })
      .catch((error: unknown) => {
        if (!(error instanceof DryRunDone)) throw error;
      });
  };
  if (catalog.toCreate.length > 0) {
    if (options.dryRun) report.services_created.push(...catalog.toCreate.map((service) => service.service_code));
    else report.services_created.push(...(await upsertCatalog(db, target.jurisdiction_id, catalog.toCreate)));
  }
  const now = new Date();
  const checkpoint = await readCheckpoint(db, target.jurisdiction_id, source);
  report.capabilities = await probe(client, now);
  const since = options.since ?? new Date(now.getTime() - 10 * 365 * DAY);
  let plan: NonNullable<ImportCheckpoint['running']>;
  if (checkpoint.running) {
    plan = checkpoint.running;
    report.resumed = true;
  } else if (checkpoint.finished_run_started_at && report.capabilities.updated_after) {
    // Changes since the last run began (minus a margin for clocks), whatever their request date.
    const from = new Date(Date.parse(checkpoint.finished_run_started_at) - 10 * 60_000);
    plan = { started_at: iso(now), since: iso(from), until: iso(now), mode: 'updated_after', done_until: iso(from) };
  } else {
    plan = { started_at: iso(now), since: iso(since), until: iso(now), mode: 'windows', done_until: iso(since) };
  }
  report.mode = plan.mode;
  const until = new Date(plan.until);
  let start = new Date(plan.done_until);
  while (start < until) {
    const end = new Date(Math.min(until.getTime(), start.getTime() + WINDOW_DAYS * DAY - 1000));
    const records = await fetchWindow(client, plan.mode, start, end, maxPerAnswer, report);
    const updates =
      !report.capabilities.extensions && report.capabilities.updates ? await fetchUpdates(client, start, end) : undefined;
    const requests: ImportedRequest[] = [];
    for (const record of records) {
      const mapped = fromGeoReportRequest(record, target.time_zone);
      const where = `source request ${String(record.service_request_id ?? '(no id)').slice(0, 100)}`;
      if ('problem' in mapped) report.problems.push({ where, reason: mapped.problem });
      else requests.push({ ...mapped.request, service_code: catalog.codeOf(mapped.request.service_code) });
    }
    await write(async (store) => {
      await ensureServices(store, target, requests, report);
      const counts = await upsertImportedRequests(store, target.jurisdiction_id, source, requests, { notify: options.notify });
      if (updates) await addImportedNotes(store, target.jurisdiction_id, source, updates);
      report.counts.created += counts.created;
      report.counts.updated += counts.updated;
      report.counts.unchanged += counts.unchanged;
    });
    report.windows += 1;
    plan = { ...plan, done_until: iso(new Date(end.getTime() + 1000)) };
    if (!options.dryRun) await writeCheckpoint(db, target.jurisdiction_id, source, { ...checkpoint, running: plan });
    progress({ done_until: end, since: new Date(plan.since), until });
    options.afterWindow?.({ start, end });
    start = new Date(plan.done_until);
  }
  if (!options.dryRun) await writeCheckpoint(db, target.jurisdiction_id, source, { finished_run_started_at: plan.started_at });
  report.calls = client.calls;
  return report;
}

class DryRunDone extends Error {}

/** The source's services in our catalog: mapped ones as the mapping says, missing ones to create with their attributes. */
async function planCatalog(
  db: Db,
  client: Open311Client,
  target: Target,
  options: Open311ImportOptions,
  report: ImportReport,
): Promise<{ codeOf: (sourceCode: string) => string; toCreate: CatalogService[] }> {
  const codeOf = (code: string): string => options.serviceMap?.get(code) ?? serviceCodeOf(code);
  const answer = await client.get('services');
  if (answer.status !== 200 || !Array.isArray(answer.body)) {
    throw new SourceError(
      `The source's service list answered ${answer.status}: is ${options.baseUrl} a GeoReport v2 base URL?`,
      answer.status,
    );
  }
  const existing = new Set((await exportCatalog(db, target.jurisdiction_id)).map((service) => service.service_code));
  const toCreate: CatalogService[] = [];
  for (const entry of answer.body as Record_[]) {
    const sourceCode = typeof entry.service_code === 'string' ? entry.service_code : String(entry.service_code ?? '');
    if (!sourceCode) continue;
    const code = codeOf(sourceCode);
    if (existing.has(code) || toCreate.some((service) => service.service_code === code)) continue;
    let attributes: unknown[] = [];
    if (String(entry.metadata) === 'true') {
      const definition = await client.get(`services/${encodeURIComponent(sourceCode)}`);
      if (definition.status === 200 && definition.body && typeof definition.body === 'object') {
        attributes = ((definition.body as Record_).attributes as unknown[] | null) ?? [];
      } else report.warnings.push(`The definition of ${sourceCode} answered ${definition.status}; created without questions.`);
    }
    const candidate = {
      service_code: code,
      service_name: String(entry.service_name ?? code).slice(0, 200) || code,
      description: entry.description ? String(entry.description) : null,
      type: ['realtime', 'batch', 'blackbox'].includes(String(entry.type)) ? String(entry.type) : 'realtime',
      keywords:
        typeof entry.keywords === 'string' && entry.keywords
          ? entry.keywords
              .split(',')
              .map((word) => word.trim())
              .filter(Boolean)
          : [],
      group: entry.group ? String(entry.group) : null,
      attributes: attributes.map(toAttribute),
    };
    try {
      toCreate.push(checkServiceDefinition(candidate));
    } catch {
      // A definition our rules refuse (an odd datatype, say): keep the service, without its questions.
      toCreate.push(checkServiceDefinition({ ...candidate, attributes: [] }));
      report.warnings.push(`The questions of ${sourceCode} could not be imported; the service was created without them.`);
    }
  }
  return { codeOf, toCreate };
}

function toAttribute(value: unknown): Record_ {
  const attribute = (value ?? {}) as Record_;
  const values = Array.isArray(attribute.values) ? (attribute.values as Record_[]) : [];
  const out: Record_ = {
    variable: String(attribute.variable) !== 'false',
    code: String(attribute.code ?? ''),
    datatype: String(attribute.datatype ?? 'string'),
    required: String(attribute.required) === 'true',
    datatype_description: attribute.datatype_description ? String(attribute.datatype_description) : null,
    order: Number(attribute.order ?? 0) || 0,
    description: String(attribute.description ?? attribute.code ?? ''),
  };
  if (values.length > 0)
    out.values = values.map((entry) => ({ key: String(entry.key ?? ''), name: String(entry.name ?? entry.key ?? '') }));
  return out;
}

/** Services requests name that neither the catalog nor the mapping has (a retired service, say): created bare. */
async function ensureServices(db: Db, target: Target, requests: ImportedRequest[], report: ImportReport): Promise<void> {
  const codes = [...new Set(requests.map((request) => request.service_code))];
  const missing = await missingServiceCodes(db, target.jurisdiction_id, codes);
  if (missing.length === 0) return;
  const services = missing.map((code) => {
    const name = requests.find((request) => request.service_code === code)?.service_name ?? code;
    return checkServiceDefinition({ service_code: code, service_name: name.slice(0, 200), active: false });
  });
  report.services_created.push(...(await upsertCatalog(db, target.jurisdiction_id, services)));
}

/** What the source offers beyond the standard: each asked once, with a fallback when it does not answer. */
async function probe(client: Open311Client, now: Date): Promise<ImportReport['capabilities']> {
  const start = iso(new Date(now.getTime() - WINDOW_DAYS * DAY + 1000));
  const end = iso(now);
  const paged = await client.get('requests', { start_date: start, end_date: end, page_size: '1', page: '1' });
  const paging = paged.status === 200 && Array.isArray(paged.body) && paged.body.length <= 1;
  const extended = await client.get('requests', {
    start_date: start,
    end_date: end,
    extensions: 'true',
    ...(paging ? { page_size: '1' } : {}),
  });
  const extensions =
    extended.status === 200 &&
    Array.isArray(extended.body) &&
    (extended.body as Record_[]).some((record) => record && typeof record === 'object' && 'extended_attributes' in record);
  const bound = new Date(now.getTime() - DAY);
  const updated = await client.get('requests', { updated_after: iso(bound), ...(paging ? { page_size: '1' } : {}) });
  const updatedAfter =
    updated.status === 200 &&
    Array.isArray(updated.body) &&
    (updated.body as Record_[]).every((record) => Date.parse(String(record?.updated_datetime)) > bound.getTime());
  const updates = (await client.get('servicerequestupdates', { start_date: start, end_date: end })).status === 200;
  return { paging, extensions, updated_after: updatedAfter, updates };
}

/** Every request of a window, by pages when the source pages, else by halving the window while answers are full. */
async function fetchWindow(
  client: Open311Client,
  mode: 'windows' | 'updated_after',
  start: Date,
  end: Date,
  maxPerAnswer: number,
  report: ImportReport,
): Promise<Record_[]> {
  const parameters: Record<string, string> =
    mode === 'windows'
      ? { start_date: iso(start), end_date: iso(end) }
      : { updated_after: iso(new Date(start.getTime() - 1)), updated_before: iso(new Date(end.getTime() + 1)) };
  if (report.capabilities.extensions) parameters.extensions = 'true';
  const ask = async (extra: Record<string, string>): Promise<{ rows: Record_[]; total: number | undefined }> => {
    const answer = await client.get('requests', { ...parameters, ...extra });
    if (answer.status !== 200 || !Array.isArray(answer.body)) {
      throw new SourceError(
        `The source answered ${answer.status} for requests from ${iso(start)} to ${iso(end)}.`,
        answer.status,
      );
    }
    const total = Number(answer.headers.get('x-result-count') ?? Number.NaN);
    return { rows: answer.body as Record_[], total: Number.isInteger(total) ? total : undefined };
  };
  if (report.capabilities.paging) {
    // Pages until an empty one (or the announced total): a source may answer fewer per page than asked.
    const all = new Map<string, Record_>();
    for (let page = 1; ; page += 1) {
      const { rows, total } = await ask({ page: String(page), page_size: String(maxPerAnswer) });
      let fresh = 0;
      for (const row of rows) {
        const id = String(row.service_request_id);
        if (!all.has(id)) fresh += 1;
        all.set(id, row);
      }
      if (rows.length === 0 || (total !== undefined && all.size >= total)) return [...all.values()];
      if (fresh === 0) {
        // The same rows again: the source ignores page. Walk by windows from here on.
        report.capabilities.paging = false;
        report.warnings.push('The source ignores page; walking by splitting windows instead.');
        break;
      }
    }
  }
  const { rows } = await ask({});
  if (rows.length < maxPerAnswer) return rows;
  const span = end.getTime() - start.getTime();
  if (span < 2000) {
    report.warnings.push(`${rows.length} requests at ${iso(start)} fill an answer and cannot be split: some may be missing.`);
    return rows;
  }
  // Full: split at a whole second and walk both halves.
  const middle = new Date(Math.floor((start.getTime() + span / 2) / 1000) * 1000);
  const first = await fetchWindow(client, mode, start, new Date(middle.getTime() - 1), maxPerAnswer, report);
  const second = await fetchWindow(client, mode, middle, end, maxPerAnswer, report);
  return [...first, ...second];
}

/** FixMyStreet-style servicerequestupdates of a window, as notes by source request id. */
async function fetchUpdates(client: Open311Client, start: Date, end: Date): Promise<Map<string, ImportedNote[]>> {
  const notes = new Map<string, ImportedNote[]>();
  const answer = await client.get('servicerequestupdates', { start_date: iso(start), end_date: iso(end) });
  if (answer.status !== 200 || !Array.isArray(answer.body)) return notes;
  for (const entry of answer.body as Record_[]) {
    const id =
      entry.service_request_id === undefined || entry.service_request_id === null ? '' : String(entry.service_request_id);
    const when = new Date(String(entry.updated_datetime));
    if (!id || Number.isNaN(when.getTime())) continue;
    const closed = String(entry.status).toLowerCase() === 'closed';
    const note: ImportedNote = {
      key: `update:${String(entry.update_id ?? when.toISOString())}`,
      datetime: when,
      type: closed ? 'closed' : 'activity',
      status: closed ? 'closed' : 'open',
      detailed_status: closed ? 'closed' : 'in_progress',
      summary: null,
      description: entry.description ? String(entry.description) : null,
    };
    const list = notes.get(id) ?? [];
    list.push(note);
    notes.set(id, list);
  }
  return notes;
}
