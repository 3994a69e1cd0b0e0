// PostGIS expressions through knex-postgis: points and boxes as geography, so distance filters use metres
// and the GiST index on the geography columns.
import knexPostgis from 'knex-postgis';
import type { Knex } from 'knex';
import type { Db } from './db.js';

type Postgis = ReturnType<typeof knexPostgis>;
const installed = new WeakMap<Db, Postgis>();

function postgis(db: Db): Postgis {
  let st = installed.get(db);
  if (!st) {
    st = knexPostgis(db);
    installed.set(db, st);
  }
  return st;
}

/** A WGS84 point as geography. */
export function geographyPoint(db: Db, long: number, lat: number): Knex.Raw {
  const st = postgis(db);
  return st.geography(st.setSRID(st.makePoint(long, lat), 4326));
}

/** `column` within `meters` of the point (ST_DWithin on geography: metres, index-assisted). */
export function withinMeters(db: Db, column: string, near: { lat: number; long: number; radius: number }): Knex.Raw {
  return postgis(db).dwithin(column, geographyPoint(db, near.long, near.lat), near.radius);
}

/**
 * `column` (a geography point) inside the box given in degrees: planar, as a box in degrees is, so a
 * bounding-box test on the point as geometry (index service_requests_location_geometry_gist), exact for points.
 */
export function insideBox(
  db: Db,
  column: string,
  box: { min_long: number; min_lat: number; max_long: number; max_lat: number },
): Knex.Raw {
  return db.raw(`(${column})::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [
    box.min_long,
    box.min_lat,
    box.max_long,
    box.max_lat,
  ]);
}
