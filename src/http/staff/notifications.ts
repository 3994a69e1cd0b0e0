// Admins see the e-mail outbox: GET /api/v1/notifications?status=failed lists what could not be sent (and
// why), newest first. Addresses of followers and alert subscribers are not shown.
import express, { type Request, type Router } from 'express';
import {
  addOverdueDigestRecipient,
  listNotifications,
  listOverdueDigestRecipients,
  type OverdueDigestInput,
  removeOverdueDigestRecipient,
} from '../../domain/notifications.js';
import { coerceCommonQuery, scalarParameter } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { actorOf } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

export function notificationsAdminRouter(context: AppContext): Router {
  const router = express.Router();
  const jurisdictionOf = (req: Request) =>
    context.jurisdictions.resolve(
      validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
  router.get('/', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const notifications = await listNotifications(context.db, jurisdiction, scalarParameter(req.query, 'status'));
    sendJson(res, { notifications }, jurisdiction.time_zone);
  });
  // Daily digests of an agency's overdue requests (sent at NOTIFY_DIGEST_HOUR when there are any).
  router.get('/overdue-digests', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, { recipients: await listOverdueDigestRecipients(context.db, jurisdiction) }, jurisdiction.time_zone);
  });
  router.post('/overdue-digests', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const created = await addOverdueDigestRecipient(
      context.db,
      jurisdiction,
      validate<OverdueDigestInput>('overdue-digest-input.json', await readJsonObject(req)),
      actorOf(res),
    );
    sendJson(res, created, jurisdiction.time_zone, 201);
  });
  router.delete('/overdue-digests/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    await removeOverdueDigestRecipient(context.db, jurisdiction, String(req.params.id), actorOf(res));
    res.status(204).end();
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD']));
  router.all('/overdue-digests', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/overdue-digests/:id', methodNotAllowedHandler(['DELETE']));
  return router;
}
