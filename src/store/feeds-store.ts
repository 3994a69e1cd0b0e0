// Reads for the Atom feeds: public requests and public history only (the same columns a GeoReport GET shows).
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { isStorableId } from './ids.js';
import { publicRequestColumns } from './request-columns.js';
import { insideBox } from './spatial.js';

export interface FeedFilter {
  jurisdiction_id: string;
  service_codes?: string[];
  /** open/closed, or detailed statuses (in_progress, on_hold…). */
  statuses?: string[];
  bbox?: { min_long: number; min_lat: number; max_long: number; max_lat: number };
  service_area_code?: string;
  limit: number;
}

export interface FeedRequest {
  service_request_id: string;
  status: string;
  detailed_status: string;
  status_notes: string | null;
  service_code: string;
  service_name: string;
  description: string | null;
  address: string | null;
  requested_datetime: Date;
  updated_datetime: Date;
  lat: number | null;
  long: number | null;
}

const COLUMNS = (db: Db) => [
  ...publicRequestColumns(db, ['service_request_id', 'status']),
  'r.detailed_status',
  ...publicRequestColumns(db, [
    'status_notes',
    'service_code',
    'service_name',
    'description',
    'address',
    'requested_datetime',
    'updated_datetime',
    'lat',
    'long',
  ]),
];

/** Public requests with a page on the resident site (a feed entry links to it): never a blackbox service's. */
function fromPublic(db: Db, jurisdictionId: string): Knex.QueryBuilder {
  return db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .where({ 'r.jurisdiction_id': jurisdictionId, 'r.is_public': true })
    .whereNot('s.type', 'blackbox');
}

/** The most recently created or changed requests matching the filter, newest change first. undefined: no such service area. */
export async function feedRequests(db: Db, filter: FeedFilter): Promise<FeedRequest[] | undefined> {
  const builder = fromPublic(db, filter.jurisdiction_id).select(COLUMNS(db));
  if (filter.service_codes) builder.whereIn('s.service_code', filter.service_codes);
  if (filter.statuses) {
    const standard = filter.statuses.filter((status) => status === 'open' || status === 'closed');
    const detailed = filter.statuses.filter((status) => status !== 'open' && status !== 'closed');
    builder.where((where) => {
      if (standard.length) where.orWhereIn('r.status', standard);
      if (detailed.length) where.orWhereIn('r.detailed_status', detailed);
    });
  }
  if (filter.bbox) builder.where(insideBox(db, 'r.location', filter.bbox));
  if (filter.service_area_code !== undefined) {
    const area = await db('service_areas')
      .where({ jurisdiction_id: filter.jurisdiction_id, code: filter.service_area_code })
      .first('id');
    if (!area) return undefined;
    builder.whereRaw('ST_Intersects((SELECT area FROM service_areas WHERE id = ?), r.location)', [area.id]);
  }
  return builder
    .orderBy([
      { column: 'r.updated_datetime', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(filter.limit);
}

export interface FeedUpdate {
  update_id: string;
  note_type: string;
  detailed_status: string;
  summary: string | null;
  description: string | null;
  updated_datetime: Date;
}

/** One public request and its public history, newest first. */
export async function feedRequestHistory(
  db: Db,
  jurisdictionId: string,
  id: string,
  limit: number,
): Promise<{ request: FeedRequest; updates: FeedUpdate[] } | undefined> {
  if (!isStorableId(id)) return undefined;
  const request = (await fromPublic(db, jurisdictionId).select(COLUMNS(db)).where('r.id', id).first()) as FeedRequest | undefined;
  if (!request) return undefined;
  const updates = (await db('service_request_updates')
    .select(db.raw('id::text AS update_id'), 'note_type', 'detailed_status', 'summary', 'description', 'updated_datetime')
    .where({ service_request_id: id, is_public: true })
    .orderBy([
      { column: 'updated_datetime', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit)) as FeedUpdate[];
  return { request, updates };
}
