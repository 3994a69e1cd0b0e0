// The staff API (/api/v1): JSON over the same store, Bearer keys with roles. Staff keys work requests;
// admin keys also manage the catalog, routing, keys and webhooks.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AppContext } from '../context.js';
import { notFoundHandler } from '../error-handler.js';
import { refuseNul } from '../format.js';
import { requireRole } from './auth.js';
import { catalogRouter } from './catalog.js';
import { keysRouter } from './keys.js';
import { staffRequestsRouter } from './requests.js';
import { webhooksRouter } from './webhooks.js';
import { notificationsAdminRouter } from './notifications.js';
import { identitySettingsRouter, meRouter, staffAccountsRouter } from './identity.js';
import { templatesRouter } from './templates.js';
import { statsRouter } from './stats.js';

export const STAFF_BASE_PATH = '/api/v1';

export function staffRouter(context: AppContext): Router {
  const router = express.Router();
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.locals.format = 'json';
    next();
  });
  router.use(refuseNul);
  router.use(requireRole(context, 'staff'));
  router.use('/me', meRouter(context));
  router.use('/staff', staffAccountsRouter(context));
  router.use('/identity-settings', identitySettingsRouter(context));
  router.use('/response-templates', templatesRouter(context));
  router.use('/keys', requireRole(context, 'admin'), keysRouter(context));
  router.use('/stats', statsRouter(context));
  router.use('/webhooks', requireRole(context, 'admin'), webhooksRouter(context));
  router.use('/notifications', requireRole(context, 'admin'), notificationsAdminRouter(context));
  router.use(catalogRouter(context));
  router.use('/requests', staffRequestsRouter(context));
  router.use(notFoundHandler);
  return router;
}
