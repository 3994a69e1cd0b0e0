import type { Knex } from 'knex';

// The newest-first walk of a list bounded by place (store/requests-store.ts findRequests): the index that
// orders a jurisdiction's requests by date also carries what the place and the usual filters test (location,
// is_public, status, service_id), so the walk reads index pages only (an index-only scan) and never each row
// of the table. In a dense place the newest matches come after a few thousand entries however many requests
// the place holds, where the spatial index would hand over every one of them to be sorted (500,000 for a 200 m
// circle downtown at 10M). It replaces the index of the same keys without the covered columns.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_requested_covering_idx ON service_requests
       (jurisdiction_id, requested_datetime DESC, id DESC) INCLUDE (location, is_public, status, service_id)`,
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_requested_idx');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS service_requests_requested_idx ON service_requests (jurisdiction_id, requested_datetime DESC, id DESC)',
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_requested_covering_idx');
}
