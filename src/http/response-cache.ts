// Rendered GET answers kept in memory, so clients polling the same list all day cost neither a query of
// the list nor its serialization. An entry is served only while (1) no write happened in this process
// since it was made, (2) the store's change marker still reads the same, and (3) it is younger than the
// TTL, which bounds what (2) cannot see (a transaction that commits late, a write by another server).
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
  private bytes = 0;
  private generation = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly ttlMs = 1000,
  ) {}

  /** Moves with every bump(): what is remembered beside the cache can be keyed by it. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Forget everything: called after every write this process makes. */
  bump(): void {
    this.generation += 1;
    this.entries.clear();
    this.values.clear();
    this.bytes = 0;
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
    const value = await this.once(`value|${key}`, compute);
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
   * The entry for `key` while no write happened in this process since it was made and the change marker
   * still reads the same: fresh while younger than the TTL, then stale for one more TTL. A stale answer may
   * be sent while one refresh runs (stale-while-revalidate): the change marker has just confirmed it, so the
   * only writes it can miss are those the TTL is there for, and clients polling a list never all wait for a
   * render when it expires.
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

  set(key: string, version: string, answer: RenderedAnswer, now = Date.now()): void {
    const bytes = answer.body.length * 2;
    if (bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) this.delete(key, old);
    this.entries.set(key, { answer, version, generation: this.generation, at: now, bytes });
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
