// Writes imported requests: one statement per batch (the rows, their public history, and with `notify` the
// webhook events), keyed by the source's id so that a re-run updates what changed and never duplicates.
// Routing and deadlines use the same SQL rules as a create when the source does not say; duplicate flagging
// does not apply to history. Imported requests have no API key and no submitter data (public sources
// carry none).
import type { ImportCounts, ImportedNote, ImportedRequest } from '../domain/import.js';
import { type Db, isEmbedded } from './db.js';
import { DEADLINE_SQL, REQUEST_EVENT_PAYLOAD_SQL, ROUTED_AGENCY_SQL } from './request-rules-sql.js';

// The batch arrives as one array per column (unnested together), not as JSON: PostgreSQL reads an array
// literal much faster than it builds and walks a jsonb document, and it knows an array's length when it plans,
// so the notes are joined to the written rows by hash, not by a nested loop over both.
// Instants travel as milliseconds since 1970, which PostgreSQL reads in half the time of ISO 8601 text;
// whole seconds and the milliseconds apart keep them exact (ms / 1000 as one double is not, past ~2240).
const INSTANT_SQL = (milliseconds: string): string =>
  `(to_timestamp(floor(${milliseconds} / 1000)) + make_interval(secs => (${milliseconds} - floor(${milliseconds} / 1000) * 1000) / 1000))`;

/** The notes of the batch's requests that `which` selects (a condition on `upserted`), as history entries. */
const NOTES_INSERT_SQL = (which: string): string => `
  INSERT INTO service_request_updates (service_request_id, jurisdiction_id, note_type, status, detailed_status, summary,
                                       description, updated_datetime, created_at, external_key)
  SELECT upserted.id, upserted.jurisdiction_id, note.type, note.status, note.detailed_status, note.summary,
         note.description, note.datetime, note.datetime, note.key
  FROM upserted JOIN notes note ON note.external_id = upserted.external_id
  WHERE ${which}`;

/** The batch statement; with `notify` it also writes the webhook events (and returns what their payload needs). */
const upsertSql = (notify: boolean): string => `
WITH catalog AS MATERIALIZED (
  -- Once per service, not per row: whether any routing rule could apply.
  SELECT service.id, service.service_code, service.response_hours, service.agency_responsible,
         EXISTS (SELECT 1 FROM routing_rules rule WHERE rule.service_id = service.id) AS routed
  FROM services service WHERE service.jurisdiction_id = :jurisdiction
),
input AS MATERIALIZED (
  SELECT t.*, service.id AS service_id, service.response_hours, service.agency_responsible AS default_agency,
         service.routed, ${INSTANT_SQL('t.requested_ms')} AS requested_datetime,
         ${INSTANT_SQL('t.updated_ms')} AS updated_datetime, ${INSTANT_SQL('t.expected_ms')} AS expected_datetime,
         ${INSTANT_SQL('t.closed_ms')} AS closed_datetime,
         CASE WHEN t.lat IS NULL OR t.long IS NULL THEN NULL
              ELSE ST_SetSRID(ST_MakePoint(t.long, t.lat), 4326)::geography END AS location
  FROM unnest(:external_id::text[], :service_code::text[], :status::text[], :detailed_status::text[],
              :status_notes::text[], :description::text[], :agency_responsible::text[], :service_notice::text[],
              :requested_datetime::float8[], :updated_datetime::float8[], :expected_datetime::float8[],
              :closed_datetime::float8[], :address::text[], :address_id::text[], :zipcode::text[],
              :lat::double precision[], :long::double precision[], :media_urls::text[], :title::text[], :channel::text[])
       AS t(external_id, service_code, status, detailed_status, status_notes, description, agency_responsible,
            service_notice, requested_ms, updated_ms, expected_ms, closed_ms, address,
            address_id, zipcode, lat, long, media_urls, title, channel)
  JOIN catalog service ON service.service_code = t.service_code
),
notes AS (
  SELECT note.*, ${INSTANT_SQL('note.datetime_ms')} AS datetime
  FROM unnest(:note_external_id::text[], :note_key::text[], :note_datetime::float8[], :note_type::text[],
                       :note_status::text[], :note_detailed_status::text[], :note_summary::text[],
                       :note_description::text[])
       AS note(external_id, key, datetime_ms, type, status, detailed_status, summary, description)
),
upserted AS (
  INSERT INTO service_requests (jurisdiction_id, service_id, status, detailed_status, status_notes, description,
                                agency_responsible, agency_id, service_notice, requested_datetime, updated_datetime,
                                expected_datetime, closed_datetime, address, address_id, zipcode, location, media_urls,
                                channel, title, external_source, external_id)
  SELECT :jurisdiction, input.service_id, input.status, input.detailed_status, input.status_notes, input.description,
         COALESCE(input.agency_responsible, routed.name, input.default_agency),
         CASE WHEN input.agency_responsible IS NULL THEN routed.id END,
         input.service_notice, input.requested_datetime, input.updated_datetime,
         COALESCE(input.expected_datetime, ${DEADLINE_SQL('input.requested_datetime', 'input.response_hours')}),
         input.closed_datetime, input.address, input.address_id, input.zipcode, input.location,
         COALESCE(input.media_urls::text[], '{}'), input.channel, input.title, :source, input.external_id
  FROM input
  LEFT JOIN LATERAL ${ROUTED_AGENCY_SQL('input.service_id', 'input.location')} routed
    ON input.agency_responsible IS NULL AND input.routed
  ON CONFLICT (jurisdiction_id, external_source, external_id) WHERE external_id IS NOT NULL
  DO UPDATE SET service_id = EXCLUDED.service_id, status = EXCLUDED.status, detailed_status = EXCLUDED.detailed_status,
                status_notes = EXCLUDED.status_notes, description = EXCLUDED.description,
                agency_responsible = EXCLUDED.agency_responsible, agency_id = EXCLUDED.agency_id,
                service_notice = EXCLUDED.service_notice, updated_datetime = EXCLUDED.updated_datetime,
                expected_datetime = EXCLUDED.expected_datetime, closed_datetime = EXCLUDED.closed_datetime,
                address = EXCLUDED.address, address_id = EXCLUDED.address_id, zipcode = EXCLUDED.zipcode,
                location = EXCLUDED.location, media_urls = EXCLUDED.media_urls, title = EXCLUDED.title,
                version = service_requests.version + 1
  -- Only what changed in the source since the last run.
  WHERE service_requests.updated_datetime < EXCLUDED.updated_datetime
  RETURNING id, external_id, (xmax = 0) AS inserted, jurisdiction_id${
    notify
      ? `, service_id, status, status_notes, description, agency_responsible, service_notice, requested_datetime,
            updated_datetime, expected_datetime, address, address_id, zipcode, location, media_urls, detailed_status`
      : ''
  }
),
-- A request written before may hold some of its notes already; a new one holds none (so its notes need no
-- check of the unique key first, which costs as much as the insert).
history AS (${NOTES_INSERT_SQL('upserted.inserted')}
),
history_of_updated AS (${NOTES_INSERT_SQL('NOT upserted.inserted')}
  ON CONFLICT (service_request_id, external_key) WHERE external_key IS NOT NULL DO NOTHING
)${
  notify
    ? `,
deliveries AS (
  INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload)
  SELECT hook.id, CASE WHEN upserted.inserted THEN 'request.created' ELSE 'request.updated' END, event.id,
         ${REQUEST_EVENT_PAYLOAD_SQL('upserted', 'service', 'upserted.detailed_status')}
  FROM upserted
  JOIN services service ON service.id = upserted.service_id
  CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE upserted.id IS NOT NULL) event
  JOIN webhooks hook ON hook.jurisdiction_id = upserted.jurisdiction_id AND hook.active
   AND (CASE WHEN upserted.inserted THEN 'request.created' ELSE 'request.updated' END) = ANY(hook.events)
)`
    : ''
}
SELECT (SELECT count(*) FROM upserted WHERE inserted)::int AS created,
       (SELECT count(*) FROM upserted WHERE NOT inserted)::int AS updated`;

const UPSERT_SQL = upsertSql(false);
const UPSERT_NOTIFY_SQL = upsertSql(true);

/** The services a batch names that the jurisdiction does not have (the importer creates or maps them first). */
export async function missingServiceCodes(db: Db, jurisdictionId: string, codes: string[]): Promise<string[]> {
  if (codes.length === 0) return [];
  const rows: Array<{ service_code: string }> = await db('services')
    .select('service_code')
    .where('jurisdiction_id', jurisdictionId)
    .whereIn('service_code', codes);
  const known = new Set(rows.map((row) => row.service_code));
  return codes.filter((code) => !known.has(code));
}

/**
 * Creates or updates a batch of imported requests in one statement (atomic: a batch is never half-imported).
 * A request already imported is updated only when its source's updated_datetime is newer. Each request's
 * service must exist. With `notify`, webhook subscribers get request.created / request.updated events.
 */
export async function upsertImportedRequests(
  db: Db,
  jurisdictionId: string,
  source: string,
  requests: ImportedRequest[],
  options: { notify: boolean },
): Promise<ImportCounts> {
  if (requests.length === 0) return { created: 0, updated: 0, unchanged: 0 };
  // One row per external id (the last one wins): a statement may not update the same row twice.
  const byId = new Map<string, ImportedRequest>();
  for (const request of requests) byId.set(request.external_id, request);
  const rows = [...byId.values()];
  // One pass over the batch, each column's values quoted as they are met (array literals joined at the end).
  const column = {
    external_id: [] as string[],
    service_code: [] as string[],
    status: [] as string[],
    detailed_status: [] as string[],
    status_notes: [] as string[],
    description: [] as string[],
    agency_responsible: [] as string[],
    service_notice: [] as string[],
    requested_datetime: [] as string[],
    updated_datetime: [] as string[],
    expected_datetime: [] as string[],
    closed_datetime: [] as string[],
    address: [] as string[],
    address_id: [] as string[],
    zipcode: [] as string[],
    lat: [] as string[],
    long: [] as string[],
    media_urls: [] as string[],
    title: [] as string[],
    channel: [] as string[],
    note_external_id: [] as string[],
    note_key: [] as string[],
    note_datetime: [] as string[],
    note_type: [] as string[],
    note_status: [] as string[],
    note_detailed_status: [] as string[],
    note_summary: [] as string[],
    note_description: [] as string[],
  };
  for (const request of rows) {
    const externalId = quoted(request.external_id);
    column.external_id.push(externalId);
    column.service_code.push(quoted(request.service_code));
    column.status.push(quoted(request.status));
    column.detailed_status.push(quoted(request.detailed_status));
    column.status_notes.push(quoted(request.status_notes));
    column.description.push(quoted(request.description));
    column.agency_responsible.push(quoted(request.agency_responsible));
    column.service_notice.push(quoted(request.service_notice));
    column.requested_datetime.push(timestamp(request.requested_datetime));
    column.updated_datetime.push(timestamp(request.updated_datetime));
    column.expected_datetime.push(timestamp(request.expected_datetime));
    column.closed_datetime.push(timestamp(request.closed_datetime));
    column.address.push(quoted(request.address));
    column.address_id.push(quoted(request.address_id));
    column.zipcode.push(quoted(request.zipcode));
    column.lat.push(request.lat === null ? 'NULL' : String(request.lat));
    column.long.push(request.long === null ? 'NULL' : String(request.long));
    // Each row's list as an array literal of its own (an array of arrays must be rectangular).
    column.media_urls.push(request.media_urls.length > 0 ? quoted(arrayLiteral(request.media_urls.map(quoted))) : 'NULL');
    column.title.push(quoted(request.title));
    column.channel.push(quoted(request.source_channel ? `import:${request.source_channel}` : 'import'));
    for (const note of request.notes) {
      column.note_external_id.push(externalId);
      column.note_key.push(quoted(note.key));
      column.note_datetime.push(timestamp(note.datetime));
      column.note_type.push(quoted(note.type));
      column.note_status.push(quoted(note.status));
      column.note_detailed_status.push(quoted(note.detailed_status));
      column.note_summary.push(quoted(note.summary));
      column.note_description.push(quoted(note.description));
    }
  }
  const literals = Object.fromEntries(Object.entries(column).map(([name, values]) => [name, arrayLiteral(values)]));
  const bindings = { ...literals, jurisdiction: jurisdictionId, source };
  const statement = options.notify ? UPSERT_NOTIFY_SQL : UPSERT_SQL;
  // The embedded store has one connection (no batch runs beside another) and keeps its own durability rules.
  if (isEmbedded(db)) return countsOf(await db.raw(statement, bindings), requests.length);
  // Each batch is its own transaction (a savepoint inside a caller's), committed without waiting for its WAL to
  // reach the disk: still atomic, and a crash loses at most the last batches acknowledged, which the next run
  // (idempotent) writes again.
  const result = await db.transaction(async (trx): Promise<BatchResult> => {
    await trx.raw('SET LOCAL synchronous_commit = off');
    return await trx.raw(statement, bindings);
  });
  return countsOf(result, requests.length);
}

type BatchResult = { rows: Array<{ created: number; updated: number }> };

function countsOf(result: BatchResult, batchSize: number): ImportCounts {
  const counts = result.rows[0]!;
  return { created: counts.created, updated: counts.updated, unchanged: batchSize - counts.created - counts.updated };
}

/**
 * One value of a PostgreSQL array literal: quoted (backslash and quote escaped), null as NULL. NUL characters,
 * which PostgreSQL text cannot hold, are dropped.
 */
function quoted(value: string | null): string {
  if (value === null) return 'NULL';
  if (ARRAY_ESCAPED.test(value))
    return `"${value.replace(ARRAY_ESCAPED_ALL, (character) => ARRAY_ESCAPES.get(character) ?? '')}"`;
  return `"${value}"`;
}

const ARRAY_ESCAPED = /[\\"\u0000]/;
const ARRAY_ESCAPED_ALL = /[\\"\u0000]/g;
const ARRAY_ESCAPES = new Map([
  ['\\', '\\\\'],
  ['"', '\\"'],
]);

/** An instant as milliseconds since 1970 (INSTANT_SQL reads it). */
function timestamp(value: Date | null): string {
  return value === null ? 'NULL' : String(value.getTime());
}

/** Values already quoted, as one literal (joined, not concatenated: the driver then sends one flat string). */
function arrayLiteral(values: string[]): string {
  return `{${values.join(',')}}`;
}

export interface ImportCheckpoint {
  /** When the run that last finished started: the next run asks for changes since then. */
  finished_run_started_at?: string;
  /** A run in progress: where it started, what it walks, and the end of the last window it finished. */
  running?: { started_at: string; since: string; until: string; mode: 'windows' | 'updated_after'; done_until: string };
}

export async function readCheckpoint(db: Db, jurisdictionId: string, source: string): Promise<ImportCheckpoint> {
  const row: { state: ImportCheckpoint } | undefined = await db('import_checkpoints')
    .select('state')
    .where({ jurisdiction_id: jurisdictionId, source })
    .first();
  return row?.state ?? {};
}

export async function writeCheckpoint(db: Db, jurisdictionId: string, source: string, state: ImportCheckpoint): Promise<void> {
  await db('import_checkpoints')
    .insert({ jurisdiction_id: jurisdictionId, source, state: JSON.stringify(state), updated_at: db.fn.now() })
    .onConflict(['jurisdiction_id', 'source'])
    .merge();
}

/** History entries for requests imported earlier (a source's servicerequestupdates), each added once. */
export async function addImportedNotes(
  db: Db,
  jurisdictionId: string,
  source: string,
  notes: ReadonlyMap<string, ImportedNote[]>,
): Promise<void> {
  const rows = [...notes].flatMap(([externalId, list]) => list.map((note) => ({ external_id: externalId, ...note })));
  if (rows.length === 0) return;
  await db.raw(
    `INSERT INTO service_request_updates (service_request_id, jurisdiction_id, note_type, status, detailed_status, summary,
                                          description, updated_datetime, created_at, external_key)
     SELECT r.id, r.jurisdiction_id, note.type, note.status, note.detailed_status, note.summary, note.description,
            note.datetime, note.datetime, note.key
     FROM jsonb_to_recordset(:rows::jsonb) AS note(external_id text, key text, datetime timestamptz, type text, status text,
                                                   detailed_status text, summary text, description text)
     JOIN service_requests r ON r.jurisdiction_id = :jurisdiction AND r.external_source = :source AND r.external_id = note.external_id
     ON CONFLICT (service_request_id, external_key) WHERE external_key IS NOT NULL DO NOTHING`,
    { rows: JSON.stringify(rows), jurisdiction: jurisdictionId, source },
  );
}
