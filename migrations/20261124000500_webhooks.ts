import type { Knex } from 'knex';

// Webhooks: subscriptions registered by admins, and the durable outbox of their deliveries. A delivery row
// is written in the same transaction as the change it describes and removed from the queue only by a
// recorded outcome, so a restart loses nothing (delivery is at least once).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhooks', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('jurisdiction_id').notNullable().references('jurisdictions.jurisdiction_id').onDelete('CASCADE');
    table.text('url').notNullable();
    // Kept in clear: it is the HMAC key of every delivery (shown to the admin once, never listed).
    table.text('secret').notNullable();
    table.specificType('events', 'text[]').notNullable();
    table.boolean('active').notNullable().defaultTo(true);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.bigInteger('created_by_key_id').references('api_keys.id').onDelete('SET NULL');
    // Kept in clear so the record survives a key's deletion.
    table.text('created_by_name');
    table.timestamp('deactivated_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX webhooks_jurisdiction_idx ON webhooks (jurisdiction_id) WHERE active');

  await knex.schema.createTable('webhook_deliveries', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('webhook_id').notNullable().references('webhooks.id').onDelete('CASCADE');
    table.text('event_type').notNullable();
    // Shared by every delivery of one event: receivers use it to drop duplicates.
    table.uuid('event_id').notNullable();
    table.jsonb('payload').notNullable();
    table.text('status').notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    // When the next attempt is due; while an attempt is in flight, the end of its lease.
    table.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.text('last_error');
    table.integer('last_status_code');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('delivered_at', { useTz: true });
  });
  await knex.raw(
    `ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed'))`,
  );
  await knex.raw('CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at)');
  await knex.raw('CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhooks');
}
