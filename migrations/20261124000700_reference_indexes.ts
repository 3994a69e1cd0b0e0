import type { Knex } from 'knex';

// Indexes on the columns that refer to service_requests: without them, deleting or archiving requests
// scans the whole table once per row for each reference (found by the benchmark's clean-up).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS service_requests_duplicate_of_idx ON service_requests (duplicate_of) WHERE duplicate_of IS NOT NULL',
  );
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS service_requests_suspected_duplicate_idx ON service_requests (suspected_duplicate_of) WHERE suspected_duplicate_of IS NOT NULL',
  );
  await knex.raw('CREATE INDEX IF NOT EXISTS request_tokens_request_idx ON request_tokens (service_request_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS request_tokens_request_idx');
  await knex.raw('DROP INDEX IF EXISTS service_requests_suspected_duplicate_idx');
  await knex.raw('DROP INDEX IF EXISTS service_requests_duplicate_of_idx');
}
