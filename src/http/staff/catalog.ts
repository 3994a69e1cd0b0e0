// Catalog and routing administration: services (with attributes and values), the whole catalog as JSON,
// agencies, service areas, routing rules and availability. Reads need a staff key (checked by the staff
// router), writes an admin key.
import express, { type Request, type Response, type Router } from 'express';
import * as catalog from '../catalog-actions.js';
import type { Jurisdiction } from '../../domain/types.js';
import { coerceCommonQuery } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import { retireMissingOf } from '../../validate/inputs.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { actorOf, requireRole } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

export function catalogRouter(context: AppContext): Router {
  const { db } = context;
  const router = express.Router();
  const admin = requireRole(context, 'admin');
  const jurisdictionOf = async (req: Request): Promise<Jurisdiction> =>
    context.jurisdictions.resolve(
      validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
  const param = (req: Request, name: string): string => String(req.params[name] ?? '');
  const actor = (res: Response): catalog.Actor => {
    const { key_id, staff_id, name } = actorOf(res);
    return { key_id, staff_id, name };
  };

  // ---- services ----
  router.get('/services', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, { services: await catalog.listServices(db, jurisdiction) }, jurisdiction.time_zone);
  });
  router.post('/services', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.createService(db, jurisdiction, body, actor(res));
    sendJson(res, result, jurisdiction.time_zone, 201);
  });
  router.get('/services/:code', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await catalog.getService(db, jurisdiction, param(req, 'code')), jurisdiction.time_zone);
  });
  router.put('/services/:code', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.replaceService(db, jurisdiction, param(req, 'code'), body, actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });
  router.delete('/services/:code', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const result = await catalog.retireService(db, jurisdiction, param(req, 'code'), actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });
  router.put('/services/:code/routing', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.replaceRouting(db, jurisdiction, param(req, 'code'), body, actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });
  router.put('/services/:code/availability', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.replaceAvailability(db, jurisdiction, param(req, 'code'), body, actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });

  // ---- the whole catalog ----
  router.get('/catalog', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    res.set(
      'Content-Disposition',
      `inline; filename="catalog-${jurisdiction.jurisdiction_id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`,
    );
    sendJson(res, await catalog.exportCatalog(db, jurisdiction), jurisdiction.time_zone);
  });
  router.put('/catalog', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const retireMissing = retireMissingOf(req.query);
    const body = await readJsonObject(req);
    const result = await catalog.importCatalog(db, jurisdiction, body, retireMissing, actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });

  // ---- agencies ----
  router.get('/agencies', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, { agencies: await catalog.listAgencies(db, jurisdiction) }, jurisdiction.time_zone);
  });
  router.post('/agencies', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.createAgency(db, jurisdiction, body, actor(res));
    sendJson(res, result, jurisdiction.time_zone, 201);
  });
  router.put('/agencies/:code', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.updateAgency(db, jurisdiction, param(req, 'code'), body, actor(res));
    sendJson(res, result, jurisdiction.time_zone);
  });

  // ---- service areas ----
  router.get('/areas', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await catalog.listAreas(db, jurisdiction), jurisdiction.time_zone);
  });
  router.post('/areas', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const result = await catalog.createArea(db, jurisdiction, body, actor(res));
    sendJson(res, result, jurisdiction.time_zone, 201);
  });
  router.get('/areas/:code', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await catalog.getArea(db, jurisdiction, param(req, 'code')), jurisdiction.time_zone);
  });
  router.delete('/areas/:code', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    await catalog.deleteArea(db, jurisdiction, param(req, 'code'), actor(res));
    res.status(204).set('Cache-Control', 'no-store').end();
  });

  router.all('/services', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/services/:code', methodNotAllowedHandler(['GET', 'HEAD', 'PUT', 'DELETE']));
  router.all('/services/:code/routing', methodNotAllowedHandler(['PUT']));
  router.all('/services/:code/availability', methodNotAllowedHandler(['PUT']));
  router.all('/catalog', methodNotAllowedHandler(['GET', 'HEAD', 'PUT']));
  router.all('/agencies', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/agencies/:code', methodNotAllowedHandler(['PUT']));
  router.all('/areas', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/areas/:code', methodNotAllowedHandler(['GET', 'HEAD', 'DELETE']));
  return router;
}
