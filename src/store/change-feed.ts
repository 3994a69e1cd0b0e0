// Changes made by any server on the same PostgreSQL database, as they commit: a trigger on the request tables
// NOTIFYs the channel (migration 20261201080000), and each server LISTENs on one direct connection. While the
// feed is live, the response cache's change marker is a local counter: no query per GET, and a write through
// another server invalidates this one's cached lists within one NOTIFY round trip.
//
// LISTEN needs a session of its own, which a transaction pooler (PgBouncer) cannot give: DATABASE_LISTEN_URL
// names a direct connection. Whether notifications really arrive is proven, not assumed: a ping is NOTIFYed
// through the ordinary pool every few seconds and must come back on the listening connection. Until it does
// (no connection, a pooler in the way, a broken link) version() is undefined and callers poll the marker.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { Db } from './db.js';

const CHANGES_CHANNEL = 'open311_changes';
const PING_PREFIX = 'ping:';

export interface ChangeFeedOptions {
  /** How often the feed proves itself with a ping. */
  pingIntervalMs?: number;
  /** How long a ping may take to come back. */
  pingTimeoutMs?: number;
  /** Wait before reconnecting after a failure. */
  reconnectMs?: number;
}

export class ChangeFeed {
  private client: pg.Client | undefined;
  private live = false;
  private stopped = false;
  private count = 0;
  private readonly epoch = randomBytes(6).toString('base64url');
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<string, () => void>();
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly reconnectMs: number;

  constructor(
    private readonly url: string,
    private readonly db: Db,
    private readonly logger: Logger,
    options: ChangeFeedOptions = {},
  ) {
    this.pingIntervalMs = options.pingIntervalMs ?? 5000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
    this.reconnectMs = options.reconnectMs ?? 2000;
  }

  /** Connects in the background; version() is undefined until the first ping came back. */
  start(): this {
    void this.connect();
    return this;
  }

  /** The change marker while the feed is live; undefined when callers must poll the store instead. */
  version(): string | undefined {
    return this.live ? `feed:${this.epoch}:${this.count}` : undefined;
  }

  get isLive(): boolean {
    return this.live;
  }

  private changed(): void {
    this.count += 1;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    this.client = client;
    client.on('notification', (message) => {
      const payload = message.payload ?? '';
      if (payload.startsWith(PING_PREFIX)) {
        this.waiting.get(payload)?.();
        return;
      }
      this.changed();
    });
    client.on('error', (error) => this.fail(client, error));
    client.on('end', () => this.fail(client, new Error('the listening connection closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      await this.ping(client);
    } catch (error) {
      this.fail(client, error);
    }
  }

  /** NOTIFY through the pool, expect it on the listening connection; then again after the interval. */
  private async ping(client: pg.Client): Promise<void> {
    if (this.stopped || client !== this.client) return;
    const payload = `${PING_PREFIX}${randomBytes(9).toString('base64url')}`;
    const arrived = new Promise<boolean>((resolve) => {
      const timeout = setTimeout(() => resolve(false), this.pingTimeoutMs);
      this.waiting.set(payload, () => {
        clearTimeout(timeout);
        resolve(true);
      });
    });
    try {
      await this.db.raw('SELECT pg_notify(?, ?)', [CHANGES_CHANNEL, payload]);
      if (!(await arrived)) throw new Error('a change notification did not arrive (is DATABASE_LISTEN_URL behind a pooler?)');
    } finally {
      this.waiting.delete(payload);
    }
    if (client !== this.client || this.stopped) return;
    if (!this.live) {
      // Notifications may have been missed while the feed was down: everything cached before is suspect.
      this.changed();
      this.live = true;
      this.logger.info('change feed live: cached answers follow other servers through LISTEN/NOTIFY');
    }
    this.timer = setTimeout(() => {
      this.ping(client).catch((error: unknown) => this.fail(client, error));
    }, this.pingIntervalMs);
    this.timer.unref();
  }

  private fail(client: pg.Client, error: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    if (this.live) {
      this.logger.warn('change feed down: polling the change marker until it is back', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.live = false;
    if (this.timer) clearTimeout(this.timer);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.connect(), this.reconnectMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
