import type { Knex } from 'knex';

// Open requests by place: the duplicate search of every create looks for an open request close by. A city
// accumulates years of closed requests at the same corners, so an index of the open ones keeps that probe
// small however large the table grows.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_open_location_gist ON service_requests USING GIST (location) WHERE status = 'open'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS service_requests_open_location_gist');
}
