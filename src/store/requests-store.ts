// Service request queries. Public reads select public columns only: the submitter's private data lives in
// service_request_submitters, which no query here reads, so it cannot reach a GET by accident.
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { remember } from './idempotency-store.js';
import { insideBox, withinMeters } from './spatial.js';
import { enqueueEvent } from './outbox-store.js';
import type {
  CreatedRequest,
  ExtendedAttributes,
  NewServiceRequest,
  Note,
  RequestQuery,
  ServiceRequest,
  TokenLookup,
} from '../domain/types.js';

// Ids are bigint: only all-digit text within range can match, anything else matches nothing (never a cast error).
const ID_PATTERN = /^[1-9]\d{0,17}$/;
export const isStorableId = (id: string): boolean => ID_PATTERN.test(id);

function publicColumns(db: Db) {
  return [
    db.raw('r.id::text AS service_request_id'),
    'r.status',
    'r.status_notes',
    's.service_name',
    's.service_code',
    'r.description',
    'r.agency_responsible',
    'r.service_notice',
    'r.requested_datetime',
    'r.updated_datetime',
    'r.expected_datetime',
    'r.address',
    'r.address_id',
    'r.zipcode',
    db.raw('ST_Y(r.location::geometry) AS lat'),
    db.raw('ST_X(r.location::geometry) AS long'),
    db.raw('r.media_urls[1] AS media_url'),
  ];
}

export async function insertRequest(db: Db, request: NewServiceRequest): Promise<CreatedRequest> {
  // One transaction: the request, its first history entry, its submitter row and its token are saved
  // together or not at all, and only then is the client answered.
  return db.transaction(async (trx) => {
    const point =
      request.lat === null || request.long === null ? null : trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [request.long, request.lat]);
    // Routing: the agency of the service's rule for the area the point falls in, else of its rule without
    // an area, else the service's default text. Computed inside the INSERT (no extra round trip).
    const hasPoint = request.lat !== null && request.long !== null;
    const routedAgency = (column: 'id' | 'name') =>
      `(SELECT agency.${column} FROM routing_rules rule
          JOIN agencies agency ON agency.id = rule.agency_id
          LEFT JOIN service_areas area ON area.id = rule.service_area_id
        WHERE rule.service_id = ?
          AND (rule.service_area_id IS NULL${hasPoint ? ' OR ST_Intersects(area.area, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)' : ''})
        ORDER BY (rule.service_area_id IS NULL), rule.id LIMIT 1)`;
    const routingBindings = hasPoint ? [request.service.id, request.long, request.lat] : [request.service.id];
    // A suspected duplicate: an open request of the same service, close by and recent (never merged). The
    // new row is not visible to its own INSERT, so it cannot find itself.
    const duplicate =
      request.duplicate_search && hasPoint
        ? trx.raw(
            `(SELECT other.id FROM service_requests other
               WHERE other.service_id = ? AND other.jurisdiction_id = ? AND other.status = 'open'
                 AND other.requested_datetime >= now() - make_interval(hours => ?)
                 AND ST_DWithin(other.location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)
               ORDER BY ST_Distance(other.location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography), other.id
               LIMIT 1)`,
            [
              request.service.id,
              request.jurisdiction_id,
              request.duplicate_search.window_hours,
              request.long,
              request.lat,
              request.duplicate_search.radius_meters,
              request.long,
              request.lat,
            ],
          )
        : null;
    const [row] = (await trx('service_requests')
      .insert({
        jurisdiction_id: request.jurisdiction_id,
        service_id: request.service.id,
        status: 'open',
        description: request.description,
        agency_responsible: trx.raw(`COALESCE(${routedAgency('name')}, ?)`, [...routingBindings, request.service.agency_responsible]),
        agency_id: trx.raw(routedAgency('id'), routingBindings),
        suspected_duplicate_of: duplicate,
        service_notice: request.service.service_notice,
        // The service's response-time target sets the deadline.
        expected_datetime: trx.raw(
          '(SELECT now() + make_interval(hours => response_hours) FROM services WHERE id = ? AND response_hours IS NOT NULL)',
          [request.service.id],
        ),
        address: request.address,
        address_id: request.address_id,
        zipcode: request.zipcode,
        location: point,
        media_urls: request.media_urls,
        attributes: JSON.stringify(request.attributes),
        api_key_id: request.api_key_id,
        channel: request.channel,
        title: request.title,
      })
      .returning('id')) as Array<{ id: string | number }>;
    const id = String(row!.id);
    await trx('service_request_updates').insert({
      service_request_id: id,
      jurisdiction_id: request.jurisdiction_id,
      note_type: 'opened',
      status: 'open',
      detailed_status: 'submitted',
      summary: 'Request received',
      description: '',
      api_key_id: request.api_key_id,
    });
    // Webhook event, in this transaction: public fields only (never the submitter's data).
    const event = (await fromRequests(trx).select(publicColumns(trx)).where('r.id', id).first()) as Record<string, unknown>;
    await enqueueEvent(trx, { jurisdiction_id: request.jurisdiction_id, type: 'request.created', payload: { ...event, detailed_status: 'submitted' } });
    const submitter = request.submitter;
    if (Object.values(submitter).some((value) => value !== null)) {
      await trx('service_request_submitters').insert({ service_request_id: id, ...submitter });
    }
    if (request.token) {
      await trx('request_tokens').insert({ token: request.token, jurisdiction_id: request.jurisdiction_id, service_request_id: id });
    }
    const created: CreatedRequest = { service_notice: request.service.service_notice, account_id: submitter.account_id };
    if (request.service.type === 'realtime') created.service_request_id = id;
    if (request.service.type === 'batch') created.token = request.token ?? undefined;
    // Same transaction: the remembered answer exists exactly when the request does.
    if (request.idempotency) await remember(trx, request.idempotency, created);
    return created;
  });
}

/** The WHERE clause of a request query, shared by the list, its count and the bulk export. */
function applyFilters(db: Db, builder: Knex.QueryBuilder, query: RequestQuery): Knex.QueryBuilder {
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
  if (query.near) builder.where(withinMeters(db, 'r.location', query.near));
  if (query.bbox) builder.where(insideBox(db, 'r.location', query.bbox));
  return builder;
}

function fromRequests(db: Db): Knex.QueryBuilder {
  return db('service_requests as r').join('services as s', 's.id', 'r.service_id');
}

export async function findRequests(db: Db, query: RequestQuery): Promise<ServiceRequest[]> {
  return applyFilters(db, fromRequests(db).select(publicColumns(db)), query)
    .orderBy([
      { column: 'r.requested_datetime', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(query.limit)
    .offset(query.offset);
}

/** How many requests match, ignoring limit and offset (for paging headers). */
export async function countRequests(db: Db, query: RequestQuery): Promise<number> {
  // The join to services is only needed to filter on service_code.
  const from = query.service_codes && !query.service_request_ids ? fromRequests(db) : db('service_requests as r');
  const row = (await applyFilters(db, from, query).count({ count: '*' }).first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

/** Bulk export: walks the matching requests newest first in batches (keyset paging), never the whole table at once. */
export async function* exportRequests(db: Db, query: RequestQuery, batchSize = 1000): AsyncGenerator<Array<ServiceRequest & { closed_datetime: Date | null; detailed_status: string; channel: string | null }>> {
  let after: { requested: Date; id: string } | undefined;
  for (;;) {
    const builder = applyFilters(
      db,
      fromRequests(db).select([...publicColumns(db), 'r.closed_datetime', 'r.detailed_status', 'r.channel', db.raw('r.id AS sort_id')]),
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
    .select(publicColumns(db))
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
  const rows: Array<{ id: string; channel: string | null; detailed_status: string; title: string | null; media_urls: string[]; duplicate_of: string | null }> =
    await db('service_requests')
      .select(db.raw('id::text AS id'), 'channel', 'detailed_status', 'title', 'media_urls', db.raw('duplicate_of::text AS duplicate_of'))
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
  const notes: Array<{ service_request_id: string; updated_datetime: Date; note_type: string; summary: string | null; description: string | null }> =
    await db('service_request_updates')
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
  return row.service_request_id === null ? { token: row.token } : { token: row.token, service_request_id: row.service_request_id };
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
