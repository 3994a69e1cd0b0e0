import type { Knex } from 'knex';

// The duplicate probe of every create asks for the nearest open request of the same service, requested
// within the window, close by. The GiST index of open requests by place alone made that probe read every open
// request near the point, whatever its service or age (~270 rows at the centre of a 10M-request city): with
// the service and the date in the index (btree_gist), the index itself holds back the others, and the nearest
// candidate comes first (KNN), so the probe reads one or two rows however dense the place. It replaces the
// index of open requests by place (service_requests_open_location_gist), which served that probe only.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS btree_gist');
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_open_duplicate_gist ON service_requests
       USING GIST (service_id, location, requested_datetime) WHERE status = 'open'`,
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_open_location_gist');
}

// btree_gist may serve other indexes of the database; leave it installed.
export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_open_location_gist ON service_requests USING GIST (location) WHERE status = 'open'`,
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_open_duplicate_gist');
}
