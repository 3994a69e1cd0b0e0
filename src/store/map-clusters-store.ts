// The map's clusters: the requests matching a list's filters, counted per cell of a Web Mercator grid, in
// SQL (one pass over the matches, one row per non-empty cell), so that a map of everything receives a few
// hundred cells rather than every point. A cell holding one request carries that request's public fields.
import type { Db } from './db.js';
import { applyFilters, fromRequests } from './requests-store.js';
import type { RequestQuery } from '../domain/types.js';

export interface ClusterRow {
  /** Cell column and row of the grid of `cellsPerSide` × `cellsPerSide` cells over the world. */
  x: number;
  y: number;
  count: number;
  /** Mean position of the cell's requests. */
  lat: number;
  long: number;
  /** Set when the cell holds one request. */
  service_request_id: string | null;
  service_code: string | null;
  status: string | null;
  requested_datetime: Date | null;
}

// Web Mercator stops at ±85.0511° (a square world); points beyond are counted in the edge rows.
const MERCATOR_LAT_LIMIT = 85.0511287798;

/** Per non-empty cell of the grid: the count, the mean position and, for a cell of one, the request. */
export async function findClusters(db: Db, query: RequestQuery, cellsPerSide: number): Promise<ClusterRow[]> {
  const from = query.service_codes ? fromRequests(db) : db('service_requests as r');
  const matches = applyFilters(
    db,
    from.select('r.id', db.raw('ST_X(r.location::geometry) AS long'), db.raw('ST_Y(r.location::geometry) AS lat')),
    query,
  ).whereNotNull('r.location');
  const side = cellsPerSide;
  const clampedLat = `least(greatest(lat, ${-MERCATOR_LAT_LIMIT}), ${MERCATOR_LAT_LIMIT})`;
  const cells = db.raw(
    `SELECT least(floor((long + 180) / 360 * ?), ? - 1)::integer AS x,
            least(greatest(floor((1 - ln(tan(radians(45 + ${clampedLat} / 2))) / pi()) / 2 * ?), 0), ? - 1)::integer AS y,
            count(*)::integer AS count, avg(lat)::float8 AS lat, avg(long)::float8 AS long, min(id) AS first_id
     FROM matches GROUP BY 1, 2`,
    [side, side, side, side],
  );
  const rows = await db
    .withMaterialized('matches', matches)
    .with('cells', cells)
    .select(
      'cells.x',
      'cells.y',
      'cells.count',
      'cells.lat',
      'cells.long',
      db.raw('one.id::text AS service_request_id'),
      'one.service_code',
      'one.status',
      'one.requested_datetime',
    )
    .from('cells')
    // Only a cell of one request looks its request up (one index probe; none for the others).
    .joinRaw(
      `LEFT JOIN LATERAL (
         SELECT one.id, one.status, one.requested_datetime, service.service_code
         FROM service_requests one JOIN services service ON service.id = one.service_id
         WHERE cells.count = 1 AND one.id = cells.first_id) one ON true`,
    )
    .orderBy([{ column: 'cells.y' }, { column: 'cells.x' }]);
  return rows as ClusterRow[];
}
