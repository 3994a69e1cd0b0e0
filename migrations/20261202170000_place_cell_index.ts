import type { Knex } from 'knex';

// Exact counts of a dense place. A paged list bounded by a box or a circle counts every match for
// X-Result-Count; in the densest 1 km box of the 1M benchmark city that is 16,000 requests of the 90-day window,
// which the planner found either by walking the whole window on the covering date index (200,000 entries,
// each tested against the box) or through the GiST index and a visit of each matching row, scattered over the
// table (rows are stored in time order, not by place): 80-170 ms either way. GiST cannot answer from the index
// alone (PostGIS has no fetch support), so this is a btree on a grid cell of the point (0.001 degree, about
// 111 m x 86 m here) with the window's date and the columns the filters test: a box or circle is the few
// cells it overlaps, each cell's window one index range, the exact test on the point carried in the index —
// an index-only scan whose cost is the matches in those cells, however the table is laid out.
export async function up(knex: Knex): Promise<void> {
  // IMMUTABLE and plain SQL, so the planner inlines it and matches the index expression in queries
  // (src/store/spatial.ts writes the same expression). Latitude and longitude cells are offset to be
  // non-negative and packed into one bigint: (lat cell + 90,000) * 1,000,000 + (long cell + 180,000). PostGIS
  // names are qualified with its schema: index builds run with a search_path of pg_catalog only (PostgreSQL 17).
  const found = await knex.raw(
    "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'",
  );
  const schema = String(found.rows[0]?.schema ?? 'public').replaceAll('"', '""');
  const postgis = `"${schema}"`;
  await knex.raw(`
    CREATE OR REPLACE FUNCTION open311_place_cell(location ${postgis}.geography) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT (floor(${postgis}.ST_Y(location::${postgis}.geometry) / 0.001)::bigint + 90000) * 1000000
           + (floor(${postgis}.ST_X(location::${postgis}.geometry) / 0.001)::bigint + 180000)
    $$`);
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_place_cell_idx
       ON service_requests (jurisdiction_id, open311_place_cell(location), requested_datetime DESC, id DESC)
       INCLUDE (location, is_public, status, service_id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS service_requests_place_cell_idx');
  await knex.raw('DROP FUNCTION IF EXISTS open311_place_cell');
}
