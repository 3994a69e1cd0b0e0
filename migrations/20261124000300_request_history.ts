import type { Knex } from 'knex';

// The public history of each request (extensions=true notes, FixMyStreet servicerequestupdates) and the
// finer workflow state behind the standard's open/closed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_requests', (table) => {
    table.text('detailed_status').notNullable().defaultTo('submitted');
    table.text('channel');
    table.text('title');
    table.bigInteger('duplicate_of').references('service_requests.id').onDelete('SET NULL');
  });

  await knex.schema.createTable('service_request_updates', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('service_request_id').notNullable().references('service_requests.id').onDelete('CASCADE');
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id');
    // What kind of entry: opened (creation), activity (a status change or staff note), comment (from a
    // client through POST servicerequestupdates), closed.
    table.text('note_type').notNullable();
    // The request's status and detailed status right after this update.
    table.text('status').notNullable();
    table.text('detailed_status').notNullable();
    table.text('summary');
    table.text('description');
    table.specificType('media_urls', 'text[]').notNullable().defaultTo('{}');
    table.timestamp('updated_datetime', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A client's own id for its update (FixMyStreet's update_id): a retried POST returns the same update.
    table.text('client_update_id');
    table.bigInteger('api_key_id').references('api_keys.id');
    table.boolean('is_public').notNullable().defaultTo(true);
  });
  await knex.raw(
    `ALTER TABLE service_request_updates ADD CONSTRAINT service_request_updates_status_check CHECK (status IN ('open', 'closed'))`,
  );
  await knex.raw(
    'CREATE INDEX service_request_updates_window_idx ON service_request_updates (jurisdiction_id, updated_datetime, id)',
  );
  await knex.raw(
    'CREATE INDEX service_request_updates_request_idx ON service_request_updates (service_request_id, updated_datetime, id)',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX service_request_updates_client_idx ON service_request_updates (service_request_id, api_key_id, client_update_id) WHERE client_update_id IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('service_request_updates');
  await knex.schema.alterTable('service_requests', (table) => {
    table.dropColumn('duplicate_of');
    table.dropColumn('title');
    table.dropColumn('channel');
    table.dropColumn('detailed_status');
  });
}
