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

// The grid of migration 20261202170000 (open311_place_cell): cells of 0.001 degree
// (about 111 m x 86 m in Lancaster; finer cells waste less around a place, at one index descent per cell). A place that overlaps at most
// MAX_CELLS of them is also asked for by its cells, so the planner can count it on that btree (an index-only
// scan of the matches in those cells); a larger place is left to the other indexes.
const CELL_DEGREES = 0.001;
const MAX_CELLS = 400;
/** Degrees added around a place before its cells are listed (about 11 m; float4 boxes are off by < 2e-5). */
const EDGE_SLACK = 1e-4;

/** The place-cell numbers of the cells a box in degrees overlaps (as open311_place_cell numbers them). */
function cellsOfBox(box: { min_long: number; min_lat: number; max_long: number; max_lat: number }): string | undefined {
  if (!(box.min_long <= box.max_long && box.min_lat <= box.max_lat)) return undefined;
  // PostGIS compares boxes in single precision (rounded outward): `&&` holds points up to ~1e-5 degree outside
  // the box. The cells are of a box larger by EDGE_SLACK, so that every point the exact test holds is in one.
  const lat0 = Math.floor((box.min_lat - EDGE_SLACK) / CELL_DEGREES);
  const lat1 = Math.floor((box.max_lat + EDGE_SLACK) / CELL_DEGREES);
  const long0 = Math.floor((box.min_long - EDGE_SLACK) / CELL_DEGREES);
  const long1 = Math.floor((box.max_long + EDGE_SLACK) / CELL_DEGREES);
  if ((lat1 - lat0 + 1) * (long1 - long0 + 1) > MAX_CELLS) return undefined;
  const cells: string[] = [];
  for (let lat = lat0; lat <= lat1; lat += 1) {
    for (let long = long0; long <= long1; long += 1) cells.push(String((lat + 90_000) * 1_000_000 + (long + 180_000)));
  }
  return `{${cells.join(',')}}`;
}

/**
 * The exact test of a place, on the rows of the cells it overlaps. The exact test is wrapped (IS TRUE, the same
 * truth in a WHERE) so that it is not an index condition: else the planner, which estimates a circle's or box's
 * share of rows and the cells' share as if independent (1 row where 11,000 were), combines the GiST index
 * with the cells in a bitmap and visits every matching row (120-170 ms for 300 m downtown at 1M) instead of
 * testing the point the place-cell index carries (an index-only scan, 15 ms).
 */
function narrowedByCells(db: Db, column: string, exact: Knex.Raw, cells: string): Knex.Raw {
  return db.raw(`((?) IS TRUE AND open311_place_cell(${column}) = ANY(?::bigint[]))`, [exact, cells]);
}

// Fewer metres per degree than anywhere on the WGS84 spheroid (110,574 m of latitude at the equator; a degree of
// longitude is at least 111,319 m x cos(latitude)): a box of these spans holds the whole circle.
const SAFE_METERS_PER_DEGREE = 110_000;

/** The cells of a box around the circle, or undefined near the poles and the antimeridian (left to GiST). */
function cellsOfCircle(near: { lat: number; long: number; radius: number }): string | undefined {
  const spanLat = near.radius / SAFE_METERS_PER_DEGREE;
  const farthestLat = Math.abs(near.lat) + spanLat;
  if (farthestLat >= 85) return undefined;
  const spanLong = near.radius / (SAFE_METERS_PER_DEGREE * Math.cos((farthestLat * Math.PI) / 180));
  if (near.long - spanLong < -180 || near.long + spanLong > 180) return undefined;
  return cellsOfBox({
    min_lat: near.lat - spanLat,
    max_lat: near.lat + spanLat,
    min_long: near.long - spanLong,
    max_long: near.long + spanLong,
  });
}

/** `column` within `meters` of the point (ST_DWithin on geography: metres, index-assisted). */
export function withinMeters(db: Db, column: string, near: { lat: number; long: number; radius: number }): Knex.Raw {
  const exact = postgis(db).dwithin(column, geographyPoint(db, near.long, near.lat), near.radius);
  const cells = cellsOfCircle(near);
  return cells === undefined ? exact : narrowedByCells(db, column, exact, cells);
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
  const exact = db.raw(`(${column})::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [
    box.min_long,
    box.min_lat,
    box.max_long,
    box.max_lat,
  ]);
  const cells = cellsOfBox(box);
  return cells === undefined ? exact : narrowedByCells(db, column, exact, cells);
}
