import type { Knex } from 'knex';

// The catalog too NOTIFYs the change channel (see 20261201080000_change_notifications.ts, which sorts and runs before this one): every catalog
// change moves jurisdictions.catalog_changed_at (the discovery changeset), so a trigger there is enough. With
// it, servers whose change feed is live keep the changeset in memory instead of reading it on every
// services.json and discovery.json.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS jurisdictions_notify_changes ON jurisdictions');
  await knex.raw(
    `CREATE TRIGGER jurisdictions_notify_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jurisdictions
     FOR EACH STATEMENT EXECUTE FUNCTION open311_notify_changes()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS jurisdictions_notify_changes ON jurisdictions');
}
