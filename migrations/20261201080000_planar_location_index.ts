import type { Knex } from 'knex';

// A bbox is given in degrees: "inside the box" is planar, a bounding-box test on the point as geometry, which
// this index answers exactly (for points && is containment), with no spherical recheck of every row. Its
// statistics (ANALYZE gathers them for expression indexes) also give the planner real estimates of how many
// requests a box holds, so a dense downtown box and an empty field get the plans their sizes call for.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS service_requests_location_geometry_gist ON service_requests USING GIST ((location::geometry))',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS service_requests_location_geometry_gist');
}
