import type { Knex } from 'knex';

// The staff CRM: workflow fields and optimistic locking on requests, agencies, service areas (PostGIS
// polygons) with routing rules and availability, response-time targets, and the audit trail.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agencies', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('code').notNullable();
    table.text('name').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['jurisdiction_id', 'code']);
  });

  await knex.schema.createTable('service_areas', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('code').notNullable();
    table.text('name').notNullable();
    // district, ward, zone…: free text chosen by the city.
    table.text('kind').notNullable().defaultTo('district');
    table.specificType('area', 'geography(MultiPolygon,4326)').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['jurisdiction_id', 'code']);
  });
  await knex.raw('CREATE INDEX service_areas_area_gist ON service_areas USING GIST (area)');

  // Which agency handles a service, optionally only inside one area. A rule with an area wins over the
  // service's rule without one.
  await knex.schema.createTable('routing_rules', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    table.bigInteger('service_area_id').references('service_areas.id').onDelete('CASCADE');
    table.bigInteger('agency_id').notNullable().references('agencies.id').onDelete('CASCADE');
  });
  await knex.raw('CREATE UNIQUE INDEX routing_rules_unique ON routing_rules (service_id, COALESCE(service_area_id, 0))');

  // A service with no rows here is offered everywhere; with rows, only inside those areas.
  await knex.schema.createTable('service_availability', (table) => {
    table.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    table.bigInteger('service_area_id').notNullable().references('service_areas.id').onDelete('CASCADE');
    table.primary(['service_id', 'service_area_id']);
  });

  await knex.schema.alterTable('services', (table) => {
    // Response-time target: sets expected_datetime on creation.
    table.integer('response_hours');
  });

  await knex.schema.alterTable('service_requests', (table) => {
    table.integer('version').notNullable().defaultTo(1);
    table.bigInteger('agency_id').references('agencies.id').onDelete('SET NULL');
    table.bigInteger('suspected_duplicate_of').references('service_requests.id').onDelete('SET NULL');
  });
  await knex.raw(`ALTER TABLE service_requests ADD CONSTRAINT service_requests_detailed_status_check
    CHECK (detailed_status IN ('submitted', 'acknowledged', 'in_progress', 'on_hold', 'closed', 'duplicate', 'rejected'))`);
  await knex.raw(
    "CREATE INDEX service_requests_expected_idx ON service_requests (jurisdiction_id, expected_datetime) WHERE status = 'open'",
  );
  await knex.raw(
    'CREATE INDEX service_requests_detailed_idx ON service_requests (jurisdiction_id, detailed_status, requested_datetime DESC)',
  );

  await knex.schema.createTable('audit_log', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.bigInteger('actor_key_id').references('api_keys.id').onDelete('SET NULL');
    // Kept in clear so the trail survives a key's deletion.
    table.text('actor_name').notNullable();
    table.text('entity_type').notNullable();
    table.text('entity_id').notNullable();
    table.text('action').notNullable();
    table.jsonb('changes').notNullable().defaultTo('{}');
  });
  await knex.raw('CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, occurred_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
  await knex.raw('ALTER TABLE service_requests DROP CONSTRAINT IF EXISTS service_requests_detailed_status_check');
  await knex.schema.alterTable('service_requests', (table) => {
    table.dropColumn('suspected_duplicate_of');
    table.dropColumn('agency_id');
    table.dropColumn('version');
  });
  await knex.schema.alterTable('services', (table) => {
    table.dropColumn('response_hours');
  });
  await knex.schema.dropTableIfExists('service_availability');
  await knex.schema.dropTableIfExists('routing_rules');
  await knex.schema.dropTableIfExists('service_areas');
  await knex.schema.dropTableIfExists('agencies');
}
