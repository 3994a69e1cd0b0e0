// Service request queries. Public reads select public columns only: the submitter's private data lives in
// service_request_submitters, which no query here reads, so it cannot reach a GET by accident.
import type { Db } from './db.js';
import type { CreatedRequest, NewServiceRequest, RequestQuery, ServiceRequest, TokenLookup } from '../domain/types.js';

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
  // One transaction: the request, its submitter row and its token are saved together or not at all,
  // and only then is the client answered.
  return db.transaction(async (trx) => {
    const [row] = (await trx('service_requests')
      .insert({
        jurisdiction_id: request.jurisdiction_id,
        service_id: request.service.id,
        status: 'open',
        description: request.description,
        agency_responsible: request.service.agency_responsible,
        service_notice: request.service.service_notice,
        address: request.address,
        address_id: request.address_id,
        zipcode: request.zipcode,
        location:
          request.lat === null || request.long === null
            ? null
            : trx.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [request.long, request.lat]),
        media_urls: request.media_urls,
        attributes: JSON.stringify(request.attributes),
        api_key_id: request.api_key_id,
      })
      .returning('id')) as Array<{ id: string | number }>;
    const id = String(row!.id);
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
    return created;
  });
}

export async function findRequests(db: Db, query: RequestQuery): Promise<ServiceRequest[]> {
  const builder = db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .select(publicColumns(db))
    .where('r.jurisdiction_id', query.jurisdiction_id)
    .andWhere('r.is_public', true);
  if (query.service_request_ids) {
    const ids = query.service_request_ids.filter(isStorableId);
    if (ids.length === 0) return [];
    builder.whereIn('r.id', ids);
  } else {
    if (query.service_codes) builder.whereIn('s.service_code', query.service_codes);
    if (query.statuses) builder.whereIn('r.status', query.statuses);
    if (query.requested_from) builder.where('r.requested_datetime', '>=', query.requested_from);
    if (query.requested_to) builder.where('r.requested_datetime', '<=', query.requested_to);
  }
  return builder
    .orderBy([
      { column: 'r.requested_datetime', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(query.limit);
}

export async function getRequest(db: Db, jurisdictionId: string, id: string): Promise<ServiceRequest | undefined> {
  if (!isStorableId(id)) return undefined;
  return db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .select(publicColumns(db))
    .where({ 'r.jurisdiction_id': jurisdictionId, 'r.id': id, 'r.is_public': true })
    .first();
}

export async function findToken(db: Db, jurisdictionId: string, token: string): Promise<TokenLookup | undefined> {
  const row: { token: string; service_request_id: string | null } | undefined = await db('request_tokens')
    .select('token', db.raw('service_request_id::text AS service_request_id'))
    .where({ jurisdiction_id: jurisdictionId, token })
    .first();
  if (!row) return undefined;
  return row.service_request_id === null ? { token: row.token } : { token: row.token, service_request_id: row.service_request_id };
}
