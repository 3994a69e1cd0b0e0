// EXT: the map of everything, GET /open311/map/clusters.{json,xml} (domain/map-clusters.ts). JSON is a GeoJSON
// FeatureCollection (its bbox member is the widened view), XML the same cells as elements. Public requests only,
// cached and revalidated like the request lists.
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { formatDateTime } from '../domain/datetime.js';
import { findMapClusters, MAP_FILTERS, type MapClusters, planMapClusters } from '../domain/map-clusters.js';
import { CONTENT_TYPES, escapeXmlText } from '../serialize/serialize.js';
import { coerceCommonQuery, coerceMapView, coerceRequestsQuery } from '../validate/coerce.js';
import { checkedInput } from '../validate/inputs.js';
import { validate } from '../validate/validate.js';
import type { AppContext } from './context.js';
import { methodNotAllowedHandler, notFoundHandler } from './error-handler.js';
import { refuseNul } from './format.js';
import { markMount } from './observability.js';
import { changeMarkersOf } from './response-cache.js';
import type { RenderedAnswer } from './response-cache.js';
import { respondCached, type RespondOptions } from './respond.js';

export const MAP_BASE_PATH = '/open311/map';

// Six decimals of a degree: ~0.1 m, finer than any map shows.
const round = (value: number): number => Math.round(value * 1e6) / 1e6;

function geoJson(found: MapClusters, timeZone: string): string {
  const { box } = found;
  return JSON.stringify({
    type: 'FeatureCollection',
    bbox: [box.min_long, box.min_lat, box.max_long, box.max_lat].map(round),
    zoom: found.zoom,
    features: found.clusters.map((cell) => {
      const geometry = { type: 'Point', coordinates: [round(cell.long), round(cell.lat)] };
      const id = `${found.zoom}/${cell.x}/${cell.y}`;
      return cell.service_request_id === null
        ? { type: 'Feature', geometry, properties: { cell: id, count: cell.count } }
        : {
            type: 'Feature',
            id: cell.service_request_id,
            geometry,
            properties: {
              cell: id,
              count: 1,
              service_request_id: cell.service_request_id,
              service_code: cell.service_code,
              status: cell.status,
              requested_datetime: cell.requested_datetime && formatDateTime(cell.requested_datetime, timeZone),
            },
          };
    }),
  });
}

function xml(found: MapClusters, timeZone: string): string {
  const { box } = found;
  const parts = [
    `<?xml version="1.0" encoding="utf-8"?><clusters><bbox>${[box.min_long, box.min_lat, box.max_long, box.max_lat].map(round).join(',')}</bbox><zoom>${found.zoom}</zoom>`,
  ];
  for (const cell of found.clusters) {
    parts.push(
      `<cluster><cell>${found.zoom}/${cell.x}/${cell.y}</cell><count>${cell.count}</count><lat>${round(cell.lat)}</lat><long>${round(cell.long)}</long>`,
    );
    if (cell.service_request_id !== null) {
      parts.push(
        `<service_request_id>${escapeXmlText(cell.service_request_id)}</service_request_id><service_code>${escapeXmlText(cell.service_code ?? '')}</service_code><status>${escapeXmlText(cell.status ?? '')}</status><requested_datetime>${cell.requested_datetime ? formatDateTime(cell.requested_datetime, timeZone) : ''}</requested_datetime>`,
      );
    }
    parts.push('</cluster>');
  }
  parts.push('</clusters>');
  return parts.join('');
}

export function mapRouter(context: AppContext): Router {
  const router = express.Router();
  const markers = changeMarkersOf(context);
  router.use(markMount);
  // Errors (400, 404, 405) are written in the format the path names (error-handler.ts reads it).
  router.use((req, res, next) => {
    res.locals.format = req.path.endsWith('.json') ? 'json' : 'xml';
    next();
  });
  router.use(refuseNul);
  async function clusters(req: Request, res: Response, format: 'json' | 'xml'): Promise<void> {
    const input = validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query));
    const jurisdiction = await context.jurisdictions.resolve(input.jurisdiction_id);
    const view = validate<{ zoom: number; bbox: string }>('map-clusters-input.json', coerceMapView(req.query));
    const filters = Object.create(null) as Record<string, unknown>;
    for (const name of MAP_FILTERS) if (req.query[name] !== undefined) filters[name] = req.query[name];
    const plan = planMapClusters(jurisdiction, view, checkedInput('query-requests-input.json', coerceRequestsQuery(filters)));
    const options: RespondOptions = { timeZone: jurisdiction.time_zone, cache: 'requests' };
    const version = await markers.requests(jurisdiction);
    await respondCached(req, res, context.cache, `map|${plan.key}`, version, options, async (): Promise<RenderedAnswer> => {
      const found = await context.reads.read((source) => findMapClusters(source, plan));
      const body = format === 'xml' ? xml(found, jurisdiction.time_zone) : geoJson(found, jurisdiction.time_zone);
      const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
      return { body, contentType: CONTENT_TYPES[format], etag, lastModified: undefined, extraHeaders: {} };
    });
  }
  // Literal paths (no format suffix middleware): the two formats are the only ones served.
  // Express 4 does not catch a rejected promise: hand it to the error handler, or the request never ends.
  router.get('/clusters.json', (req, res, next) => clusters(req, res, 'json').catch(next));
  router.get('/clusters.xml', (req, res, next) => clusters(req, res, 'xml').catch(next));
  for (const path of ['/clusters.json', '/clusters.xml']) router.all(path, methodNotAllowedHandler(['GET', 'HEAD']));
  router.use(notFoundHandler);
  return router;
}
