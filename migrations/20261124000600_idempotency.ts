import type { Knex } from 'knex';

// Idempotency-Key on POST: a retried POST returns the answer of the first one instead of a duplicate.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (table) => {
    table.bigInteger('api_key_id').notNullable().references('api_keys.id').onDelete('CASCADE');
    table.text('idempotency_key').notNullable();
    // Which endpoint and what body: the same key with another request is refused, not replayed.
    table.text('fingerprint').notNullable();
    table.jsonb('response').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['api_key_id', 'idempotency_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
}
