// Sends the notification outbox. Every config.notifyPollMs (or at once after poke()) it claims due pending
// messages in a short transaction (FOR UPDATE SKIP LOCKED, then a lease), sends each outside any transaction
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
import { retryDelayMs } from '../webhooks/dispatcher.js';
import type { Mailer } from './mailer.js';
import { composeMail } from './messages.js';
import { MailTemplates } from './templates.js';

export interface NotificationDispatcher {
  stop(): Promise<void>;
  poke(): void;
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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let pokedWhilePolling = false;
  let lastDigests = 0;
  const inFlight = new Set<Promise<void>>();
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
    const retryInMs =
      attempts >= config.notifyMaxAttempts ? undefined : retryDelayMs({ webhookRetryBaseMs: config.notifyRetryBaseMs }, attempts);
    await markSendFailed(db, message.id, error, retryInMs);
    // The address is not logged: the message id leads to it for those who may see it.
    logger.warn(retryInMs === undefined ? 'notification failed for good' : 'notification failed, will retry', {
      message_id: message.id,
      attempts,
      error,
      ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }),
    });
  }

  async function writeDigests(): Promise<number> {
    lastDigests = Date.now();
    const written =
      (await enqueueDueDigests(db, config.notifyDigestHour)) + (await enqueueDueOverdueDigests(db, config.notifyDigestHour));
    if (written > 0) logger.info('daily digests written', { count: written });
    return written;
  }

  async function poll(): Promise<void> {
    if (Date.now() - lastDigests >= DIGEST_EVERY_MS) await writeDigests();
    const room = MAX_IN_FLIGHT - inFlight.size;
    if (room <= 0) return;
    const claimed = await claimDueMessages(db, room, config.notifyTimeoutMs * 3 + LEASE_MARGIN_MS);
    for (const message of claimed) {
      // One address's messages go one after the other, so that the hourly cap counts each of them: a second
      // one is handed back at once (never held past its lease) and claimed again at a later poll.
      const busy = inFlightRecipients.has(message.recipient);
      if (!busy) inFlightRecipients.add(message.recipient);
      const running: Promise<void> = (busy ? releaseMessage(db, message.id) : attempt(message))
        .catch((caught: unknown) => {
          // Recording the outcome failed (store unavailable): the lease runs out and the message is retried.
          logger.error('notification could not be recorded', {
            message_id: message.id,
            error: caught instanceof Error ? caught.message : String(caught),
          });
        })
        .finally(() => {
          inFlight.delete(running);
          if (!busy) inFlightRecipients.delete(message.recipient);
          if (claimed.length === room) poke();
        });
      inFlight.add(running);
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
    timer.unref();
  }

  function run(): void {
    timer = undefined;
    if (stopped || polling) return;
    pokedWhilePolling = false;
    polling = poll()
      .catch((caught: unknown) => {
        if (!stopped)
          logger.error('notification outbox poll failed', { error: caught instanceof Error ? caught.message : String(caught) });
      })
      .finally(() => {
        polling = undefined;
        schedule(pokedWhilePolling ? 0 : config.notifyPollMs);
      });
  }

  function poke(): void {
    if (stopped) return;
    if (polling) pokedWhilePolling = true;
    else schedule(0);
  }

  schedule(0);

  return {
    poke,
    writeDigests,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await polling;
      await Promise.allSettled([...inFlight]);
      mailer.close();
    },
  };
}
