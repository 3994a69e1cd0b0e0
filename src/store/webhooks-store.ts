// Webhook subscriptions (admin-managed) and the read side of their delivery log. Secrets are read only by
// the dispatcher (outbox-store.ts) and returned once, at creation.
import type { Db } from './db.js';
import type { EventType } from './outbox-store.js';
import { isStorableId } from './ids.js';

export interface WebhookRecord {
  id: string;
  jurisdiction_id: string;
  url: string;
  events: EventType[];
  active: boolean;
  created_at: Date;
  created_by: string | null;
  deactivated_at: Date | null;
}

export interface DeliveryRecord {
  id: string;
  event_id: string;
  event_type: EventType;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

function columns(db: Db) {
  return [
    db.raw('id::text AS id'),
    'jurisdiction_id',
    'url',
    'events',
    'active',
    'created_at',
    'created_by_name AS created_by',
    'deactivated_at',
  ];
}

export async function createWebhook(
  db: Db,
  input: {
    jurisdiction_id: string;
    url: string;
    events: EventType[];
    secret: string;
    actor: { key_id: string | null; staff_id?: string | null; name: string };
  },
): Promise<WebhookRecord> {
  return db.transaction(async (trx) => {
    const [record] = (await trx('webhooks')
      .insert({
        jurisdiction_id: input.jurisdiction_id,
        url: input.url,
        secret: input.secret,
        events: input.events,
        created_by_key_id: input.actor.key_id,
        created_by_name: input.actor.name,
      })
      .returning(columns(trx) as string[])) as WebhookRecord[];
    await trx('audit_log').insert({
      actor_key_id: input.actor.key_id,
      actor_staff_id: input.actor.staff_id ?? null,
      actor_name: input.actor.name,
      entity_type: 'webhook',
      entity_id: record!.id,
      action: 'create',
      changes: JSON.stringify({ url: input.url, events: input.events }),
    });
    return record!;
  });
}

export async function listWebhooks(db: Db, jurisdictionId: string): Promise<WebhookRecord[]> {
  return db('webhooks').select(columns(db)).where({ jurisdiction_id: jurisdictionId }).orderBy('id');
}

export async function getWebhook(db: Db, jurisdictionId: string, id: string): Promise<WebhookRecord | undefined> {
  if (!isStorableId(id)) return undefined;
  return db('webhooks').select(columns(db)).where({ jurisdiction_id: jurisdictionId, id }).first();
}

type Actor = { key_id: string | null; staff_id?: string | null; name: string };

/** Switches a webhook off (true → false) or on again, with its audit row; false when it was not in the other state. */
async function switchWebhook(db: Db, jurisdictionId: string, id: string, active: boolean, actor: Actor): Promise<boolean> {
  if (!isStorableId(id)) return false;
  return db.transaction(async (trx) => {
    const changed = await trx('webhooks')
      .where({ jurisdiction_id: jurisdictionId, id, active: !active })
      .update({ active, deactivated_at: active ? null : trx.fn.now() });
    if (changed === 0) return false;
    // Deliveries still waiting when it is switched off are given up, not sent later.
    if (!active)
      await trx('webhook_deliveries')
        .where({ webhook_id: id, status: 'pending' })
        .update({ status: 'failed', last_error: 'webhook deactivated' });
    await trx('audit_log').insert({
      actor_key_id: actor.key_id,
      actor_staff_id: actor.staff_id ?? null,
      actor_name: actor.name,
      entity_type: 'webhook',
      entity_id: id,
      action: active ? 'reactivate' : 'deactivate',
      changes: JSON.stringify({ active: { from: !active, to: active } }),
    });
    return true;
  });
}

/**
 * Deactivates an active webhook: no new deliveries are recorded for it and its pending ones are given up.
 * Returns false when there is no such active webhook.
 */
export const deactivateWebhook = (db: Db, jurisdictionId: string, id: string, actor: Actor): Promise<boolean> =>
  switchWebhook(db, jurisdictionId, id, false, actor);

/** Switches an inactive webhook on again. Returns false when there is no such inactive webhook. */
export const reactivateWebhook = (db: Db, jurisdictionId: string, id: string, actor: Actor): Promise<boolean> =>
  switchWebhook(db, jurisdictionId, id, true, actor);

/** The webhook's most recent deliveries, newest first. */
export async function listDeliveries(db: Db, webhookId: string, limit: number): Promise<DeliveryRecord[]> {
  const rows = (await db('webhook_deliveries')
    .select(
      db.raw('id::text AS id'),
      db.raw('event_id::text AS event_id'),
      'event_type',
      'status',
      'attempts',
      // While pending, when the next attempt is due; otherwise meaningless, so null.
      db.raw(`CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at`),
      'last_status_code',
      'last_error',
      'created_at',
      'delivered_at',
    )
    .where({ webhook_id: webhookId })
    .orderBy('id', 'desc')
    .limit(limit)) as DeliveryRecord[];
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}
