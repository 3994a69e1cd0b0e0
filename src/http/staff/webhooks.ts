// Admin management of webhooks: register a URL for events (the signing secret is shown once), list them
// (never their secrets), deactivate one and activate it again, and read its recent deliveries (src/domain/webhooks.ts). Delivery
// itself is done by src/webhooks/dispatcher.ts from the outbox.
import express, { type Request, type Router } from 'express';
import * as webhooks from '../../domain/webhooks.js';
import { coerceCommonQuery, scalarParameter } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import { webhookInputOf } from '../../validate/inputs.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { parseNetworks } from '../../webhooks/destination.js';
import { actorOf } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

const DEFAULT_DELIVERIES = 50;

export function webhooksRouter(context: AppContext): Router {
  const { db } = context;
  const allowedNetworks = parseNetworks(context.config.webhookAllowedNetworks.join(','));
  const router = express.Router();
  const jurisdictionOf = async (req: Request, fromBody?: string) =>
    context.jurisdictions.resolve(
      fromBody ?? validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
  const idOf = (req: Request): string => String(req.params.id ?? '');

  router.get('/', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, { webhooks: await webhooks.listWebhooks(db, jurisdiction) }, jurisdiction.time_zone);
  });

  router.post('/', async (req, res) => {
    const input = webhookInputOf(await readJsonObject(req));
    const jurisdiction = await jurisdictionOf(req, input.jurisdiction_id);
    const record = await webhooks.createWebhook(db, jurisdiction, input, allowedNetworks, actorOf(res));
    res.set('Location', `${req.baseUrl}/${record.id}`);
    // The only answer that ever shows the secret.
    sendJson(res, record, jurisdiction.time_zone, 201);
  });

  router.get('/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await webhooks.getWebhook(db, jurisdiction, idOf(req)), jurisdiction.time_zone);
  });

  router.delete('/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    await webhooks.deactivateWebhook(db, jurisdiction, idOf(req), actorOf(res));
    res.status(204).end();
  });

  router.post('/:id/activate', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    await webhooks.reactivateWebhook(db, jurisdiction, idOf(req), actorOf(res));
    res.status(204).end();
  });

  router.get('/:id/deliveries', async (req, res) => {
    const query = validate<{ jurisdiction_id?: string; limit?: string }>('staff-deliveries-query.json', {
      ...coerceCommonQuery(req.query),
      ...(scalarParameter(req.query, 'limit') === undefined ? {} : { limit: scalarParameter(req.query, 'limit') }),
    });
    const jurisdiction = await jurisdictionOf(req, query.jurisdiction_id);
    const { webhook, deliveries } = await webhooks.listDeliveries(
      db,
      jurisdiction,
      idOf(req),
      query.limit === undefined ? DEFAULT_DELIVERIES : Number(query.limit),
    );
    sendJson(res, { webhook_id: webhook.id, deliveries }, jurisdiction.time_zone);
  });

  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['GET', 'HEAD', 'DELETE']));
  router.all('/:id/activate', methodNotAllowedHandler(['POST']));
  router.all('/:id/deliveries', methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
