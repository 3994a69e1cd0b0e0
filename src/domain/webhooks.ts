// Webhooks: registering a receiver (its URL checked, the signing secret made here and shown once by the
// caller), switching one off and on again, and reading its deliveries. The staff API and the console's
// admin page both call these; delivery itself is src/webhooks/dispatcher.ts, from the outbox.
import { randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import type { EventType } from '../store/outbox-store.js';
import * as store from '../store/webhooks-store.js';
import { validate } from '../validate/validate.js';
import { type Network, refusedDestination } from '../webhooks/destination.js';
import type { Jurisdiction } from './types.js';

export type { DeliveryRecord, WebhookRecord } from '../store/webhooks-store.js';

type Actor = { key_id: string | null; staff_id?: string | null; name: string };

export interface WebhookInput {
  url: string;
  events: EventType[];
  secret?: string;
  jurisdiction_id?: string;
}

export const generateWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

const URL_RULE = 'url must be an absolute http:// or https:// URL of at most 2000 characters, without user name or password.';

/**
 * The URL as it will be called, or a 400: absolute http(s), with a host, without credentials, to a public
 * address or an allowed network (src/webhooks/destination.ts; each delivery checks again).
 */
async function checkedUrl(text: string, allowed: readonly Network[]): Promise<string> {
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

/** Checks the body (staff-webhook-input.json) before anything else: which jurisdiction it names is in it. */
export const webhookInputOf = (body: unknown): WebhookInput => validate<WebhookInput>('staff-webhook-input.json', body);

/** Registers a webhook; the answer is the only place its secret is ever shown. */
export async function createWebhook(
  db: Db,
  jurisdiction: Jurisdiction,
  input: WebhookInput,
  allowed: readonly Network[],
  actor: Actor,
): Promise<store.WebhookRecord & { secret: string }> {
  const secret = input.secret ?? generateWebhookSecret();
  const record = await store.createWebhook(db, {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    url: await checkedUrl(input.url, allowed),
    events: input.events,
    secret,
    actor,
  });
  return { ...record, secret };
}

export const listWebhooks = (db: Db, jurisdiction: Jurisdiction): Promise<store.WebhookRecord[]> =>
  store.listWebhooks(db, jurisdiction.jurisdiction_id);

export async function getWebhook(db: Db, jurisdiction: Jurisdiction, id: string): Promise<store.WebhookRecord> {
  const record = await store.getWebhook(db, jurisdiction.jurisdiction_id, id);
  if (!record) throw notFound(`No webhook with id ${id.slice(0, 40)}.`);
  return record;
}

/** Stops deliveries (pending ones are given up); a 404 when there is no such active webhook. */
export async function deactivateWebhook(db: Db, jurisdiction: Jurisdiction, id: string, actor: Actor): Promise<void> {
  if (!(await store.deactivateWebhook(db, jurisdiction.jurisdiction_id, id, actor)))
    throw notFound(`No active webhook with id ${id.slice(0, 40)}.`);
}

/** Switches a deactivated webhook on again: events from now on are delivered (missed ones are not replayed). */
export async function reactivateWebhook(db: Db, jurisdiction: Jurisdiction, id: string, actor: Actor): Promise<void> {
  if (!(await store.reactivateWebhook(db, jurisdiction.jurisdiction_id, id, actor)))
    throw notFound(`No inactive webhook with id ${id.slice(0, 40)}.`);
}

export async function listDeliveries(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  limit: number,
): Promise<{ webhook: store.WebhookRecord; deliveries: store.DeliveryRecord[] }> {
  const webhook = await getWebhook(db, jurisdiction, id);
  return { webhook, deliveries: await store.listDeliveries(db, webhook.id, limit) };
}
