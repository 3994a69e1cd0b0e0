// Writes imported requests: one statement per batch (the rows, their public history, and with `notify` the
// webhook events), keyed by the source's id so that a re-run updates what changed and never duplicates.
// Routing and deadlines use the same SQL rules as a create when the source does not say; duplicate flagging
// does not apply to history. Imported requests have no API key and no submitter data (public sources
// carry none).
import type { ImportCounts, ImportedNote, ImportedRequest } from '../domain/import.js';
import type { Db } from './db.js';
import { DEADLINE_SQL, REQUEST_EVENT_PAYLOAD_SQL, ROUTED_AGENCY_SQL } from './request-rules-sql.js';

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
  FROM jsonb_to_recordset(:rows::jsonb) AS t(
         external_id text, service_code text, status text, detailed_status text, status_notes text, description text,
         agency_responsible text, service_notice text, requested_datetime timestamptz, updated_datetime timestamptz,
         expected_datetime timestamptz, closed_datetime timestamptz, address text, address_id text, zipcode text,
         lat double precision, long double precision, media_urls text[], title text, channel text, notes jsonb)
  JOIN catalog service ON service.service_code = t.service_code
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
         COALESCE(input.media_urls, '{}'), input.channel, input.title, :source, input.external_id
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
notes_by_id AS MATERIALIZED (SELECT jsonb_object_agg(external_id, notes) AS notes FROM input),
history AS (
  INSERT INTO service_request_updates (service_request_id, jurisdiction_id, note_type, status, detailed_status, summary,
                                       description, updated_datetime, created_at, external_key)
  SELECT upserted.id, :jurisdiction, note.type, note.status, note.detailed_status, note.summary, note.description,
         note.datetime, note.datetime, note.key
  FROM upserted
  -- Each request's notes looked up by id in one object: a join of the two CTEs would be planned as a nested
  -- loop (their sizes are unknown to the planner), quadratic in the batch.
  CROSS JOIN LATERAL jsonb_to_recordset((SELECT notes FROM notes_by_id) -> upserted.external_id) AS note(
         key text, datetime timestamptz, type text, status text, detailed_status text, summary text, description text)
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
SELECT (SELECT count(*) FROM input)::int AS matched,
       (SELECT count(*) FROM upserted WHERE inserted)::int AS created,
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
  const rows = [...byId.values()].map((request) => ({
    external_id: request.external_id,
    service_code: request.service_code,
    status: request.status,
    detailed_status: request.detailed_status,
    status_notes: request.status_notes,
    description: request.description,
    agency_responsible: request.agency_responsible,
    service_notice: request.service_notice,
    requested_datetime: request.requested_datetime,
    updated_datetime: request.updated_datetime,
    expected_datetime: request.expected_datetime,
    closed_datetime: request.closed_datetime,
    address: request.address,
    address_id: request.address_id,
    zipcode: request.zipcode,
    lat: request.lat,
    long: request.long,
    media_urls: request.media_urls,
    title: request.title,
    channel: request.source_channel ? `import:${request.source_channel}` : 'import',
    notes: request.notes,
  }));
  const result = await db.raw(UPSERT_SQL, {
    rows: JSON.stringify(rows).replace(/\\u0000/g, ''),
    jurisdiction: jurisdictionId,
    source,
    notify: options.notify,
  });
  const counts = result.rows[0] as { matched: number; created: number; updated: number };
  return { created: counts.created, updated: counts.updated, unchanged: requests.length - counts.created - counts.updated };
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
