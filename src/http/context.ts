// What every handler needs, built once by createApp.
import type { Config } from '../config.js';
import type { IntakeLookups } from '../domain/intake.js';
import type { JurisdictionRegistry } from '../domain/jurisdictions.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import type { ChangeFeed } from '../store/change-feed.js';
import type { ReadPool } from '../store/read-pool.js';
import type { RequestWriter } from '../store/request-writer.js';
import type { RateLimiter } from './rate-limit.js';
import type { ResponseCache } from './response-cache.js';
import type { UploadBudget } from './upload-budget.js';

export interface AppContext {
  config: Config;
  /** The primary: every write, the staff API, webhooks, notifications. */
  db: Db;
  /** Where the public GETs read: the read replicas when configured, falling back to the primary. */
  reads: ReadPool;
  /** Other servers' writes as they commit (PostgreSQL only); absent or not live: the change marker is polled. */
  changes?: ChangeFeed;
  logger: Logger;
  jurisdictions: JurisdictionRegistry;
  /** Remembered API keys and service definitions for creates (re-checked by the statement that stores them). */
  intakeLookups: IntakeLookups;
  /** Upload bytes all requests may hold in memory together. */
  uploadBudget: UploadBudget;
  /** Writes new requests, grouping concurrent creates into one statement. */
  requestWriter: RequestWriter;
  /** Set when a webhook dispatcher runs in this process: poke() after a commit that enqueued events. */
  events?: { poke(): void };
  /** POST rate limit per API key. */
  keyRateLimiter?: RateLimiter;
  /** POST rate limit per client address. */
  addressRateLimiter?: RateLimiter;
  /** Rendered GET answers; invalidated by every committed write through `db` (it follows the store itself). */
  cache?: ResponseCache;
}
