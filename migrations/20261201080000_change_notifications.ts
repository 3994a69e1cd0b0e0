import type { Knex } from 'knex';

// Every committed change of the requests (and of their notes, which extended lists show) NOTIFYs one channel,
// whoever made it: another server, the staff API, a CLI, a hand-written UPDATE. Servers LISTEN on it to drop
// cached answers at once instead of polling a change marker (src/store/change-feed.ts). One notification per
// statement, not per row; PostgreSQL folds the identical ones of a transaction into one, sent at commit.
const TABLES = ['service_requests', 'service_request_updates'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION open311_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('open311_changes', '');
      RETURN NULL;
    END $$`);
  for (const table of TABLES) {
    await knex.raw(`DROP TRIGGER IF EXISTS ${table}_notify_changes ON ${table}`);
    await knex.raw(
      `CREATE TRIGGER ${table}_notify_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION open311_notify_changes()`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) await knex.raw(`DROP TRIGGER IF EXISTS ${table}_notify_changes ON ${table}`);
  await knex.raw('DROP FUNCTION IF EXISTS open311_notify_changes()');
}
