// Writes imported requests: one statement per batch (the rows, their public history, and with `notify` the
// webhook events), keyed by the source's id so that a re-run updates what changed and never duplicates.
// Routing and deadlines use the same SQL rules as a create when the source does not say; duplicate flagging
// does not apply to history. Imported requests have no API key and no submitter data (public sources
// carry none).
import type { ImportCounts, ImportedNote, ImportedRequest } from '../domain/import.js';
import type { Db } from './db.js';
import { DEADLINE_SQL, REQUEST_EVENT_PAYLOAD_SQL, ROUTED_AGENCY_SQL } from './request-rules-sql.js';

// The batch arrives as one array per column (unnested together), not as JSON: PostgreSQL reads an array
// literal much faster than it builds and walks a jsonb document, and it knows an array's length when it plans,
// so the notes are joined to the written rows by hash, not by a nested loop over both.
const UPSERT_SQL = `
WITH catalog AS MATERIALIZED (
  -- Once per service, not per row: whether any routing rule could apply.
  SELECT service.id, service.service_code, service.response_hours, service.agency_responsible,
         EXISTS (SELECT 1 FROM routing_rules rule WHERE rule.service_id = service.id) AS routed
  FROM services service WHERE service.jurisdiction_id = :jurisdiction
),
input AS MATERIALIZED (
  SELECT t.*, service.id AS service_id, service.response_hours, service.agency_responsible AS default_agency,
         service.routed,
         CASE WHEN t.lat IS NULL OR t.long IS NULL THEN NULL
              ELSE ST_SetSRID(ST_MakePoint(t.long, t.lat), 4326)::geography END AS location
  FROM unnest(:external_id::text[], :service_code::text[], :status::text[], :detailed_status::text[],
              :status_notes::text[], :description::text[], :agency_responsible::text[], :service_notice::text[],
              :requested_datetime::timestamptz[], :updated_datetime::timestamptz[], :expected_datetime::timestamptz[],
              :closed_datetime::timestamptz[], :address::text[], :address_id::text[], :zipcode::text[],
              :lat::double precision[], :long::double precision[], :media_urls::text[], :title::text[], :channel::text[])
       AS t(external_id, service_code, status, detailed_status, status_notes, description, agency_responsible,
            service_notice, requested_datetime, updated_datetime, expected_datetime, closed_datetime, address,
            address_id, zipcode, lat, long, media_urls, title, channel)
  JOIN catalog service ON service.service_code = t.service_code
),
notes AS (
  SELECT * FROM unnest(:note_external_id::text[], :note_key::text[], :note_datetime::timestamptz[], :note_type::text[],
                       :note_status::text[], :note_detailed_status::text[], :note_summary::text[],
                       :note_description::text[])
       AS note(external_id, key, datetime, type, status, detailed_status, summary, description)
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
  RETURNING id, external_id, (xmax = 0) AS inserted, jurisdiction_id, service_id, status, status_notes, description,
            agency_responsible, service_notice, requested_datetime, updated_datetime, expected_datetime, address,
            address_id, zipcode, location, media_urls, detailed_status
),
history AS (
  INSERT INTO service_request_updates (service_request_id, jurisdiction_id, note_type, status, detailed_status, summary,
                                       description, updated_datetime, created_at, external_key)
  SELECT upserted.id, upserted.jurisdiction_id, note.type, note.status, note.detailed_status, note.summary,
         note.description, note.datetime, note.datetime, note.key
  FROM upserted JOIN notes note ON note.external_id = upserted.external_id
  ON CONFLICT (service_request_id, external_key) WHERE external_key IS NOT NULL DO NOTHING
),
deliveries AS (
  INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload)
  SELECT hook.id, CASE WHEN upserted.inserted THEN 'request.created' ELSE 'request.updated' END, event.id,
         ${REQUEST_EVENT_PAYLOAD_SQL('upserted', 'service', 'upserted.detailed_status')}
  FROM upserted
  JOIN services service ON service.id = upserted.service_id
  CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE upserted.id IS NOT NULL) event
  JOIN webhooks hook ON :notify AND hook.jurisdiction_id = upserted.jurisdiction_id AND hook.active
   AND (CASE WHEN upserted.inserted THEN 'request.created' ELSE 'request.updated' END) = ANY(hook.events)
)
SELECT (SELECT count(*) FROM upserted WHERE inserted)::int AS created,
       (SELECT count(*) FROM upserted WHERE NOT inserted)::int AS updated`;

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
  const notes = rows.flatMap((request) => request.notes.map((note) => ({ external_id: request.external_id, note })));
  const result = await db.raw(UPSERT_SQL, {
    jurisdiction: jurisdictionId,
    external_id: textArray(rows.map((request) => request.external_id)),
    service_code: textArray(rows.map((request) => request.service_code)),
    status: textArray(rows.map((request) => request.status)),
    detailed_status: textArray(rows.map((request) => request.detailed_status)),
    status_notes: textArray(rows.map((request) => request.status_notes)),
    description: textArray(rows.map((request) => request.description)),
    agency_responsible: textArray(rows.map((request) => request.agency_responsible)),
    service_notice: textArray(rows.map((request) => request.service_notice)),
    requested_datetime: dateArray(rows.map((request) => request.requested_datetime)),
    updated_datetime: dateArray(rows.map((request) => request.updated_datetime)),
    expected_datetime: dateArray(rows.map((request) => request.expected_datetime)),
    closed_datetime: dateArray(rows.map((request) => request.closed_datetime)),
    address: textArray(rows.map((request) => request.address)),
    address_id: textArray(rows.map((request) => request.address_id)),
    zipcode: textArray(rows.map((request) => request.zipcode)),
    lat: numberArray(rows.map((request) => request.lat)),
    long: numberArray(rows.map((request) => request.long)),
    // Each row's list as an array literal of its own (an array of arrays must be rectangular).
    media_urls: textArray(rows.map((request) => (request.media_urls.length > 0 ? textArray(request.media_urls) : null))),
    title: textArray(rows.map((request) => request.title)),
    channel: textArray(rows.map((request) => (request.source_channel ? `import:${request.source_channel}` : 'import'))),
    note_external_id: textArray(notes.map(({ external_id }) => external_id)),
    note_key: textArray(notes.map(({ note }) => note.key)),
    note_datetime: dateArray(notes.map(({ note }) => note.datetime)),
    note_type: textArray(notes.map(({ note }) => note.type)),
    note_status: textArray(notes.map(({ note }) => note.status)),
    note_detailed_status: textArray(notes.map(({ note }) => note.detailed_status)),
    note_summary: textArray(notes.map(({ note }) => note.summary)),
    note_description: textArray(notes.map(({ note }) => note.description)),
    source,
    notify: options.notify,
  });
  const counts = result.rows[0] as { created: number; updated: number };
  return { created: counts.created, updated: counts.updated, unchanged: requests.length - counts.created - counts.updated };
}

/**
 * A PostgreSQL text[] literal: every value quoted (backslash and quote escaped), null as NULL. NUL characters,
 * which PostgreSQL text cannot hold, are dropped.
 */
function textArray(values: ReadonlyArray<string | null>): string {
  // Joined from parts, not concatenated: the driver then writes one flat string, not a rope it must flatten.
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (value == null) parts[index] = 'NULL';
    else if (ARRAY_ESCAPED.test(value))
      parts[index] = `"${value.replace(ARRAY_ESCAPED_ALL, (character) => ARRAY_ESCAPES.get(character) ?? '')}"`;
    else parts[index] = `"${value}"`;
  }
  return `{${parts.join(',')}}`;
}

const ARRAY_ESCAPED = /[\\"\u0000]/;
const ARRAY_ESCAPED_ALL = /[\\"\u0000]/g;
const ARRAY_ESCAPES = new Map([
  ['\\', '\\\\'],
  ['"', '\\"'],
]);

function dateArray(values: ReadonlyArray<Date | null>): string {
  return `{${values.map((value) => (value ? value.toISOString() : 'NULL')).join(',')}}`;
}

function numberArray(values: ReadonlyArray<number | null>): string {
  return `{${values.map((value) => (value == null ? 'NULL' : String(value))).join(',')}}`;
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
