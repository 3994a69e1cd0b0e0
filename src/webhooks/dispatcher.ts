// Delivers the webhook outbox through the outbox loop (src/outbox/dispatcher.ts): every config.webhookPollMs
// (or at once after poke()) it claims due pending deliveries, POSTs each and records the outcome: 2xx → delivered; anything else
// (other status, redirect, network error, timeout) → retried with exponential backoff and jitter, failed
// after config.webhookMaxAttempts attempts. Delivery is at least once: receivers drop duplicates by the
// event id (body "id") or the delivery id (X-Open311-Delivery). Only public addresses (or the configured
// allowed networks) are ever connected to, checked on the address resolved for the connection itself
// (destination.ts); a refused one is recorded as "destination not allowed", with no connect attempt.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import { type OutboxDispatcher, retryDelayMs, startOutboxDispatcher } from '../outbox/dispatcher.js';
import {
  claimDueDeliveries,
  markAbandoned,
  markAttemptFailed,
  markDelivered,
  type ClaimedDelivery,
} from '../store/outbox-store.js';
import {
  DESTINATION_NOT_ALLOWED,
  DestinationNotAllowed,
  guardedLookup,
  isAllowedAddress,
  literalAddressOf,
  parseNetworks,
  type Network,
} from './destination.js';

export type WebhookDispatcher = OutboxDispatcher;

/** How many attempts may be in flight at once in one process. */
const MAX_IN_FLIGHT = 10;
/** Added to the HTTP timeout for the lease, so a slow attempt is recorded before anyone else may retry it. */
const LEASE_MARGIN_MS = 5000;

/** "sha256=<hex>": HMAC-SHA256 of "<timestamp>.<body>" keyed with the webhook's secret. */
function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** The body of a delivery: the same bytes on every attempt of it. */
function deliveryBody(delivery: Pick<ClaimedDelivery, 'event_id' | 'event_type' | 'created_at' | 'payload'>): string {
  return JSON.stringify({
    id: delivery.event_id,
    type: delivery.event_type,
    created_at: delivery.created_at.toISOString(),
    data: delivery.payload,
  });
}

class DeliveryTimeout extends Error {}

/**
 * POSTs `body` to `url` and resolves with the answer's status (its body is discarded unread). Redirects are
 * not followed. A literal address is checked here (sockets skip lookup for those); a name resolves through
 * guardedLookup, so the address connected to is always one the rule allows.
 */
function postDelivery(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowed: readonly Network[] },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const literal = literalAddressOf(url);
    if (literal !== undefined && !isAllowedAddress(literal, options.allowed)) {
      reject(new DestinationNotAllowed());
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowed),
      // No pooled sockets: each attempt resolves and checks its destination afresh.
      agent: false,
    });
    const timer = setTimeout(() => request.destroy(new DeliveryTimeout()), options.timeoutMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

export function startWebhookDispatcher({ db, logger, config }: { db: Db; logger: Logger; config: Config }): WebhookDispatcher {
  const allowed = parseNetworks(config.webhookAllowedNetworks.join(','));

  async function send(delivery: ClaimedDelivery): Promise<void> {
    if (!delivery.active) {
      await markAbandoned(db, delivery.id, 'webhook deactivated');
      return;
    }
    const body = deliveryBody(delivery);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let statusCode: number | null = null;
    let error: string;
    try {
      statusCode = await postDelivery(
        new URL(delivery.url),
        body,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'open311-server-webhooks',
          'X-Open311-Event': delivery.event_type,
          'X-Open311-Delivery': delivery.id,
          'X-Open311-Timestamp': timestamp,
          'X-Open311-Signature': signatureOf(delivery.secret, timestamp, body),
        },
        { timeoutMs: config.webhookTimeoutMs, allowed },
      );
      if (statusCode >= 200 && statusCode < 300) {
        await markDelivered(db, delivery.id, statusCode);
        logger.debug('webhook delivered', { delivery_id: delivery.id, webhook_id: delivery.webhook_id, status: statusCode });
        return;
      }
      error = statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`;
    } catch (caught) {
      error =
        caught instanceof DestinationNotAllowed
          ? DESTINATION_NOT_ALLOWED
          : caught instanceof DeliveryTimeout
            ? `timed out after ${config.webhookTimeoutMs} ms`
            : caught instanceof Error
              ? caught.message
              : String(caught);
    }
    const attempts = delivery.attempts + 1;
    const retryInMs = attempts >= config.webhookMaxAttempts ? undefined : retryDelayMs(config.webhookRetryBaseMs, attempts);
    await markAttemptFailed(db, delivery.id, { error, statusCode, retryInMs });
    logger.warn(retryInMs === undefined ? 'webhook delivery failed for good' : 'webhook delivery failed, will retry', {
      delivery_id: delivery.id,
      webhook_id: delivery.webhook_id,
      attempts,
      error,
      ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }),
    });
  }

  return startOutboxDispatcher<ClaimedDelivery>(
    {
      name: { outbox: 'webhook', item: 'webhook delivery' },
      pollMs: config.webhookPollMs,
      maxInFlight: MAX_IN_FLIGHT,
      claim: (room) => claimDueDeliveries(db, room, config.webhookTimeoutMs + LEASE_MARGIN_MS),
      send,
      describe: (delivery) => ({ delivery_id: delivery.id }),
    },
    logger,
  );
}
