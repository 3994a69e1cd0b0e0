// Admins see the e-mail outbox: GET /api/v1/notifications?status=failed lists what could not be sent (and
// why), newest first. Addresses of followers and alert subscribers are not shown.
import express, { type Router } from 'express';
import { listNotifications } from '../../domain/notifications.js';
import { coerceCommonQuery, scalarParameter } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { sendJson } from './send.js';

export function notificationsAdminRouter(context: AppContext): Router {
  const router = express.Router();
  router.get('/', async (req, res) => {
    const jurisdiction = await context.jurisdictions.resolve(
      validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
    const notifications = await listNotifications(context.db, jurisdiction, scalarParameter(req.query, 'status'));
    sendJson(res, { notifications }, jurisdiction.time_zone);
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
