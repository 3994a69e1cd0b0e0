import type { Knex } from 'knex';

// Saved views of the staff console: a person's named queue filters (the query string the queue page reads).
// The owner is the signed-in person's id as text, so the table does not depend on how accounts are stored.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS console_saved_views (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner_id text NOT NULL,
      name text NOT NULL,
      query text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (owner_id, name)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS console_saved_views');
}
