// Trends for staff: /api/v1/stats (counts per bucket and key), /backlog, /time-to-close, /overdue and
// /hotspots (GeoJSON grid cells). Staff keys only (the staff router checks the role before this one).
import express, { type Request, type Response, type Router } from 'express';
import { formatDateTime } from '../../domain/datetime.js';
import * as stats from '../../domain/stats.js';
import type { SchemaTypes } from '../../types/generated.js';
import { type StatsSchemaId, statsInput } from '../../validate/inputs.js';
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
  /** validate(coerce(query)) against the report's schema → the report → JSON. */
  const json =
    <Id extends StatsSchemaId>(
      schemaId: Id,
      report: (
        db: AppContext['db'],
        registry: AppContext['jurisdictions'],
        input: SchemaTypes[Id],
        now: Date,
      ) => Promise<stats.Report<unknown>>,
    ) =>
    async (req: Request, res: Response) => {
      const { document, timeZone } = await report(db, jurisdictions, statsInput(schemaId, req.query), new Date());
      sendJson(res, document, timeZone);
    };

  router.get('/', json('stats-input.json', stats.counts));
  router.get('/backlog', json('stats-backlog-input.json', stats.backlog));
  router.get('/time-to-close', json('stats-time-to-close-input.json', stats.timeToClose));
  router.get('/overdue', json('stats-overdue-input.json', stats.overdue));
  router.get('/hotspots', async (req, res) => {
    const input = statsInput('stats-hotspots-input.json', req.query);
    const { document, timeZone } = await stats.hotspots(db, jurisdictions, input, new Date());
    sendGeoJson(res, document, timeZone);
  });

  for (const path of ['/', '/backlog', '/time-to-close', '/overdue', '/hotspots'])
    router.all(path, methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
