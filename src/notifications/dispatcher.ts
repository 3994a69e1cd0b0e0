// Sends the notification outbox through the outbox loop (src/outbox/dispatcher.ts): every config.notifyPollMs
// (or at once after poke()) it claims due pending messages (FOR UPDATE SKIP LOCKED, then a lease), sends each
// and records the outcome: accepted by the SMTP server → sent; refused or unreachable → retried with
// exponential backoff, failed after config.notifyMaxAttempts attempts (admins list them). A message whose
// subscription was withdrawn is suppressed; an address over its hourly cap waits. Once a minute it also
// writes the daily digests that are due.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import {
  claimDueMessages,
  deferMessage,
  enqueueDueDigests,
  enqueueDueOverdueDigests,
  markSendFailed,
  markSent,
  markSuppressed,
  releaseMessage,
  sentLastHour,
  type ClaimedMessage,
} from '../store/notifications-store.js';
import { type OutboxDispatcher, retryDelayMs, startOutboxDispatcher } from '../outbox/dispatcher.js';
import type { Mailer } from './mailer.js';
import { composeMail } from './messages.js';
import { MailTemplates } from './templates.js';

export interface NotificationDispatcher extends OutboxDispatcher {
  /** Writes the digests due now (the minute timer calls it; tests call it directly). */
  writeDigests(): Promise<number>;
}

const MAX_IN_FLIGHT = 5;
const LEASE_MARGIN_MS = 5000;
const DIGEST_EVERY_MS = 60_000;
const HOUR_MS = 60 * 60 * 1000;

export function startNotificationDispatcher({
  db,
  logger,
  config,
  mailer,
}: {
  db: Db;
  logger: Logger;
  config: Config;
  mailer: Mailer;
}): NotificationDispatcher {
  const templates = new MailTemplates(config.mailTemplatesDirectory);
  let lastDigests = 0;
  const inFlightRecipients = new Set<string>();

  async function attempt(message: ClaimedMessage): Promise<void> {
    if (message.unsubscribed) {
      await markSuppressed(db, message.id, 'unsubscribed');
      return;
    }
    const sent = await sentLastHour(db, message.recipient);
    if (sent.count >= config.notifyHourlyCap) {
      const until = new Date((sent.oldest?.getTime() ?? Date.now()) + HOUR_MS);
      await deferMessage(db, message.id, until);
      logger.info('notification waits: the address reached its hourly limit', { message_id: message.id });
      return;
    }
    let error: string;
    try {
      await mailer.send(composeMail(config, templates, message));
      await markSent(db, message.id);
      logger.debug('notification sent', { message_id: message.id, template: message.template });
      return;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const attempts = message.attempts + 1;
    const retryInMs = attempts >= config.notifyMaxAttempts ? undefined : retryDelayMs(config.notifyRetryBaseMs, attempts);
    await markSendFailed(db, message.id, error, retryInMs);
    // The address is not logged: the message id leads to it for those who may see it.
    logger.warn(retryInMs === undefined ? 'notification failed for good' : 'notification failed, will retry', {
      message_id: message.id,
      attempts,
      error,
      ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }),
    });
  }

  async function send(message: ClaimedMessage): Promise<void> {
    // One address's messages go one after the other, so that the hourly cap counts each of them: a second
    // one is handed back at once (never held past its lease) and claimed again at a later poll.
    if (inFlightRecipients.has(message.recipient)) {
      await releaseMessage(db, message.id);
      return;
    }
    inFlightRecipients.add(message.recipient);
    try {
      await attempt(message);
    } finally {
      inFlightRecipients.delete(message.recipient);
    }
  }

  async function writeDigests(): Promise<number> {
    lastDigests = Date.now();
    const written =
      (await enqueueDueDigests(db, config.notifyDigestHour)) + (await enqueueDueOverdueDigests(db, config.notifyDigestHour));
    if (written > 0) logger.info('daily digests written', { count: written });
    return written;
  }

  const outbox = startOutboxDispatcher<ClaimedMessage>(
    {
      name: { outbox: 'notification', item: 'notification' },
      pollMs: config.notifyPollMs,
      maxInFlight: MAX_IN_FLIGHT,
      beforeClaim: async () => {
        if (Date.now() - lastDigests >= DIGEST_EVERY_MS) await writeDigests();
      },
      claim: (room) => claimDueMessages(db, room, config.notifyTimeoutMs * 3 + LEASE_MARGIN_MS),
      send,
      describe: (message) => ({ message_id: message.id }),
    },
    logger,
  );

  return {
    poke: outbox.poke,
    writeDigests,
    async stop() {
      await outbox.stop();
      mailer.close();
    },
  };
}
