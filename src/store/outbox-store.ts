// Webhook events are written to a durable outbox in the same transaction as the change they describe,
// so an event is recorded if and only if the change is committed.
import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

export type EventType = 'request.created' | 'request.updated';

export interface OutboxEvent {
  jurisdiction_id: string;
  type: EventType;
  payload: Record<string, unknown>;
}

/** Records one delivery per active webhook subscribed to the event. Call inside the change's transaction. */
export async function enqueueEvent(trx: Db, event: OutboxEvent): Promise<void> {
  // One statement, one event id shared by every delivery of the event. The payload goes through
  // JSON.stringify, so Dates become ISO 8601 strings (UTC). created_at/next_attempt_at default to now().
  await trx.raw(
    `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload)
     SELECT w.id, ?, ?::uuid, ?::jsonb FROM webhooks w
     WHERE w.jurisdiction_id = ? AND w.active AND ? = ANY(w.events)`,
    [event.type, randomUUID(), JSON.stringify(event.payload), event.jurisdiction_id, event.type],
  );
}

/** A delivery claimed by a dispatcher, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_type: EventType;
  event_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  active: boolean;
}

/**
 * Claims up to `limit` due pending deliveries in one short transaction: locks them (skipping rows another
 * dispatcher holds), then leases them by pushing next_attempt_at `leaseMs` ahead, so that if this process
 * dies mid-attempt another dispatcher retries once the lease has run out.
 */
/**
 * Claims due pending rows of an outbox table: `select` (SELECT … FROM the table as `alias` and its joins) gives at most
 * `limit` of them, oldest first, locked past those another process holds (SKIP LOCKED); they are leased for
 * `leaseMs` (next_attempt_at moved on), so no one else claims them while they are sent. Shared by the webhook
 * deliveries and the notification messages.
 */
export async function claimDueRows<Row extends { id: string }>(
  db: Db,
  outbox: { table: string; alias: string; select: string },
  limit: number,
  leaseMs: number,
): Promise<Row[]> {
  // Most polls find nothing (every create pokes the dispatchers): one indexed look, not a transaction's three
  // round trips. A row due after this look is claimed by the next poll.
  const due = await db.raw(`SELECT 1 FROM ${outbox.table} WHERE status = 'pending' AND next_attempt_at <= now() LIMIT 1`);
  if (due.rows.length === 0) return [];
  return db.transaction(async (trx) => {
    const result = await trx.raw(
      `${outbox.select} WHERE ${outbox.alias}.status = 'pending' AND ${outbox.alias}.next_attempt_at <= now()
       ORDER BY ${outbox.alias}.id LIMIT ? FOR UPDATE OF ${outbox.alias} SKIP LOCKED`,
      [limit],
    );
    const rows = result.rows as Row[];
    if (rows.length > 0) {
      await trx(outbox.table)
        .whereIn(
          'id',
          rows.map((row) => row.id),
        )
        .update({ next_attempt_at: trx.raw('now() + make_interval(secs => ?)', [leaseMs / 1000]) });
    }
    return rows;
  });
}

/** A stored jsonb value: pg parses it, PGlite may hand back its text. */
export const jsonOf = (value: unknown): Record<string, unknown> =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : (value as Record<string, unknown>);

export async function claimDueDeliveries(db: Db, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await claimDueRows<ClaimedDelivery>(
    db,
    {
      table: 'webhook_deliveries',
      alias: 'd',
      select: `SELECT d.id::text AS id, d.webhook_id::text AS webhook_id, d.event_type, d.event_id::text AS event_id, d.payload,
              d.attempts, d.created_at, w.url, w.secret, w.active
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id`,
    },
    limit,
    leaseMs,
  );
  return rows.map((row) => ({
    ...row,
    attempts: Number(row.attempts),
    payload: jsonOf(row.payload),
    created_at: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  }));
}

export async function markDelivered(db: Db, id: string, statusCode: number): Promise<void> {
  await db('webhook_deliveries')
    .where({ id })
    .update({
      status: 'delivered',
      attempts: db.raw('attempts + 1'),
      delivered_at: db.fn.now(),
      last_status_code: statusCode,
      last_error: null,
    });
}

/** Records a failed attempt: retried after `retryInMs`, or given up for good when `retryInMs` is undefined. */
export async function markAttemptFailed(
  db: Db,
  id: string,
  outcome: { error: string; statusCode: number | null; retryInMs: number | undefined },
): Promise<void> {
  await db('webhook_deliveries')
    .where({ id })
    .update({
      status: outcome.retryInMs === undefined ? 'failed' : 'pending',
      attempts: db.raw('attempts + 1'),
      last_error: outcome.error.slice(0, 1000),
      last_status_code: outcome.statusCode,
      ...(outcome.retryInMs === undefined
        ? {}
        : { next_attempt_at: db.raw(`now() + make_interval(secs => ?)`, [outcome.retryInMs / 1000]) }),
    });
}

/** Gives up a delivery without an attempt (its webhook was deactivated after the event was recorded). */
export async function markAbandoned(db: Db, id: string, reason: string): Promise<void> {
  await db('webhook_deliveries').where({ id, status: 'pending' }).update({ status: 'failed', last_error: reason });
}
