import type { Knex } from 'knex';

// Every foreign key is a lookup per inserted row, and on the two tables every request writes they were a third
// to a half of an insert's cost. A request's jurisdiction and service are now one key, (jurisdiction_id,
// service_id) → services, which also says what the two separate keys did not: a request's service belongs to
// its jurisdiction. A history entry's jurisdiction_id is a copy of its request's, kept for the updates
// window index and set from the request in every statement that writes one; the key to its request (which
// cascades) carries its integrity, so the separate key to jurisdictions goes.
// The composite key is deferrable so that renaming a jurisdiction can move the rows of each table in turn.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE services ADD CONSTRAINT services_jurisdiction_id_id_unique UNIQUE (jurisdiction_id, id)');
  await knex.raw(`ALTER TABLE service_requests
    ADD CONSTRAINT service_requests_service_foreign FOREIGN KEY (jurisdiction_id, service_id)
      REFERENCES services (jurisdiction_id, id) DEFERRABLE INITIALLY IMMEDIATE`);
  await knex.raw('ALTER TABLE service_requests DROP CONSTRAINT service_requests_service_id_foreign');
  await knex.raw('ALTER TABLE service_requests DROP CONSTRAINT service_requests_jurisdiction_id_foreign');
  await knex.raw('ALTER TABLE service_request_updates DROP CONSTRAINT service_request_updates_jurisdiction_id_foreign');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE service_request_updates
    ADD CONSTRAINT service_request_updates_jurisdiction_id_foreign FOREIGN KEY (jurisdiction_id)
      REFERENCES jurisdictions (jurisdiction_id)`);
  await knex.raw(`ALTER TABLE service_requests
    ADD CONSTRAINT service_requests_jurisdiction_id_foreign FOREIGN KEY (jurisdiction_id)
      REFERENCES jurisdictions (jurisdiction_id)`);
  await knex.raw(`ALTER TABLE service_requests
    ADD CONSTRAINT service_requests_service_id_foreign FOREIGN KEY (service_id) REFERENCES services (id)`);
  await knex.raw('ALTER TABLE service_requests DROP CONSTRAINT service_requests_service_foreign');
  await knex.raw('ALTER TABLE services DROP CONSTRAINT services_jurisdiction_id_id_unique');
}
