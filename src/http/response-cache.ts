// Rendered GET answers kept in memory, so clients polling the same list all day cost neither a query of
// the list nor its serialization. This module owns the whole of it: the keys, the change markers, revalidation
// and invalidation. An entry is served only while (1) no write was committed through this process's store
// since its render started (src/store/committed-writes.ts tells every one: no write path calls the cache), (2)
// the store's change marker still reads the same, and (3) it is younger than the TTL, which bounds what (2)
// cannot see (a transaction that commits late, a write by another server while the change feed is down).
import type { Jurisdiction } from '../domain/types.js';
import { requestsVersion } from '../domain/requests.js';
import type { ChangeFeed } from '../store/change-feed.js';
import { ANY_TABLE, onCommittedWrite } from '../store/committed-writes.js';
import type { Db } from '../store/db.js';
import type { ReadPool } from '../store/read-pool.js';

/** Memory all cached answers of one server may hold together. */
const RESPONSE_CACHE_BYTES = 16 * 1024 * 1024;

// Tables no cached answer shows: their writes (sign-ins, sessions, the outboxes' deliveries, which run all day
// without any change of a public answer) leave the cache alone.
const NOT_IN_ANSWERS: ReadonlySet<string> = new Set([
  'agency_digest_recipients',
  'audit_log',
  'idempotency_keys',
  'import_checkpoints',
  'knex_migrations_lock',
  'notification_messages',
  'notification_subscriptions',
  'staff_oidc_states',
  'staff_recovery_codes',
  'staff_sessions',
  'staff_sign_in_failures',
  'staff_sign_in_links',
  'webhook_deliveries',
]);

export interface RenderedAnswer {
  body: string;
  /** The body encoded once, for answers sent many times from the cache. */
  bytes?: Buffer;
  contentType: string;
  etag: string;
  lastModified?: Date | undefined;
  extraHeaders?: Record<string, string>;
  /**
   * EXT paging totals of a list. Cached with the body; the headers that carry them (X-Next-Page-URL, Link…)
   * are built for each request from that caller's own URL, never cached (they would hand one client's
   * query string to the next).
   */
  paging?: { total: number; page: number; page_size: number };
}

interface Entry {
  answer: RenderedAnswer;
  version: string;
  generation: number;
  at: number;
  bytes: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly values = new Map<string, { version: string; generation: number; at: number; value: unknown }>();
  /** When each stored answer was rendered, for replays of it (src/http/replay.ts). */
  private readonly storedAt = new WeakMap<RenderedAnswer, { generation: number; at: number }>();
  private bytes = 0;
  private generation = 0;

  constructor(
    private readonly maxBytes = RESPONSE_CACHE_BYTES,
    private readonly ttlMs = 1000,
  ) {}

  /**
   * Forgets everything after each write committed through `db` (the primary of this server) that may change an
   * answer. Only a weak reference is kept: an app dropped by its owner (tests make many) is not kept alive.
   */
  follow(db: Db): this {
    const cache = new WeakRef(this);
    const stop = onCommittedWrite(db, (tables) => {
      const live = cache.deref();
      if (!live) stop();
      else if (tables.has(ANY_TABLE) || [...tables].some((table) => !NOT_IN_ANSWERS.has(table))) live.invalidate();
    });
    return this;
  }

  /** Moves with every invalidation: what is remembered beside the cache can be keyed by it. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** The TTL: how long after its render an answer may be served without a refresh. */
  get freshForMs(): number {
    return this.ttlMs;
  }

  /** Render time of a stored answer (undefined: not stored, or stored before the last write). */
  renderedAt(answer: RenderedAnswer): number | undefined {
    const stored = this.storedAt.get(answer);
    return stored !== undefined && stored.generation === this.generation ? stored.at : undefined;
  }

  /** Forget everything (a write was committed). */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
    this.values.clear();
    this.bytes = 0;
  }

  /**
   * The answer for `key` at change marker `version`: fresh from memory; stale (past the TTL, within twice it)
   * from memory while one refresh runs in the background (stale-while-revalidate: the change marker has just
   * confirmed it, so the only writes it can miss are those the TTL is there for, and clients polling a list
   * never all wait for a render when it expires); else rendered by `produce`, once for all concurrent misses.
   */
  async answer(key: string, version: string, produce: () => Promise<RenderedAnswer>): Promise<RenderedAnswer> {
    const found = this.lookup(key, version);
    if (found && !found.stale) return found.answer;
    // The generation when the render starts: a render that raced a write is sent to its caller but neither
    // stored nor shared with requests that came after the write.
    const generation = this.generation;
    const refresh = () =>
      this.once(`${key}|${version}|${generation}`, async () => {
        const produced = await produce();
        this.set(key, version, produced, generation);
        return produced;
      });
    if (found) {
      // A failed refresh only means the next poll renders (and reports the failure) itself.
      refresh().catch(() => undefined);
      return found.answer;
    }
    return refresh();
  }

  /**
   * One computation per key at a time: concurrent misses (many clients polling the same list when an
   * entry expires) wait for the first one instead of each querying and rendering.
   */
  async once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key) as Promise<T> | undefined;
    if (running) return running;
    const promise = compute().finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  /** A small computed value (a count) under the same validity rules as answers. */
  async value<T>(key: string, version: string, compute: () => Promise<T>, now = Date.now()): Promise<T> {
    const known = this.values.get(key);
    if (known && known.version === version && known.generation === this.generation && now - known.at <= this.ttlMs)
      return known.value as T;
    const generation = this.generation;
    const value = await this.once(`value|${key}|${generation}`, compute);
    if (generation === this.generation) {
      if (this.values.size > 10_000) this.values.clear();
      this.values.set(key, { version, generation, at: now, value });
    }
    return value;
  }

  /** A fresh answer (see lookup), or undefined. */
  get(key: string, version: string, now = Date.now()): RenderedAnswer | undefined {
    const found = this.lookup(key, version, now);
    return found && !found.stale ? found.answer : undefined;
  }

  /**
   * The entry for `key` while no write was committed since its render started and the change marker still
   * reads the same: fresh while younger than the TTL, then stale for one more TTL.
   */
  lookup(key: string, version: string, now = Date.now()): { answer: RenderedAnswer; stale: boolean } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const age = now - entry.at;
    if (entry.generation !== this.generation || entry.version !== version || age > 2 * this.ttlMs) {
      this.delete(key, entry);
      return undefined;
    }
    // Refresh recency: Map iteration order is insertion order, so the first key is the least recent.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { answer: entry.answer, stale: age > this.ttlMs };
  }

  /**
   * Stores an answer rendered from what the store held at `generation` (currentGeneration when its render
   * started); nothing when a write was committed since, which the answer may not show.
   */
  set(key: string, version: string, answer: RenderedAnswer, generation: number, now = Date.now()): void {
    if (generation !== this.generation) return;
    const bytes = answer.body.length * 2;
    if (bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) this.delete(key, old);
    this.entries.set(key, { answer, version, generation, at: now, bytes });
    this.storedAt.set(answer, { generation, at: now });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest, entry);
    }
  }

  private delete(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/** The key of one answer: the format and JSONP callback it is rendered in, then what it shows. */
export function answerKey(format: string, callback: string | undefined, what: string): string {
  return `${format}|${callback ?? ''}|${what}`;
}

/**
 * The change markers answers are cached under. While the change feed is live (LISTEN/NOTIFY, see
 * store/change-feed.ts) its counter is the marker: no query at all. Otherwise (the embedded store, no direct
 * connection) the requests marker is read at most every 100 ms per jurisdiction: under heavy polling that
 * spares the database, and the cache's own TTL (1 s) bounds what it could miss.
 */
export class ChangeMarkers {
  private readonly requestMarks = new Map<string, { at: number; value: Promise<string> }>();
  private readonly catalogMarks = new Map<string, { version: string; value: Promise<Date | undefined> }>();

  constructor(
    private readonly cache: ResponseCache | undefined,
    private readonly reads: ReadPool,
    private readonly changes?: ChangeFeed,
  ) {}

  /** What the request answers of `jurisdiction` are cached under ('' without a cache: nothing is). */
  requests(jurisdiction: Jurisdiction): Promise<string> {
    if (!this.cache) return Promise.resolve('');
    const live = this.changes?.version();
    if (live !== undefined) return Promise.resolve(live);
    const now = Date.now();
    const known = this.requestMarks.get(jurisdiction.jurisdiction_id);
    if (known && now - known.at < 100) return known.value;
    const value = this.reads.read((source) => requestsVersion(source, jurisdiction));
    this.requestMarks.set(jurisdiction.jurisdiction_id, { at: now, value });
    value.catch(() => this.requestMarks.delete(jurisdiction.jurisdiction_id));
    return value;
  }

  /**
   * A catalog changeset (`read` for `key`), which is also its answers' marker. While the change feed is live:
   * remembered until a notification (any catalog change moves jurisdictions.catalog_changed_at, which NOTIFYs)
   * or a write of this process. Otherwise read each time.
   */
  catalog(key: string, read: (source: Db) => Promise<Date | undefined>): Promise<Date | undefined> {
    const live = this.changes?.version();
    if (live === undefined || !this.cache) return this.reads.read(read);
    const version = `${live}|${this.cache.currentGeneration}`;
    const known = this.catalogMarks.get(key);
    if (known && known.version === version) return known.value;
    const value = this.reads.read(read);
    this.catalogMarks.set(key, { version, value });
    value.catch(() => this.catalogMarks.delete(key));
    return value;
  }
}

const markersOfApp = new WeakMap<object, ChangeMarkers>();

/** The change markers of one app (its handlers and the map share them, and so their memo). */
export function changeMarkersOf(context: { cache?: ResponseCache; reads: ReadPool; changes?: ChangeFeed }): ChangeMarkers {
  let markers = markersOfApp.get(context);
  if (!markers) {
    markers = new ChangeMarkers(context.cache, context.reads, context.changes);
    markersOfApp.set(context, markers);
  }
  return markers;
}
