// Admin management of webhooks: register a URL for events (the signing secret is shown once), list them
// (never their secrets), deactivate one, and read its recent deliveries. Delivery itself is done by
// src/webhooks/dispatcher.ts from the outbox.
import { randomBytes } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { badRequest, notFound } from '../../errors.js';
import type { EventType } from '../../store/outbox-store.js';
import { createWebhook, deactivateWebhook, getWebhook, listDeliveries, listWebhooks } from '../../store/webhooks-store.js';
import { coerceCommonQuery, scalarParameter } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { parseNetworks, refusedDestination } from '../../webhooks/destination.js';
import { actorOf } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

const DEFAULT_DELIVERIES = 50;

export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * The URL as it will be called, or a 400: absolute http(s), with a host, without credentials, to a public
 * address or an allowed network (src/webhooks/destination.ts; each delivery checks again).
 */
async function checkedUrl(text: string, allowed: ReturnType<typeof parseNetworks>): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest(
      'url must be an absolute http:// or https:// URL of at most 2000 characters, without user name or password.',
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw badRequest(
      'url must be an absolute http:// or https:// URL of at most 2000 characters, without user name or password.',
    );
  }
  const refusal = await refusedDestination(url, allowed);
  if (refusal !== undefined) throw badRequest(refusal);
  return url.href;
}

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
    sendJson(res, { webhooks: await listWebhooks(db, jurisdiction.jurisdiction_id) }, jurisdiction.time_zone);
  });

  router.post('/', async (req, res) => {
    const input = validate<{ url: string; events: EventType[]; secret?: string; jurisdiction_id?: string }>(
      'staff-webhook-input.json',
      await readJsonObject(req),
    );
    const jurisdiction = await jurisdictionOf(req, input.jurisdiction_id);
    const secret = input.secret ?? generateWebhookSecret();
    const record = await createWebhook(db, {
      jurisdiction_id: jurisdiction.jurisdiction_id,
      url: await checkedUrl(input.url, allowedNetworks),
      events: input.events,
      secret,
      actor: actorOf(res),
    });
    res.set('Location', `${req.baseUrl}/${record.id}`);
    // The only answer that ever shows the secret.
    sendJson(res, { ...record, secret }, jurisdiction.time_zone, 201);
  });

  router.get('/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const record = await getWebhook(db, jurisdiction.jurisdiction_id, idOf(req));
    if (!record) throw notFound(`No webhook with id ${idOf(req).slice(0, 40)}.`);
    sendJson(res, record, jurisdiction.time_zone);
  });

  router.delete('/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    if (!(await deactivateWebhook(db, jurisdiction.jurisdiction_id, idOf(req), actorOf(res)))) {
      throw notFound(`No active webhook with id ${idOf(req).slice(0, 40)}.`);
    }
    res.status(204).end();
  });

  router.get('/:id/deliveries', async (req, res) => {
    const query = validate<{ jurisdiction_id?: string; limit?: string }>('staff-deliveries-query.json', {
      ...coerceCommonQuery(req.query),
      ...(scalarParameter(req.query, 'limit') === undefined ? {} : { limit: scalarParameter(req.query, 'limit') }),
    });
    const jurisdiction = await jurisdictionOf(req, query.jurisdiction_id);
    const record = await getWebhook(db, jurisdiction.jurisdiction_id, idOf(req));
    if (!record) throw notFound(`No webhook with id ${idOf(req).slice(0, 40)}.`);
    const deliveries = await listDeliveries(db, record.id, query.limit === undefined ? DEFAULT_DELIVERIES : Number(query.limit));
    sendJson(res, { webhook_id: record.id, deliveries }, jurisdiction.time_zone);
  });

  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['GET', 'HEAD', 'DELETE']));
  router.all('/:id/deliveries', methodNotAllowedHandler(['GET', 'HEAD']));
  return router;
}
