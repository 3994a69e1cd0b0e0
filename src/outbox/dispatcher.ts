// The loop that works an outbox (webhook deliveries, e-mail notifications): every pollMs, or at once after
// poke(), it claims due items in a short transaction (the store leases them), then hands each to the sender
// outside any transaction (PGlite has one connection, and no lock may be held across a network call), at most
// maxInFlight at a time. The sender sends and records the outcome; a failure to record leaves the lease to run
// out, and the item is claimed again. One poll at a time; a full batch looks again as soon as a slot is free.
import type { Logger } from '../logger.js';

export interface OutboxDispatcher {
  /** Stops polling and waits for the attempts in flight to be sent and recorded. */
  stop(): Promise<void>;
  /** Looks for due items now instead of at the next poll (call after a commit that enqueued some). */
  poke(): void;
}

export interface OutboxSender<Item> {
  /** What the log lines call the outbox and its items ("webhook delivery", "notification"). */
  name: { outbox: string; item: string };
  pollMs: number;
  maxInFlight: number;
  /** Claims (and leases) up to `room` due items. */
  claim(room: number): Promise<Item[]>;
  /** Sends one item and records its outcome. */
  send(item: Item): Promise<void>;
  /** The log fields that name an item (never its recipient's address or secrets). */
  describe(item: Item): Record<string, unknown>;
  /** Work of each poll before claiming (the notifications' digests). */
  beforeClaim?: () => Promise<void>;
}

const MAX_DELAY_MS = 60 * 60 * 1000;

/** Delay before the next attempt after `attempts` failed ones: base · 2^(attempts−1), capped at 1 h, ±25 % jitter. */
export function retryDelayMs(baseMs: number, attempts: number, random = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  return Math.min(Math.round(exponential * (0.75 + random() * 0.5)), MAX_DELAY_MS);
}

const messageOf = (caught: unknown): string => (caught instanceof Error ? caught.message : String(caught));

export function startOutboxDispatcher<Item>(sender: OutboxSender<Item>, logger: Logger): OutboxDispatcher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let pokedWhilePolling = false;
  const inFlight = new Set<Promise<void>>();

  async function poll(): Promise<void> {
    await sender.beforeClaim?.();
    const room = sender.maxInFlight - inFlight.size;
    if (room <= 0) return;
    const claimed = await sender.claim(room);
    for (const item of claimed) {
      const running: Promise<void> = sender
        .send(item)
        .catch((caught: unknown) => {
          // Recording the outcome failed (store unavailable): the lease runs out and the item is retried.
          logger.error(`${sender.name.item} could not be recorded`, { ...sender.describe(item), error: messageOf(caught) });
        })
        .finally(() => {
          inFlight.delete(running);
          // A slot is free: look again at once if this batch was full.
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
        if (!stopped) logger.error(`${sender.name.outbox} outbox poll failed`, { error: messageOf(caught) });
      })
      .finally(() => {
        polling = undefined;
        schedule(pokedWhilePolling ? 0 : sender.pollMs);
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
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
}
