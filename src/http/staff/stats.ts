// Trends for staff: /api/v1/stats (counts per bucket and key), /backlog, /time-to-close, /overdue and
// /hotspots (GeoJSON grid cells). Staff keys only (the staff router checks the role before this one).
import express, { type Request, type Response, type Router } from 'express';
import { formatDateTime } from '../../domain/datetime.js';
import * as stats from '../../domain/stats.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { sendJson } from './send.js';

export const GEOJSON_CONTENT_TYPE = 'application/geo+json; charset=utf-8';

function sendGeoJson(res: Response, document: stats.HotspotsDocument, timeZone: string): void {
  const body = {
    ...document,
    start_date: formatDateTime(document.start_date, timeZone),
    end_date: formatDateTime(document.end_date, timeZone),
  };
  res.status(200).set('Content-Type', GEOJSON_CONTENT_TYPE).set('Cache-Control', 'no-store').send(JSON.stringify(body));
}

export function statsRouter(context: AppContext): Router {
  const { db, jurisdictions } = context;
  const router = express.Router();
  type JsonReport = (
    db: AppContext['db'],
    registry: AppContext['jurisdictions'],
    query: Request['query'],
    now: Date,
  ) => Promise<stats.Report<unknown>>;
  const json = (report: JsonReport) => async (req: Request, res: Response) => {
    const { document, timeZone } = await report(db, jurisdictions, req.query, new Date());
    sendJson(res, document, timeZone);
  };

  router.get('/', json(stats.counts));
  router.get('/backlog', json(stats.backlog));
  router.get('/time-to-close', json(stats.timeToClose));
  router.get('/overdue', json(stats.overdue));
  router.get('/hotspots', async (req, res) => {
    const { document, timeZone } = await stats.hotspots(db, jurisdictions, req.query, new Date());
    sendGeoJson(res, document, timeZone);
  });

  for (const path of ['/', '/backlog', '/time-to-close', '/overdue', '/hotspots'])
    router.all(path, methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
