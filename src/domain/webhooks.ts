// Webhook subscriptions (admin-managed): register a URL for events (the signing secret is returned once),
// list them (never their secrets), deactivate one, read its recent deliveries. Delivery itself is done by
// src/webhooks/dispatcher.ts from the outbox.
import { randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../errors.js';
import type { EventType } from '../store/outbox-store.js';
import * as webhooksStore from '../store/webhooks-store.js';
import type { DeliveryRecord, WebhookRecord } from '../store/webhooks-store.js';
import type { Db } from '../store/db.js';
import { type parseNetworks, refusedDestination } from '../webhooks/destination.js';
import type { Actor } from './catalog/shared.js';
import type { Jurisdiction } from './types.js';

export const DEFAULT_DELIVERIES = 50;

const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

type AllowedNetworks = ReturnType<typeof parseNetworks>;

const URL_RULE = 'url must be an absolute http:// or https:// URL of at most 2000 characters, without user name or password.';

/**
 * The URL as it will be called, or a 400: absolute http(s), with a host, without credentials, to a public
 * address or an allowed network (src/webhooks/destination.ts; each delivery checks again).
 */
async function checkedUrl(text: string, allowed: AllowedNetworks): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest(URL_RULE);
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw badRequest(URL_RULE);
  }
  const refusal = await refusedDestination(url, allowed);
  if (refusal !== undefined) throw badRequest(refusal);
  return url.href;
}

export function listWebhooks(db: Db, jurisdiction: Jurisdiction): Promise<WebhookRecord[]> {
  return webhooksStore.listWebhooks(db, jurisdiction.jurisdiction_id);
}

/** A new subscription, with its secret (the only answer that ever shows it). */
export async function registerWebhook(
  db: Db,
  jurisdiction: Jurisdiction,
  input: { url: string; events: EventType[]; secret?: string },
  actor: Actor,
  allowed: AllowedNetworks,
): Promise<WebhookRecord & { secret: string }> {
  const secret = input.secret ?? generateWebhookSecret();
  const record = await webhooksStore.createWebhook(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    url: await checkedUrl(input.url, allowed),
    events: input.events,
    secret,
    actor,
  });
  return { ...record, secret };
}

export async function getWebhook(db: Db, jurisdiction: Jurisdiction, id: string): Promise<WebhookRecord> {
  const record = await webhooksStore.getWebhook(db, jurisdiction.jurisdiction_id, id);
  if (!record) throw notFound(`No webhook with id ${id.slice(0, 40)}.`);
  return record;
}

export async function deactivateWebhook(db: Db, jurisdiction: Jurisdiction, id: string, actor: Actor): Promise<void> {
  if (!(await webhooksStore.deactivateWebhook(db, jurisdiction.jurisdiction_id, id, actor))) {
    throw notFound(`No active webhook with id ${id.slice(0, 40)}.`);
  }
}

/** The latest deliveries of a webhook (`limit`, else DEFAULT_DELIVERIES). */
export async function deliveriesOf(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  limit: number | undefined,
): Promise<{ webhook_id: string; deliveries: DeliveryRecord[] }> {
  const record = await getWebhook(db, jurisdiction, id);
  return { webhook_id: record.id, deliveries: await webhooksStore.listDeliveries(db, record.id, limit ?? DEFAULT_DELIVERIES) };
}
