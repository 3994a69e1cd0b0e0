// Staff work on requests: the queue, one request in full, changes with audit and concurrency control,
// duplicates.
import express, { type Request, type Response, type Router } from 'express';
import { requestNotifications } from '../../domain/notifications.js';
import * as workflow from '../workflow-actions.js';
import { coerceCommonQuery } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { markMount } from '../observability.js';
import { actorOf } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

export function staffRequestsRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  router.use(markMount);
  const jurisdictionOf = async (req: Request) =>
    context.jurisdictions.resolve(
      validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
  const idOf = (req: Request): string => String(req.params.service_request_id ?? '');
  const ifMatchOf = (req: Request): string | undefined => req.headers['if-match'];
  const sendRequest = (res: Response, request: workflow.StaffRequestView, timeZone: string): void => {
    res.set('ETag', workflow.etagOf(request.service_request_id, request.version));
    sendJson(res, request, timeZone);
  };

  router.get('/', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await workflow.queue(db, jurisdiction, req.query, actorOf(res)), jurisdiction.time_zone);
  });

  router.get('/:service_request_id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendRequest(res, await workflow.getForStaff(db, jurisdiction, idOf(req)), jurisdiction.time_zone);
  });

  router.patch('/:service_request_id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const changed = await workflow.changeRequest(db, jurisdiction, idOf(req), body, ifMatchOf(req), actorOf(res));
    context.events?.poke();
    sendRequest(res, changed, jurisdiction.time_zone);
  });

  router.get('/:service_request_id/duplicates', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const candidates = await workflow.findDuplicates(db, jurisdiction, idOf(req), req.query, {
      radius_meters: config.duplicateRadiusMeters,
      window_hours: config.duplicateWindowHours,
    });
    sendJson(res, { service_request_id: idOf(req), candidates }, jurisdiction.time_zone);
  });

  router.post('/:service_request_id/duplicate-of', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const body = await readJsonObject(req);
    const changed = await workflow.markDuplicate(db, jurisdiction, idOf(req), body, ifMatchOf(req), actorOf(res));
    context.events?.poke();
    sendRequest(res, changed, jurisdiction.time_zone);
  });

  // Which notifications of the request went out and when (a follower's address is never shown).
  router.get('/:service_request_id/notifications', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const notifications = await requestNotifications(db, jurisdiction, idOf(req));
    sendJson(res, { service_request_id: idOf(req), notifications }, jurisdiction.time_zone);
  });

  router.all('/', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/:service_request_id', methodNotAllowedHandler(['GET', 'HEAD', 'PATCH']));
  router.all('/:service_request_id/duplicates', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/:service_request_id/duplicate-of', methodNotAllowedHandler(['POST']));
  router.all('/:service_request_id/notifications', methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
