import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS postgis');
}

// The extension may be shared with other schemas of the database; leave it installed.
export async function down(): Promise<void> {}
