// What every handler needs, built once by createApp.
import type { Config } from '../config.js';
import type { JurisdictionRegistry } from '../domain/jurisdictions.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import type { RateLimiter } from './rate-limit.js';
import type { ResponseCache } from './response-cache.js';

export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  jurisdictions: JurisdictionRegistry;
  /** Set when a webhook dispatcher runs in this process: poke() after a commit that enqueued events. */
  events?: { poke(): void };
  /** POST rate limit per API key. */
  keyRateLimiter?: RateLimiter;
  /** POST rate limit per client address. */
  addressRateLimiter?: RateLimiter;
  /** Rendered GET answers; every write in this process must bump() it. */
  cache?: ResponseCache;
}
