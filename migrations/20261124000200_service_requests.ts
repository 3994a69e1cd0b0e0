import type { Knex } from 'knex';

// Service requests. Public columns live in `service_requests`; the submitter's private data lives in
// `service_request_submitters`, which no public query joins, so it cannot leak by accident.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('name').notNullable();
    // SHA-256 of the key: keys are long random strings, so a fast hash is enough and the clear key is never stored.
    table.text('key_hash').notNullable().unique();
    table.text('key_prefix').notNullable();
    table.text('role').notNullable().defaultTo('client');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('revoked_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('client', 'staff', 'admin'))`);

  await knex.schema.createTable('service_requests', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id');
    table.bigInteger('service_id').notNullable().references('services.id');
    table.text('status').notNullable().defaultTo('open');
    table.text('status_notes');
    table.text('description');
    table.text('agency_responsible');
    table.text('service_notice');
    table.timestamp('requested_datetime', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_datetime', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expected_datetime', { useTz: true });
    table.timestamp('closed_datetime', { useTz: true });
    table.text('address');
    table.text('address_id');
    table.text('zipcode');
    table.specificType('location', 'geography(Point,4326)');
    table.specificType('media_urls', 'text[]').notNullable().defaultTo('{}');
    // Answers to the service's attributes: { "CODE": ["value", ...] }.
    table.jsonb('attributes').notNullable().defaultTo('{}');
    table.boolean('is_public').notNullable().defaultTo(true);
    table.bigInteger('api_key_id').references('api_keys.id');
  });
  await knex.raw(
    `ALTER TABLE service_requests ADD CONSTRAINT service_requests_status_check CHECK (status IN ('open', 'closed'))`,
  );
  await knex.raw('CREATE INDEX service_requests_location_gist ON service_requests USING GIST (location)');
  // The default list: one jurisdiction, newest first, with the id as a stable tie-breaker.
  await knex.raw(
    'CREATE INDEX service_requests_requested_idx ON service_requests (jurisdiction_id, requested_datetime DESC, id DESC)',
  );
  await knex.raw(
    'CREATE INDEX service_requests_updated_idx ON service_requests (jurisdiction_id, updated_datetime DESC, id DESC)',
  );
  await knex.raw('CREATE INDEX service_requests_service_idx ON service_requests (service_id, requested_datetime DESC)');

  await knex.schema.createTable('service_request_submitters', (table) => {
    table.bigInteger('service_request_id').primary().references('service_requests.id').onDelete('CASCADE');
    table.text('email');
    table.text('phone');
    table.text('first_name');
    table.text('last_name');
    table.text('device_id');
    table.text('account_id');
  });

  await knex.schema.createTable('request_tokens', (table) => {
    table.text('token').primary();
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id');
    // Null until the request behind the token has an id (batch intake may assign it later).
    table.bigInteger('service_request_id').references('service_requests.id').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('request_tokens');
  await knex.schema.dropTableIfExists('service_request_submitters');
  await knex.schema.dropTableIfExists('service_requests');
  await knex.schema.dropTableIfExists('api_keys');
}
