// Service request queries. Public reads select public columns only: the submitter's private data lives in
// service_request_submitters, which no query here reads, so it cannot reach a GET by accident.
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { CATALOG_CHANGESET_SQL } from './catalog-store.js';
import { CREATE_NOTIFICATIONS_SQL, newSubscriptionToken } from './notifications-store.js';
import { isStorableId } from './ids.js';
import { publicRequestColumns } from './request-columns.js';
import { DEADLINE_SQL, DUPLICATE_WINDOW_SQL, REQUEST_EVENT_PAYLOAD_SQL, ROUTED_AGENCY_SQL } from './request-rules-sql.js';
import { insideBox, type PlaceNarrowing, placeCells, withinMeters } from './spatial.js';
import type {
  CreatedRequest,
  ExtendedAttributes,
  NewServiceRequest,
  Note,
  RequestQuery,
  ServiceRequest,
  TokenLookup,
} from '../domain/types.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export { isStorableId } from './ids.js';

// One statement stores a whole batch of new requests (see request-writer.ts): the request rows, their first
// history entries, submitter rows, tokens, webhook deliveries and remembered Idempotency-Key answers. A single
// statement is atomic without BEGIN/COMMIT, and its text never changes with the batch size (the batch is one
// jsonb parameter), so each create costs the database a share of one round trip, one plan and one commit.
//
// Each row carries the lookups it was validated against (the API key, the catalog changeset): a row whose key
// was revoked or whose catalog changed since is not stored, and the caller revalidates it.
const INSERT_REQUESTS_SQL = `
WITH input AS MATERIALIZED (
  SELECT t.*,
         nextval('service_requests_id_seq') AS id,
         CASE WHEN t.lat IS NULL OR t.long IS NULL THEN NULL
              ELSE ST_SetSRID(ST_MakePoint(t.long, t.lat), 4326)::geography END AS location
  FROM jsonb_to_recordset(?::jsonb) AS t(
         ordinal integer, jurisdiction_id text, service_id bigint, catalog_changeset text, api_key_id bigint,
         description text, lat double precision, long double precision, address text, address_id text,
         zipcode text, media_urls text[], attributes jsonb, channel text, title text, service_notice text,
         default_agency text, duplicate_radius double precision, duplicate_hours double precision,
         email text, phone text, first_name text, last_name text, device_id text, account_id text,
         token text, idempotency_key text, idempotency_fingerprint text, answer jsonb, realtime boolean,
         notify_email text, notify_language text, notify_token text, notify_alerts boolean)
  JOIN api_keys api_key ON api_key.id = t.api_key_id AND api_key.revoked_at IS NULL
  JOIN jurisdictions jurisdiction ON jurisdiction.jurisdiction_id = t.jurisdiction_id
   AND ${CATALOG_CHANGESET_SQL('jurisdiction.catalog_changed_at')} = t.catalog_changeset
),
created AS (
  INSERT INTO service_requests (id, jurisdiction_id, service_id, status, description, agency_responsible, agency_id,
                                suspected_duplicate_of, service_notice, expected_datetime, address, address_id, zipcode,
                                location, media_urls, attributes, api_key_id, channel, title)
  SELECT input.id, input.jurisdiction_id, input.service_id, 'open', input.description,
         COALESCE(routed.name, input.default_agency), routed.id, duplicate.id, input.service_notice,
         -- The service's response-time target sets the deadline.
         ${DEADLINE_SQL('now()', 'service.response_hours')},
         input.address, input.address_id, input.zipcode, input.location, COALESCE(input.media_urls, '{}'),
         input.attributes, input.api_key_id, input.channel, input.title
  FROM input
  JOIN services service ON service.id = input.service_id
  -- Routing: the agency of the service's rule for the area the point falls in, else of its rule without an area.
  LEFT JOIN LATERAL ${ROUTED_AGENCY_SQL('input.service_id', 'input.location')} routed ON true
  -- A suspected duplicate: the nearest open request of the same service, close by and recent (ties: the
  -- lowest id; never merged). Rows of the same statement do not see each other, like concurrent transactions.
  -- Two bounded probes of service_requests_open_duplicate_gist (service, place and date in the index, so
  -- other services and old requests are left in the index): the nearest candidate on the sphere (KNN, one
  -- row), then the nearest on the spheroid, as ST_Distance measures, among the candidates no farther than that
  -- one (a few millimetres of slack for rounding). However dense the place, each reads a row or two.
  LEFT JOIN LATERAL (
    SELECT candidate.location FROM service_requests candidate
    WHERE input.duplicate_radius IS NOT NULL AND input.location IS NOT NULL
      AND candidate.status = 'open' AND candidate.service_id = input.service_id
      AND ${DUPLICATE_WINDOW_SQL('candidate.requested_datetime', 'now()', 'input.duplicate_hours')}
      AND ST_DWithin(candidate.location, input.location, input.duplicate_radius)
      AND candidate.jurisdiction_id = input.jurisdiction_id
    ORDER BY candidate.location <-> input.location
    LIMIT 1) nearest ON true
  LEFT JOIN LATERAL (
    SELECT other.id FROM service_requests other
    WHERE nearest.location IS NOT NULL
      AND other.status = 'open' AND other.service_id = input.service_id
      AND ${DUPLICATE_WINDOW_SQL('other.requested_datetime', 'now()', 'input.duplicate_hours')}
      AND ST_DWithin(other.location, input.location, least(input.duplicate_radius, ST_Distance(nearest.location, input.location) + 0.005))
      AND other.jurisdiction_id = input.jurisdiction_id
    ORDER BY ST_Distance(other.location, input.location), other.id
    LIMIT 1) duplicate ON true
  ORDER BY input.ordinal
  RETURNING id, jurisdiction_id, service_id, status, status_notes, description, agency_responsible, service_notice,
            requested_datetime, updated_datetime, expected_datetime, address, address_id, zipcode, location,
            media_urls, api_key_id
),
history AS (
  INSERT INTO service_request_updates (service_request_id, jurisdiction_id, note_type, status, detailed_status, summary, description, api_key_id)
  SELECT id, jurisdiction_id, 'opened', 'open', 'submitted', 'Request received', '', api_key_id FROM created
),
submitters AS (
  INSERT INTO service_request_submitters (service_request_id, email, phone, first_name, last_name, device_id, account_id)
  SELECT input.id, input.email, input.phone, input.first_name, input.last_name, input.device_id, input.account_id
  FROM created JOIN input ON input.id = created.id
  WHERE COALESCE(input.email, input.phone, input.first_name, input.last_name, input.device_id, input.account_id) IS NOT NULL
),
tokens AS (
  INSERT INTO request_tokens (token, jurisdiction_id, service_request_id)
  SELECT input.token, input.jurisdiction_id, input.id FROM created JOIN input ON input.id = created.id
  WHERE input.token IS NOT NULL
),
-- Webhook event: public fields only (never the submitter's data), dates as UTC ISO 8601 like JSON.stringify.
events AS MATERIALIZED (
  SELECT created.jurisdiction_id, gen_random_uuid() AS event_id,
         ${REQUEST_EVENT_PAYLOAD_SQL('created', 'service', "'submitted'")} AS payload
  FROM created JOIN services service ON service.id = created.service_id
  WHERE EXISTS (SELECT 1 FROM webhooks hook
                WHERE hook.jurisdiction_id = created.jurisdiction_id AND hook.active AND 'request.created' = ANY(hook.events))
),
deliveries AS (
  INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload)
  SELECT hook.id, 'request.created', events.event_id, events.payload
  FROM events JOIN webhooks hook ON hook.jurisdiction_id = events.jurisdiction_id AND hook.active AND 'request.created' = ANY(hook.events)
),
-- Same statement: the remembered answer exists exactly when the request does.
remembered AS (
  INSERT INTO idempotency_keys (api_key_id, idempotency_key, fingerprint, response)
  SELECT input.api_key_id, input.idempotency_key, input.idempotency_fingerprint,
         CASE WHEN input.realtime THEN input.answer || jsonb_build_object('service_request_id', input.id::text) ELSE input.answer END
  FROM created JOIN input ON input.id = created.id
  WHERE input.idempotency_key IS NOT NULL
),
-- Same statement: the confirmation e-mail and area alerts exist exactly when the request does.
${CREATE_NOTIFICATIONS_SQL}
SELECT input.ordinal, input.id::text AS id FROM created JOIN input ON input.id = created.id`;

/**
 * Stores new requests in one statement. The answer is aligned with `batch`: the created request, or undefined
 * for a request whose API key or catalog changed since it was validated (nothing of it was stored).
 */
export async function insertRequests(
  db: Db,
  batch: NewServiceRequest[],
  options: { notifications?: boolean } = {},
): Promise<Array<CreatedRequest | undefined>> {
  // The answer of each create, but for a realtime service's id, which the statement adds once it is known.
  const answers = batch.map((request): CreatedRequest => {
    const answer: CreatedRequest = { service_notice: request.service.service_notice, account_id: request.submitter.account_id };
    if (request.service.type === 'batch') answer.token = request.token ?? undefined;
    return answer;
  });
  const rows = batch.map((request, ordinal) => {
    const submitter = request.submitter;
    return {
      ordinal,
      jurisdiction_id: request.jurisdiction_id,
      service_id: request.service.id,
      catalog_changeset: request.service.catalog_changeset,
      api_key_id: request.api_key_id,
      description: request.description,
      lat: request.lat,
      long: request.long,
      address: request.address,
      address_id: request.address_id,
      zipcode: request.zipcode,
      media_urls: request.media_urls,
      attributes: request.attributes,
      channel: request.channel,
      title: request.title,
      service_notice: request.service.service_notice,
      default_agency: request.service.agency_responsible,
      duplicate_radius: request.duplicate_search?.radius_meters ?? null,
      duplicate_hours: request.duplicate_search?.window_hours ?? null,
      ...submitter,
      token: request.token,
      idempotency_key: request.idempotency?.key ?? null,
      idempotency_fingerprint: request.idempotency?.fingerprint ?? null,
      answer: answers[ordinal],
      realtime: request.service.type === 'realtime',
      // E-mail notifications (when on): the submitter's subscription, if the address is one we write to.
      ...(options.notifications && request.notify_email
        ? { notify_email: request.notify_email, notify_language: request.language, notify_token: newSubscriptionToken() }
        : {}),
      notify_alerts: options.notifications === true,
    };
  });
  // jsonb refuses the \\ud800-style escapes JSON.stringify writes for lone surrogates: store U+FFFD instead,
  // as a text parameter would.
  let json = JSON.stringify(rows);
  if (json.includes('\\ud')) {
    json = JSON.stringify(rows, (_key, value: unknown) =>
      typeof value === 'string' ? value.replace(LONE_SURROGATE, '\ufffd') : value,
    );
  }
  const result = await db.raw(INSERT_REQUESTS_SQL, [json]);
  const ids = new Map<number, string>();
  for (const row of result.rows as Array<{ ordinal: number; id: string }>) ids.set(Number(row.ordinal), String(row.id));
  return batch.map((request, ordinal) => {
    const id = ids.get(ordinal);
    if (id === undefined) return undefined;
    return request.service.type === 'realtime' ? { ...answers[ordinal]!, service_request_id: id } : answers[ordinal];
  });
}

/**
 * The WHERE clause of a request query, shared by the list, its count, the bulk export and the map's clusters.
 * `narrowing`: how a place is narrowed before its exact test (see PlaceNarrowing).
 */
export function applyFilters(
  db: Db,
  builder: Knex.QueryBuilder,
  query: RequestQuery,
  narrowing: PlaceNarrowing = 'cells',
): Knex.QueryBuilder {
  builder.where('r.jurisdiction_id', query.jurisdiction_id).andWhere('r.is_public', true);
  if (query.service_request_ids) {
    const ids = query.service_request_ids.filter(isStorableId);
    // No storable id: match nothing (an empty IN list is not valid SQL).
    return ids.length === 0 ? builder.whereRaw('false') : builder.whereIn('r.id', ids);
  }
  if (query.service_codes) builder.whereIn('s.service_code', query.service_codes);
  if (query.statuses) builder.whereIn('r.status', query.statuses);
  if (query.requested_from) builder.where('r.requested_datetime', '>=', query.requested_from);
  if (query.requested_to) builder.where('r.requested_datetime', '<=', query.requested_to);
  if (query.updated_after) builder.where('r.updated_datetime', '>', query.updated_after);
  if (query.updated_before) builder.where('r.updated_datetime', '<', query.updated_before);
  // Spatial filters run in PostGIS on the GiST-indexed geography column.
  if (query.near) builder.where(withinMeters(db, 'r.location', query.near, narrowing));
  if (query.bbox) builder.where(insideBox(db, 'r.location', query.bbox, narrowing));
  return builder;
}

export function fromRequests(db: Db): Knex.QueryBuilder {
  return db('service_requests as r').join('services as s', 's.id', 'r.service_id');
}

// The newest-first walk of a list bounded by place reads at most this many index entries per row asked for,
// and never more than the cap; where the place holds fewer matches than that, the spatial index answers.
const WALK_PER_ROW = 100;
const MAX_WALK = 100_000;

/**
 * A list bounded by a larger place (more cells than findNewestByCells merges, or both a circle and a box),
 * newest first, whatever the density of the place: the jurisdiction's
 * requests of the window are walked newest first on the covering date index (location, is_public, status and
 * service_id are in it: an index-only scan), the place and filters tested on each entry, until the page is
 * full. That costs the same in a dense downtown as anywhere, and the planner's estimate of the place's size
 * (200 rows where 500,000 were, at 10M) no longer decides anything. When the walk ends before the page is full
 * (a sparse place: few matches), the spatial index finds the few there are. Exact either way: a full page
 * found among the newest entries holds the newest matches.
 */
async function findNewestInPlace(db: Db, query: RequestQuery): Promise<ServiceRequest[] | undefined> {
  const walk = Math.min(MAX_WALK, WALK_PER_ROW * (query.limit + query.offset));
  const newest = db('service_requests')
    .select('id', 'jurisdiction_id', 'is_public', 'service_id', 'status', 'requested_datetime', 'location')
    .where('jurisdiction_id', query.jurisdiction_id)
    .orderBy([
      { column: 'requested_datetime', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(walk);
  if (query.requested_from) newest.where('requested_datetime', '>=', query.requested_from);
  if (query.requested_to) newest.where('requested_datetime', '<=', query.requested_to);
  const walked = db.from(newest.as('r'));
  if (query.service_codes) walked.join('services as s', 's.id', 'r.service_id');
  // The walked entries come from the date index, which holds no cell: the place is narrowed by its box.
  const page = applyFilters(db, walked.select('r.id', 'r.requested_datetime'), query, 'envelope')
    .orderBy([
      { column: 'r.requested_datetime', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(query.limit)
    .offset(query.offset);
  const rows: ServiceRequest[] = await fromRequests(db)
    .select(publicRequestColumns(db))
    .join(page.as('p'), 'p.id', 'r.id')
    .orderBy([
      { column: 'p.requested_datetime', order: 'desc' },
      { column: 'p.id', order: 'desc' },
    ]);
  return rows.length === query.limit ? rows : undefined;
}

// A place of at most this many cells is listed by a merge of its cells (planning grows with each cell).
const MAX_MERGED_CELLS = 64;

/**
 * A list bounded by a small place, newest first, reading about as many index entries as the page asks for
 * however dense the place: the place-cell index holds each cell's requests newest first, so the place is the
 * union of its cells, one ordered index-only scan each, merged (a Merge Append) until the page is full. Cells
 * wholly inside the place are taken as they are; those its edge crosses test each point. Where the newest-first
 * walk of the date index reads every request of the city until enough of them fall in the place (27,000
 * entries for 1,000 rows within 200 m of the centre at 10M), this reads the page and the few misses of the
 * crossed cells. undefined: not such a place, or filters the index does not carry.
 */
async function findNewestByCells(db: Db, query: RequestQuery): Promise<ServiceRequest[] | undefined> {
  if ((query.near === undefined) === (query.bbox === undefined)) return undefined;
  const place = placeCells(db, 'r.location', query.near ? { near: query.near } : { bbox: query.bbox! });
  if (!place || place.cells.length > MAX_MERGED_CELLS) return undefined;
  // The services asked for, found once (an InitPlan): a join in each branch could undo its order.
  const services = query.service_codes
    ? db.raw('r.service_id = ANY(ARRAY(?))', [db('services').select('id').whereIn('service_code', query.service_codes)])
    : undefined;
  const branches = place.cells.map((cell) => {
    const branch = db('service_requests as r')
      .select('r.id', 'r.requested_datetime')
      .where('r.jurisdiction_id', query.jurisdiction_id)
      .whereRaw('open311_place_cell(r.location) = ?::bigint', [cell.number])
      .andWhere('r.is_public', true);
    if (query.requested_from) branch.where('r.requested_datetime', '>=', query.requested_from);
    if (query.requested_to) branch.where('r.requested_datetime', '<=', query.requested_to);
    if (query.statuses) branch.whereIn('r.status', query.statuses);
    if (services) branch.where(services);
    // Kept out of the index conditions, as in applyFilters (see spatial.ts), and out of the planner's
    // estimates: it would estimate the place's share in each branch from the spatial statistics again.
    if (!cell.inside) branch.whereRaw('COALESCE((?), false)', [place.exact]);
    // Ordered and limited in itself: a branch is planned on its own (a union member with conditions is not
    // pulled up into the outer query), and only an ordered branch can be merged.
    return branch
      .orderBy([
        { column: 'r.requested_datetime', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(query.limit + query.offset);
  });
  const union = db.raw(branches.map(() => '(?)').join(' UNION ALL '), branches);
  const page = db
    .select('u.id', 'u.requested_datetime')
    .from(db.raw('(?) AS u', [union]))
    .orderBy([
      { column: 'u.requested_datetime', order: 'desc' },
      { column: 'u.id', order: 'desc' },
    ])
    .limit(query.limit)
    .offset(query.offset);
  return fromRequests(db)
    .select(publicRequestColumns(db))
    .join(page.as('p'), 'p.id', 'r.id')
    .orderBy([
      { column: 'p.requested_datetime', order: 'desc' },
      { column: 'p.id', order: 'desc' },
    ]);
}

export async function findRequests(db: Db, query: RequestQuery): Promise<ServiceRequest[]> {
  // The walk tests only what the covering index holds: not the change windows, not a list of ids.
  const walkable =
    (query.near || query.bbox) && !query.service_request_ids && !query.updated_after && !query.updated_before && query.limit > 0;
  if (walkable) {
    const merged = await findNewestByCells(db, query);
    if (merged) return merged;
    const found = await findNewestInPlace(db, query);
    if (found) return found;
  }
  return applyFilters(db, fromRequests(db).select(publicRequestColumns(db)), query)
    .orderBy([
      { column: 'r.requested_datetime', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(query.limit)
    .offset(query.offset);
}

/**
 * A page and the total in one statement, for lists bounded by place (near, bbox): the matches are found once as
 * narrow rows (id and date; the planner combines the spatial and the date index), counted, and only the page's
 * rows are read in full. Ordering by date cannot stop early inside an area, so the count costs no second scan.
 */
export async function findRequestsWithTotal(db: Db, query: RequestQuery): Promise<{ requests: ServiceRequest[]; total: number }> {
  const from = query.service_codes && !query.service_request_ids ? fromRequests(db) : db('service_requests as r');
  const matches = applyFilters(db, from.select('r.id', 'r.requested_datetime'), query);
  const rows: Array<ServiceRequest & { result_count?: number }> = await db
    .withMaterialized('matches', matches)
    .select([...publicRequestColumns(db), db.raw('(SELECT count(*) FROM matches)::integer AS result_count')])
    .from(
      db.raw('(SELECT id, requested_datetime FROM matches ORDER BY requested_datetime DESC, id DESC LIMIT ? OFFSET ?) AS p', [
        query.limit,
        query.offset,
      ]),
    )
    .join('service_requests as r', 'r.id', 'p.id')
    .join('services as s', 's.id', 'r.service_id')
    .orderBy([
      { column: 'p.requested_datetime', order: 'desc' },
      { column: 'p.id', order: 'desc' },
    ]);
  // Past the last page there is no row to carry the total.
  const total = rows.length > 0 ? Number(rows[0]!.result_count) : query.offset > 0 ? await countRequests(db, query) : 0;
  for (const row of rows) delete row.result_count;
  return { requests: rows, total };
}

/** How many requests match, ignoring limit and offset (for paging headers). */
export async function countRequests(db: Db, query: RequestQuery): Promise<number> {
  // The join to services is only needed to filter on service_code.
  const from = query.service_codes && !query.service_request_ids ? fromRequests(db) : db('service_requests as r');
  const row = (await applyFilters(db, from, query).count({ count: '*' }).first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

/** Bulk export: walks the matching requests newest first in batches (keyset paging), never the whole table at once. */
export async function* exportRequests(
  db: Db,
  query: RequestQuery,
  batchSize = 1000,
): AsyncGenerator<Array<ServiceRequest & { closed_datetime: Date | null; detailed_status: string; channel: string | null }>> {
  let after: { requested: Date; id: string } | undefined;
  for (;;) {
    const builder = applyFilters(
      db,
      fromRequests(db).select([
        ...publicRequestColumns(db),
        'r.closed_datetime',
        'r.detailed_status',
        'r.channel',
        db.raw('r.id AS sort_id'),
      ]),
      query,
    );
    if (after) builder.whereRaw('(r.requested_datetime, r.id) < (?, ?)', [after.requested, after.id]);
    const rows = await builder
      .orderBy([
        { column: 'r.requested_datetime', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1];
    after = { requested: last.requested_datetime, id: String(last.sort_id) };
    if (rows.length < batchSize) return;
  }
}

export async function getRequest(db: Db, jurisdictionId: string, id: string): Promise<ServiceRequest | undefined> {
  if (!isStorableId(id)) return undefined;
  return fromRequests(db)
    .select(publicRequestColumns(db))
    .where({ 'r.jurisdiction_id': jurisdictionId, 'r.id': id, 'r.is_public': true })
    .first();
}

/** extended_attributes and public notes for several requests, in two queries (never one per request). */
export async function loadExtensions(
  db: Db,
  ids: string[],
): Promise<Map<string, { extended_attributes: ExtendedAttributes; notes: Note[] }>> {
  const result = new Map<string, { extended_attributes: ExtendedAttributes; notes: Note[] }>();
  if (ids.length === 0) return result;
  const rows: Array<{
    id: string;
    channel: string | null;
    detailed_status: string;
    title: string | null;
    media_urls: string[];
    duplicate_of: string | null;
  }> = await db('service_requests')
    .select(
      db.raw('id::text AS id'),
      'channel',
      'detailed_status',
      'title',
      'media_urls',
      db.raw('duplicate_of::text AS duplicate_of'),
    )
    .whereIn('id', ids);
  for (const row of rows) {
    result.set(row.id, {
      extended_attributes: {
        channel: row.channel,
        detailed_status: row.detailed_status,
        title: row.title,
        media_urls: row.media_urls ?? [],
        duplicate: row.duplicate_of !== null,
        parent_service_request_id: row.duplicate_of,
      },
      notes: [],
    });
  }
  const notes: Array<{
    service_request_id: string;
    updated_datetime: Date;
    note_type: string;
    summary: string | null;
    description: string | null;
  }> = await db('service_request_updates')
    .select(db.raw('service_request_id::text AS service_request_id'), 'updated_datetime', 'note_type', 'summary', 'description')
    .whereIn('service_request_id', ids)
    .andWhere('is_public', true)
    .orderBy([{ column: 'service_request_id' }, { column: 'updated_datetime' }, { column: 'id' }]);
  for (const note of notes) {
    result.get(note.service_request_id)?.notes.push({
      datetime: note.updated_datetime,
      type: note.note_type,
      summary: note.summary,
      description: note.description,
    });
  }
  return result;
}

export async function findToken(db: Db, jurisdictionId: string, token: string): Promise<TokenLookup | undefined> {
  const row: { token: string; service_request_id: string | null } | undefined = await db('request_tokens')
    .select('token', db.raw('service_request_id::text AS service_request_id'))
    .where({ jurisdiction_id: jurisdictionId, token })
    .first();
  if (!row) return undefined;
  return row.service_request_id === null
    ? { token: row.token }
    : { token: row.token, service_request_id: row.service_request_id };
}

/**
 * A cheap marker of change for a jurisdiction's requests (index probes only): it moves when a request is
 * created or updated. Used to validate cached answers.
 */
export async function requestsVersion(db: Db, jurisdictionId: string): Promise<string> {
  const row = (await db('service_requests')
    .where('jurisdiction_id', jurisdictionId)
    .select(db.raw('max(updated_datetime) AS changed'), db.raw('max(id)::text AS last_id'))
    .first()) as { changed: Date | null; last_id: string | null } | undefined;
  return `${row?.changed?.getTime() ?? 0}:${row?.last_id ?? 0}`;
}
