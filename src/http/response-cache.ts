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
    if (known && known.version === version && known.generation === this.generation && now - known.at <= this.ttlMs) return known.value as T;
    const generation = this.generation;
    const value = await this.once(`value|${key}`, compute);
    if (generation === this.generation) {
      if (this.values.size > 10_000) this.values.clear();
      this.values.set(key, { version, generation, at: now, value });
    }
    return value;
  }

  get(key: string, version: string, now = Date.now()): RenderedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.generation !== this.generation || entry.version !== version || now - entry.at > this.ttlMs) {
      this.delete(key, entry);
      return undefined;
    }
    // Refresh recency: Map iteration order is insertion order, so the first key is the least recent.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
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
