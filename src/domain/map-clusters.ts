// EXT: a map of everything. The requests of a window (the GeoReport list's public filters and defaults) over a
// map view, counted per cell of a Web Mercator grid of the zoom (4 × 4 cells of 64 px per 256 px tile), so a map
// at any zoom receives at most a few thousand cells, never every point; a cell holding one request is that
// request. The view is widened to whole tiles of the zoom: nearby views share an answer (and its cache entry),
// and the cells of a tile are the same whichever view asked.
import { badRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import { type ClusterRow, findClusters } from '../store/map-clusters-store.js';
import { parseBbox, planRequestList } from './requests.js';
import type { Jurisdiction, RequestQuery } from './types.js';

export const CELLS_PER_TILE = 4;
export const MAX_ZOOM = 20;
/** At most this many cells in the widened view (a 16 × 16-tile view: 4096 × 4096 px). */
export const MAX_CELLS = 16 * 16 * CELLS_PER_TILE * CELLS_PER_TILE;
const MERCATOR_LAT_LIMIT = 85.0511287798;
// The list filters a map takes; the list's own (paging, ids, radius, extensions) do not apply.
const FILTERS = ['jurisdiction_id', 'service_code', 'status', 'start_date', 'end_date', 'updated_after', 'updated_before'];

type Box = NonNullable<RequestQuery['bbox']>;

export interface MapPlan {
  query: RequestQuery;
  zoom: number;
  /** The widened view, in degrees. */
  box: Box;
  /** A stable text of the plan (equal keys, equal answers for the same data). */
  key: string;
}

export interface MapClusters {
  zoom: number;
  box: Box;
  clusters: ClusterRow[];
}

const tileX = (long: number, tiles: number): number => ((long + 180) / 360) * tiles;
const tileY = (lat: number, tiles: number): number => {
  const clamped = (Math.max(-MERCATOR_LAT_LIMIT, Math.min(MERCATOR_LAT_LIMIT, lat)) * Math.PI) / 180;
  return ((1 - Math.log(Math.tan(Math.PI / 4 + clamped / 2)) / Math.PI) / 2) * tiles;
};
const longOf = (x: number, tiles: number): number => (x / tiles) * 360 - 180;
const latOf = (y: number, tiles: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / tiles))) * 180) / Math.PI;

/** The view widened to whole tiles of the zoom, and how many cells it holds. */
function widen(box: Box, zoom: number): { box: Box; cells: number } {
  const tiles = 2 ** zoom;
  const west = Math.floor(tileX(box.min_long, tiles));
  const east = Math.min(tiles, Math.max(west + 1, Math.ceil(tileX(box.max_long, tiles))));
  const north = Math.floor(tileY(box.max_lat, tiles));
  const south = Math.min(tiles, Math.max(north + 1, Math.ceil(tileY(box.min_lat, tiles))));
  // The edge rows of tiles also hold what lies beyond ±85.05° (the grid clamps it there).
  const widened = {
    min_long: longOf(west, tiles),
    max_long: longOf(east, tiles),
    min_lat: south === tiles ? -90 : latOf(south, tiles),
    max_lat: north === 0 ? 90 : latOf(north, tiles),
  };
  return { box: widened, cells: (east - west) * (south - north) * CELLS_PER_TILE * CELLS_PER_TILE };
}

/**
 * The plan of a map's answer: `view` is the validated zoom and bbox (map-clusters-input.json), `parameters` the
 * query string, whose list filters are read with the list's own rules.
 */
export function planMapClusters(
  jurisdiction: Jurisdiction,
  input: { zoom: number; bbox: string },
  parameters: Record<string, unknown>,
  now = new Date(),
): MapPlan {
  const widened = widen(parseBbox(input.bbox), input.zoom);
  if (widened.cells > MAX_CELLS) {
    throw badRequest(
      `bbox is too large for zoom ${input.zoom}: it spans ${widened.cells} cells of 64 px, at most ${MAX_CELLS} are served (a view of 16 × 16 tiles). Zoom out or ask for a smaller bbox.`,
    );
  }
  const filters = Object.create(null) as Record<string, unknown>;
  for (const name of FILTERS) if (parameters[name] !== undefined) filters[name] = parameters[name];
  const { query } = planRequestList(jurisdiction, filters, now);
  const planned: RequestQuery = { ...query, bbox: widened.box, limit: 0, offset: 0 };
  return { query: planned, zoom: input.zoom, box: widened.box, key: JSON.stringify([planned, input.zoom]) };
}

export async function findMapClusters(db: Db, plan: MapPlan): Promise<MapClusters> {
  const clusters = await findClusters(db, plan.query, 2 ** plan.zoom * CELLS_PER_TILE);
  return { zoom: plan.zoom, box: plan.box, clusters };
}
