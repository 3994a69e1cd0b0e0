import type { Knex } from 'knex';

// Requests brought from another system keep that system's id (external_id, unique per source), so that an
// import can be re-run until the switch-over day: a second run updates what changed and never duplicates.
// Imported history entries carry a key of their own for the same reason. import_checkpoints lets an
// interrupted import continue where it stopped.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_requests', (table) => {
    table.text('external_source');
    table.text('external_id');
  });
  await knex.raw(
    `CREATE UNIQUE INDEX service_requests_external_idx ON service_requests (jurisdiction_id, external_source, external_id)
     WHERE external_id IS NOT NULL`,
  );
  await knex.schema.alterTable('service_request_updates', (table) => {
    table.text('external_key');
  });
  await knex.raw(
    `CREATE UNIQUE INDEX service_request_updates_external_idx ON service_request_updates (service_request_id, external_key)
     WHERE external_key IS NOT NULL`,
  );
  await knex.schema.createTable('import_checkpoints', (table) => {
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('source').notNullable();
    table.jsonb('state').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['jurisdiction_id', 'source']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_checkpoints');
  await knex.raw('DROP INDEX IF EXISTS service_request_updates_external_idx');
  await knex.schema.alterTable('service_request_updates', (table) => {
    table.dropColumn('external_key');
  });
  await knex.raw('DROP INDEX IF EXISTS service_requests_external_idx');
  await knex.schema.alterTable('service_requests', (table) => {
    table.dropColumn('external_id');
    table.dropColumn('external_source');
  });
}
