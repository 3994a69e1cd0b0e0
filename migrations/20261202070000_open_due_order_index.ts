import type { Knex } from 'knex';

// The staff queue's "open, soonest due first" (sort=expected_datetime, tie-broken by id): ordered by the index of
// open requests' deadlines alone, every open request sharing a deadline — all those of services without a
// response-time target share NULL, often most of them — had to be read and sorted by id before the first page
// (86,000 rows at 1M). With the id in the key the walk stops after the page. The overdue filter uses it too, and
// the service and assignee it carries let the queue count open requests of a group or a person from the index
// alone (an index-only scan, no visit of each row).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX IF NOT EXISTS service_requests_open_due_idx ON service_requests (jurisdiction_id, expected_datetime, id)
       INCLUDE (service_id, assigned_staff_id) WHERE status = 'open'`,
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_expected_idx');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    "CREATE INDEX IF NOT EXISTS service_requests_expected_idx ON service_requests (jurisdiction_id, expected_datetime) WHERE status = 'open'",
  );
  await knex.raw('DROP INDEX IF EXISTS service_requests_open_due_idx');
}
