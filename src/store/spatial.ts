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

/** A cell of the grid as its bounds in degrees and the number open311_place_cell gives it. */
interface Cell {
  number: string;
  min_lat: number;
  max_lat: number;
  min_long: number;
  max_long: number;
}

/** The cells a box in degrees overlaps (as open311_place_cell numbers them), or undefined past MAX_CELLS. */
function cellsOfBox(box: { min_long: number; min_lat: number; max_long: number; max_lat: number }): Cell[] | undefined {
  if (!(box.min_long <= box.max_long && box.min_lat <= box.max_lat)) return undefined;
  // PostGIS compares boxes in single precision (rounded outward): `&&` holds points up to ~1e-5 degree outside
  // the box. The cells are of a box larger by EDGE_SLACK, so that every point the exact test holds is in one.
  const lat0 = Math.floor((box.min_lat - EDGE_SLACK) / CELL_DEGREES);
  const lat1 = Math.floor((box.max_lat + EDGE_SLACK) / CELL_DEGREES);
  const long0 = Math.floor((box.min_long - EDGE_SLACK) / CELL_DEGREES);
  const long1 = Math.floor((box.max_long + EDGE_SLACK) / CELL_DEGREES);
  if ((lat1 - lat0 + 1) * (long1 - long0 + 1) > MAX_CELLS) return undefined;
  const cells: Cell[] = [];
  for (let lat = lat0; lat <= lat1; lat += 1) {
    for (let long = long0; long <= long1; long += 1) {
      cells.push({
        number: String((lat + 90_000) * 1_000_000 + (long + 180_000)),
        // A point is numbered by floor(degrees / 0.001) in double precision: it may sit a rounding error outside
        // its cell's exact bounds, so the bounds are widened by far more than that.
        min_lat: lat * CELL_DEGREES - CELL_ROUNDING,
        max_lat: (lat + 1) * CELL_DEGREES + CELL_ROUNDING,
        min_long: long * CELL_DEGREES - CELL_ROUNDING,
        max_long: (long + 1) * CELL_DEGREES + CELL_ROUNDING,
      });
    }
  }
  return cells;
}

/** Far more than the error of numbering a point's cell in double precision (about 1e-14 degree). */
const CELL_ROUNDING = 1e-9;

const asArray = (cells: Cell[]): string => `{${cells.map((cell) => cell.number).join(',')}}`;

/**
 * The exact test of a place, on the rows of the cells it overlaps. The exact test is wrapped (IS TRUE, the same
 * truth in a WHERE) so that it is not an index condition: else the planner, which estimates a circle's or box's
 * share of rows and the cells' share as if independent (1 row where 11,000 were), combines the GiST index
 * with the cells in a bitmap and visits every matching row (120-170 ms for 300 m downtown at 1M) instead of
 * testing the point the place-cell index carries (an index-only scan, 15 ms).
 *
 * A cell wholly inside the place needs no exact test: every point of it is a match. So the test is skipped for
 * those (`inside`), and only the cells the place's edge crosses pay for it (the geography-to-geometry cast, and
 * for a circle the distance on the spheroid, about 3 µs a point). The cell of each entry is read from the
 * place-cell index itself (an index-only scan returns the indexed expression), so asking costs no recomputation.
 */
function narrowedByCells(db: Db, column: string, exact: Knex.Raw, cells: Cell[], inside: (cell: Cell) => boolean): Knex.Raw {
  const interior = cells.filter(inside);
  if (interior.length === 0) {
    return db.raw(`((?) IS TRUE AND open311_place_cell(${column}) = ANY(?::bigint[]))`, [exact, asArray(cells)]);
  }
  return db.raw(
    `((open311_place_cell(${column}) = ANY(?::bigint[]) OR (?)) IS TRUE AND open311_place_cell(${column}) = ANY(?::bigint[]))`,
    [asArray(interior), exact, asArray(cells)],
  );
}

// Fewer metres per degree than anywhere on the WGS84 spheroid (110,574 m of latitude at the equator; a degree of
// longitude is at least 111,319 m x cos(latitude)): a box of these spans holds the whole circle.
const SAFE_METERS_PER_DEGREE = 110_000;

/** The box around a circle, or undefined near the poles and the antimeridian (left to GiST). */
function boxOfCircle(near: { lat: number; long: number; radius: number }): Box | undefined {
  const spanLat = near.radius / SAFE_METERS_PER_DEGREE;
  const farthestLat = Math.abs(near.lat) + spanLat;
  if (farthestLat >= 85) return undefined;
  const spanLong = near.radius / (SAFE_METERS_PER_DEGREE * Math.cos((farthestLat * Math.PI) / 180));
  if (near.long - spanLong < -180 || near.long + spanLong > 180) return undefined;
  return {
    min_lat: near.lat - spanLat,
    max_lat: near.lat + spanLat,
    min_long: near.long - spanLong,
    max_long: near.long + spanLong,
  };
}

// WGS84, for the distance from a circle's centre to a cell's corner.
const WGS84_A = 6_378_137;
const WGS84_E2 = 6.694_379_990_14e-3;
/**
 * How much nearer than the radius a cell's corners must be, by the local approximation below, for the cell to
 * count as inside the circle. Over a few kilometres the approximation is within 1e-5 of the distance on the
 * spheroid; this leaves a hundred times that, and a metre besides.
 */
const INSIDE_MARGIN = 0.001;
const MAX_INSIDE_RADIUS = 5000;

/** Metres from a circle's centre to a point, on the plane tangent at their midpoint (WGS84 radii of curvature). */
function metersFrom(near: { lat: number; long: number }, lat: number, long: number): number {
  const middle = (((lat + near.lat) / 2) * Math.PI) / 180;
  const sin = Math.sin(middle);
  const w = Math.sqrt(1 - WGS84_E2 * sin * sin);
  const meridian = (WGS84_A * (1 - WGS84_E2)) / (w * w * w);
  const normal = WGS84_A / w;
  const north = meridian * (((lat - near.lat) * Math.PI) / 180);
  const east = normal * Math.cos(middle) * (((long - near.long) * Math.PI) / 180);
  return Math.hypot(north, east);
}

/**
 * Whether a cell lies wholly inside a circle: its four corners are (the disc is convex at these sizes), nearer
 * than the radius with room to spare.
 */
function cellInsideCircle(near: { lat: number; long: number; radius: number }, cell: Cell): boolean {
  if (near.radius > MAX_INSIDE_RADIUS) return false;
  const limit = near.radius * (1 - INSIDE_MARGIN) - 1;
  if (limit <= 0) return false;
  for (const lat of [cell.min_lat, cell.max_lat]) {
    for (const long of [cell.min_long, cell.max_long]) {
      if (metersFrom(near, lat, long) > limit) return false;
    }
  }
  return true;
}

/**
 * Whether a cell lies wholly outside a circle (a corner cell of the box around it): its point nearest the
 * centre (the centre clamped into the cell) is farther than the radius with room to spare.
 */
function cellOutsideCircle(near: { lat: number; long: number; radius: number }, cell: Cell): boolean {
  if (near.radius > MAX_INSIDE_RADIUS) return false;
  const lat = Math.min(Math.max(near.lat, cell.min_lat), cell.max_lat);
  const long = Math.min(Math.max(near.long, cell.min_long), cell.max_long);
  return metersFrom(near, lat, long) > near.radius * (1 + INSIDE_MARGIN) + 1;
}

type Box = { min_long: number; min_lat: number; max_long: number; max_lat: number };
type Circle = { lat: number; long: number; radius: number };
const cellInsideBox = (box: Box, cell: Cell): boolean =>
  cell.min_lat >= box.min_lat && cell.max_lat <= box.max_lat && cell.min_long >= box.min_long && cell.max_long <= box.max_long;

/** The exact test of a circle: ST_DWithin on geography (metres on the spheroid). */
function circleTest(db: Db, column: string, near: Circle): Knex.Raw {
  return postgis(db).dwithin(column, geographyPoint(db, near.long, near.lat), near.radius);
}

/** The exact test of a box in degrees: planar, a bounding-box test on the point as geometry (exact for points). */
function boxTest(db: Db, column: string, box: Box): Knex.Raw {
  return db.raw(`(${column})::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [
    box.min_long,
    box.min_lat,
    box.max_long,
    box.max_lat,
  ]);
}

/** A grid cell of a place: its open311_place_cell number, and whether the place holds all of it. */
export interface PlaceCell {
  number: string;
  inside: boolean;
}

/**
 * The cells of a circle or a box, each marked wholly inside the place or crossed by its edge, with the exact
 * test the crossed ones need; undefined where the grid steps aside (more than MAX_CELLS cells, the poles, the
 * antimeridian).
 */
export function placeCells(
  db: Db,
  column: string,
  place: { near: Circle } | { bbox: Box },
): { cells: PlaceCell[]; exact: Knex.Raw } | undefined {
  if ('near' in place) {
    const around = boxOfCircle(place.near);
    const cells = around && cellsOfBox(around)?.filter((cell) => !cellOutsideCircle(place.near, cell));
    if (!cells) return undefined;
    return {
      cells: cells.map((cell) => ({ number: cell.number, inside: cellInsideCircle(place.near, cell) })),
      exact: circleTest(db, column, place.near),
    };
  }
  const cells = cellsOfBox(place.bbox);
  if (!cells) return undefined;
  return {
    cells: cells.map((cell) => ({ number: cell.number, inside: cellInsideBox(place.bbox, cell) })),
    exact: boxTest(db, column, place.bbox),
  };
}

/**
 * How a place is narrowed before its exact test. `cells`: by the grid cells it overlaps, for queries the
 * place-cell index can answer (there the cell of each entry is in the index). `envelope`: by its box in degrees
 * tested on the point, for rows that come from elsewhere (the newest-first walk of the date index), where a
 * point's cell would have to be computed and costs twice the box test.
 */
export type PlaceNarrowing = 'cells' | 'envelope';

/** `column` within `meters` of the point (ST_DWithin on geography: metres, index-assisted). */
export function withinMeters(db: Db, column: string, near: Circle, narrowing: PlaceNarrowing = 'cells'): Knex.Raw {
  const exact = circleTest(db, column, near);
  const around = boxOfCircle(near);
  if (around && narrowing === 'envelope') {
    // The box holds the whole circle, widened by EDGE_SLACK against the single precision of `&&`.
    return db.raw(`((?) IS TRUE AND (${column})::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326))`, [
      exact,
      around.min_long - EDGE_SLACK,
      around.min_lat - EDGE_SLACK,
      around.max_long + EDGE_SLACK,
      around.max_lat + EDGE_SLACK,
    ]);
  }
  // The corner cells of the box that the circle does not reach are left out.
  const cells = around && cellsOfBox(around)?.filter((cell) => !cellOutsideCircle(near, cell));
  return cells === undefined ? exact : narrowedByCells(db, column, exact, cells, (cell) => cellInsideCircle(near, cell));
}

/**
 * `column` (a geography point) inside the box given in degrees: planar, as a box in degrees is, so a
 * bounding-box test on the point as geometry (index service_requests_location_geometry_gist), exact for points.
 */
export function insideBox(db: Db, column: string, box: Box, narrowing: PlaceNarrowing = 'cells'): Knex.Raw {
  const exact = boxTest(db, column, box);
  const cells = narrowing === 'cells' ? cellsOfBox(box) : undefined;
  return cells === undefined ? exact : narrowedByCells(db, column, exact, cells, (cell) => cellInsideBox(box, cell));
}
