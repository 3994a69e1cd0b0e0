// Trends in SQL: every count, percentile and grid cell is computed by PostgreSQL/PostGIS; only the
// aggregated rows come back. Values are bound parameters; the only SQL text chosen at run time comes from
// fixed tables below (group-by keys), never from the request.
import type { Knex } from 'knex';
import type { Db } from './db.js';

export type StatsGroupBy = 'service_code' | 'group' | 'status' | 'detailed_status' | 'agency';
export type StatsInterval = 'day' | 'week' | 'month';

export interface StatsFilter {
  jurisdiction_id: string;
  /** IANA zone: buckets start at local midnight (week: Monday, month: the 1st). */
  time_zone: string;
  service_codes?: string[];
}

export interface StatsWindow {
  start: Date;
  end: Date;
}

// What each group_by counts by. Fixed SQL, picked by name.
const KEYS: Record<StatsGroupBy, string> = {
  service_code: 's.service_code',
  group: 's.service_group',
  status: 'r.status',
  detailed_status: 'r.detailed_status',
  agency: 'r.agency_responsible',
};

const INTERVALS: Record<StatsInterval, string> = { day: '1 day', week: '1 week', month: '1 month' };

/** ` AND s.service_code IN (?, …)` with its bindings, or nothing. */
function serviceFilter(filter: StatsFilter): { sql: string; bindings: string[] } {
  const codes = filter.service_codes ?? [];
  if (codes.length === 0) return { sql: '', bindings: [] };
  return { sql: ` AND s.service_code IN (${codes.map(() => '?').join(', ')})`, bindings: codes };
}

const rowsOf = <T>(result: { rows: T[] }): T[] => result.rows;

// ------------------------------------------------------------------------------------------------ counts

export interface CountRow {
  /** Start of the bucket (local midnight in the jurisdiction); null with interval=none. */
  bucket: Date | null;
  key: string | null;
  count: number;
}

export async function countRequests(
  db: Db,
  filter: StatsFilter,
  window: StatsWindow,
  groupBy: StatsGroupBy,
  interval: StatsInterval | 'none',
): Promise<CountRow[]> {
  const bucket: Knex.Raw =
    interval === 'none'
      ? db.raw('NULL::timestamptz AS bucket')
      : db.raw('date_trunc(?::text, r.requested_datetime AT TIME ZONE ?::text) AT TIME ZONE ?::text AS bucket', [
          interval,
          filter.time_zone,
          filter.time_zone,
        ]);
  const inner = db('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .select(bucket, db.raw(`${KEYS[groupBy]} AS key`))
    .where('r.jurisdiction_id', filter.jurisdiction_id)
    .where('r.requested_datetime', '>=', window.start)
    .where('r.requested_datetime', '<=', window.end);
  if (filter.service_codes?.length) inner.whereIn('s.service_code', filter.service_codes);
  const rows = (await db
    .from(inner.as('t'))
    .select('t.bucket', 't.key', db.raw('count(*)::integer AS count'))
    .groupBy('t.bucket', 't.key')
    .orderByRaw('t.bucket NULLS FIRST, count(*) DESC, t.key NULLS LAST')) as CountRow[];
  return rows.map((row) => ({ bucket: row.bucket, key: row.key, count: row.count }));
}

// ----------------------------------------------------------------------------------------------- backlog

export interface BacklogRow {
  /** Start of the bucket (local midnight in the jurisdiction). */
  bucket: Date;
  /** The instant measured: the bucket's end, or end_date for the last bucket. */
  at: Date;
  /** Requests open at `at`: requested by then and not closed by then. */
  open: number;
}

/**
 * One query: the buckets from generate_series over local wall-clock time (so days stay days across DST), and
 * for each, the requests requested at or before its end that are still open, or were closed after it. A
 * closed request without closed_datetime is not counted; a reopened one counts as open since it was requested.
 */
export async function backlog(db: Db, filter: StatsFilter, window: StatsWindow, interval: StatsInterval): Promise<BacklogRow[]> {
  const zone = filter.time_zone;
  const step = INTERVALS[interval];
  const services = serviceFilter(filter);
  const sql = `
    WITH series AS (
      SELECT g AS local_start
      FROM generate_series(
        date_trunc(?::text, ?::timestamptz AT TIME ZONE ?::text),
        date_trunc(?::text, ?::timestamptz AT TIME ZONE ?::text),
        ?::interval
      ) AS g
    ), buckets AS (
      SELECT local_start AT TIME ZONE ?::text AS bucket,
             LEAST((local_start + ?::interval) AT TIME ZONE ?::text, ?::timestamptz) AS at
      FROM series
    )
    SELECT b.bucket, b.at,
      (SELECT count(*)
         FROM service_requests r
         JOIN services s ON s.id = r.service_id
        WHERE r.jurisdiction_id = ?
          AND r.requested_datetime <= b.at
          AND (r.status = 'open' OR r.closed_datetime > b.at)${services.sql}
      )::integer AS open
    FROM buckets b
    ORDER BY b.bucket`;
  const bindings = [
    interval,
    window.start,
    zone,
    interval,
    window.end,
    zone,
    step,
    zone,
    step,
    zone,
    window.end,
    filter.jurisdiction_id,
    ...services.bindings,
  ];
  return rowsOf<BacklogRow>(await db.raw(sql, bindings)).map((row) => ({ bucket: row.bucket, at: row.at, open: row.open }));
}

// ----------------------------------------------------------------------------------------- time to close

export interface CloseTimes {
  /** Requests closed in the window. */
  closed: number;
  /** Hours from requested_datetime to closed_datetime, rounded to 2 decimals; null when none closed. */
  median_hours: number | null;
  p90_hours: number | null;
  mean_hours: number | null;
}

/** Per service and overall (one query with GROUPING SETS), for requests now closed with closed_datetime in the window. */
export async function timeToClose(
  db: Db,
  filter: StatsFilter,
  window: StatsWindow,
): Promise<{ overall: CloseTimes; rows: Array<CloseTimes & { service_code: string }> }> {
  const services = serviceFilter(filter);
  const sql = `
    SELECT t.service_code,
           GROUPING(t.service_code) AS overall,
           count(*)::integer AS closed,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.hours))::numeric, 2)::float8 AS median_hours,
           round((percentile_cont(0.9) WITHIN GROUP (ORDER BY t.hours))::numeric, 2)::float8 AS p90_hours,
           round(avg(t.hours)::numeric, 2)::float8 AS mean_hours
    FROM (
      SELECT s.service_code,
             (EXTRACT(EPOCH FROM (r.closed_datetime - r.requested_datetime)) / 3600)::float8 AS hours
      FROM service_requests r
      JOIN services s ON s.id = r.service_id
      WHERE r.jurisdiction_id = ?
        AND r.status = 'closed'
        AND r.closed_datetime >= ?
        AND r.closed_datetime <= ?${services.sql}
    ) t
    GROUP BY GROUPING SETS ((t.service_code), ())
    ORDER BY GROUPING(t.service_code), t.service_code`;
  const rows = rowsOf<CloseTimes & { service_code: string | null; overall: number }>(
    await db.raw(sql, [filter.jurisdiction_id, window.start, window.end, ...services.bindings]),
  );
  const times = (row: CloseTimes): CloseTimes => ({
    closed: row.closed,
    median_hours: row.median_hours,
    p90_hours: row.p90_hours,
    mean_hours: row.mean_hours,
  });
  const total = rows.find((row) => Number(row.overall) === 1);
  return {
    overall: total ? times(total) : { closed: 0, median_hours: null, p90_hours: null, mean_hours: null },
    rows: rows
      .filter((row) => Number(row.overall) === 0)
      .map((row) => ({ service_code: String(row.service_code), ...times(row) })),
  };
}

// ----------------------------------------------------------------------------------------------- overdue

export interface OverdueCounts {
  total: number;
  by_service_code: Array<{ service_code: string; count: number }>;
  /** By agency_responsible; null for requests without an agency. */
  by_agency: Array<{ agency: string | null; count: number }>;
}

/** Open requests whose expected_datetime is before `now`, by service, by agency and in all (one query). */
export async function overdue(db: Db, filter: StatsFilter, now: Date): Promise<OverdueCounts> {
  const services = serviceFilter(filter);
  const sql = `
    SELECT s.service_code,
           r.agency_responsible AS agency,
           GROUPING(s.service_code) AS without_service,
           GROUPING(r.agency_responsible) AS without_agency,
           count(*)::integer AS count
    FROM service_requests r
    JOIN services s ON s.id = r.service_id
    WHERE r.jurisdiction_id = ?
      AND r.status = 'open'
      AND r.expected_datetime < ?${services.sql}
    GROUP BY GROUPING SETS ((s.service_code), (r.agency_responsible), ())
    ORDER BY count(*) DESC, s.service_code, r.agency_responsible NULLS LAST`;
  const rows = rowsOf<{
    service_code: string | null;
    agency: string | null;
    without_service: number;
    without_agency: number;
    count: number;
  }>(await db.raw(sql, [filter.jurisdiction_id, now, ...services.bindings]));
  const result: OverdueCounts = { total: 0, by_service_code: [], by_agency: [] };
  for (const row of rows) {
    const byService = Number(row.without_service) === 0;
    const byAgency = Number(row.without_agency) === 0;
    if (byService) result.by_service_code.push({ service_code: String(row.service_code), count: row.count });
    else if (byAgency) result.by_agency.push({ agency: row.agency, count: row.count });
    else result.total = row.count;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------- hotspots

/** Metres per degree of latitude (and of longitude at the equator) on the mean Earth radius. */
export const METRES_PER_DEGREE = 111_195;

export interface HotspotCell {
  cell_id: string;
  count: number;
  open: number;
  west: number;
  south: number;
  east: number;
  north: number;
}

/**
 * Requests with a location requested in the window, counted per grid cell. The grid is in degrees, no
 * projection needed: rows of `cell_metres` of latitude (dlat), and within each row columns of the same
 * width in metres at the row's middle latitude (dlong = dlat / cos(latitude)). A cell's id is
 * "<metres>m:<row>:<column>". Busiest cells first, at most `limit`.
 */
export async function hotspots(
  db: Db,
  filter: StatsFilter,
  window: StatsWindow,
  options: { cell_metres: number; min_count: number; limit: number },
): Promise<HotspotCell[]> {
  const services = serviceFilter(filter);
  const sql = `
    WITH params AS (
      SELECT ?::float8 AS dlat
    ), points AS (
      SELECT r.status, ST_X(r.location::geometry) AS x, ST_Y(r.location::geometry) AS y
      FROM service_requests r
      JOIN services s ON s.id = r.service_id
      WHERE r.jurisdiction_id = ?
        AND r.location IS NOT NULL
        AND r.requested_datetime >= ?
        AND r.requested_datetime <= ?${services.sql}
    ), banded AS (
      SELECT p.status, p.x, floor(p.y / params.dlat)::bigint AS iy FROM points p CROSS JOIN params
    ), gridded AS (
      SELECT b.status, b.iy, w.dlong, floor(b.x / w.dlong)::bigint AS ix
      FROM banded b
      CROSS JOIN params
      CROSS JOIN LATERAL (SELECT params.dlat / GREATEST(cos(radians((b.iy + 0.5) * params.dlat)), 0.01) AS dlong) w
    )
    SELECT ?::text || 'm:' || g.iy || ':' || g.ix AS cell_id,
           count(*)::integer AS count,
           (count(*) FILTER (WHERE g.status = 'open'))::integer AS open,
           (g.ix * min(g.dlong))::float8 AS west,
           (g.iy * params.dlat)::float8 AS south,
           ((g.ix + 1) * min(g.dlong))::float8 AS east,
           ((g.iy + 1) * params.dlat)::float8 AS north
    FROM gridded g
    CROSS JOIN params
    GROUP BY g.iy, g.ix, params.dlat
    HAVING count(*) >= ?
    ORDER BY count(*) DESC, g.iy DESC, g.ix
    LIMIT ?`;
  const bindings = [
    options.cell_metres / METRES_PER_DEGREE,
    filter.jurisdiction_id,
    window.start,
    window.end,
    ...services.bindings,
    String(options.cell_metres),
    options.min_count,
    options.limit,
  ];
  return rowsOf<HotspotCell>(await db.raw(sql, bindings)).map((row) => ({
    cell_id: row.cell_id,
    count: row.count,
    open: row.open,
    west: Number(row.west),
    south: Number(row.south),
    east: Number(row.east),
    north: Number(row.north),
  }));
}
