import type { Knex } from 'knex';

// No parallel workers for scans of service_requests. PostGIS declares its exact tests (ST_DWithin, ST_Distance)
// a thousand times as costly as an operator, so a list of a few thousand candidates looks expensive enough to
// the planner to start two workers for it; starting them costs more than the scan (a 300 m circle with no
// match took 18-24 ms, all of it worker start-up, against 0.05 ms serially), and a parallel bitmap scan of the
// heap was chosen over the index-only scan of the place-cell index (a circle downtown: 60-110 ms against 17 ms).
// This server answers many small queries at once: the cores are better used by other requests than by workers
// of one. A table setting, so it holds through a connection pooler as well.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE service_requests SET (parallel_workers = 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE service_requests RESET (parallel_workers)');
}
