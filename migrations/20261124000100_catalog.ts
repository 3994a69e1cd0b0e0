import type { Knex } from 'knex';

// Jurisdictions, and the service catalog of each: services, their attributes and list values.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jurisdictions', (table) => {
    table.text('jurisdiction_id').primary();
    table.text('name').notNullable();
    table.text('time_zone').notNullable();
    // Bumped by every change to this jurisdiction's catalog: the discovery `changeset`.
    table.timestamp('catalog_changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('services', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('service_code').notNullable();
    table.text('service_name').notNullable();
    table.text('description');
    table.text('type').notNullable().defaultTo('realtime');
    table.specificType('keywords', 'text[]').notNullable().defaultTo('{}');
    table.text('service_group');
    // Text returned as `service_notice` on creation (what happens next, the SLA in words).
    table.text('service_notice');
    table.text('agency_responsible');
    table.boolean('active').notNullable().defaultTo(true);
    table.integer('display_order').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['jurisdiction_id', 'service_code']);
  });
  await knex.raw(`ALTER TABLE services ADD CONSTRAINT services_type_check CHECK (type IN ('realtime', 'batch', 'blackbox'))`);

  await knex.schema.createTable('service_attributes', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    table.text('code').notNullable();
    table.boolean('variable').notNullable().defaultTo(true);
    table.text('datatype').notNullable();
    table.boolean('required').notNullable().defaultTo(false);
    table.text('datatype_description');
    table.integer('sort_order').notNullable();
    table.text('description').notNullable();
    table.unique(['service_id', 'code']);
    table.unique(['service_id', 'sort_order']);
  });
  await knex.raw(`ALTER TABLE service_attributes ADD CONSTRAINT service_attributes_datatype_check
    CHECK (datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'))`);
  await knex.raw('ALTER TABLE service_attributes ADD CONSTRAINT service_attributes_order_check CHECK (sort_order > 0)');

  await knex.schema.createTable('service_attribute_values', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('attribute_id').notNullable().references('service_attributes.id').onDelete('CASCADE');
    table.text('key').notNullable();
    table.text('name').notNullable();
    table.integer('sort_order').notNullable();
    table.unique(['attribute_id', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('service_attribute_values');
  await knex.schema.dropTableIfExists('service_attributes');
  await knex.schema.dropTableIfExists('services');
  await knex.schema.dropTableIfExists('jurisdictions');
}
