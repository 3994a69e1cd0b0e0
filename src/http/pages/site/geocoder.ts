// Server-side geocoding of a typed address through a Nominatim-compatible search endpoint (GEOCODER_URL).
// Nominatim's usage policy: at most one request per second, no autocomplete, results cached, a User-Agent that
// names the application. So: only on submit, one call at a time spaced by ≥ 1 s, a bounded cache, and a short
// wait bound — when the queue is long or the provider fails, the address is kept as typed (never an error).
export interface GeocodedPlace {
  lat: number;
  long: number;
  display_name: string;
}

export interface GeocoderOptions {
  url: string;
  userAgent: string;
  /** Minimum time between two calls (Nominatim: 1000 ms). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Bias results to the city (Nominatim `viewbox`, not bounded). */
  near?: { lat: number; long: number };
}

const CACHE_ENTRIES = 2000;
const CACHE_MS = 24 * 3600 * 1000;
const MAX_RESPONSE_BYTES = 256 * 1024;
/** A resident waits at most this long for their turn; after that the address is kept as typed. */
const MAX_QUEUE_WAIT_MS = 5000;

export class Geocoder {
  private readonly cache = new Map<string, { at: number; place: GeocodedPlace | null }>();
  /** Calls run one after another; each starts at least `intervalMs` after the previous one ended. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private lastEnd = 0;

  constructor(private readonly options: GeocoderOptions) {}

  /** The best match for `query`, null when there is none, undefined when the provider could not answer. */
  async search(query: string, language: string): Promise<GeocodedPlace | null | undefined> {
    const text = query.trim().replace(/\s+/g, ' ').slice(0, 300);
    if (text === '') return null;
    const key = `${language}\u0000${text.toLowerCase()}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.place;
    const interval = this.options.intervalMs ?? 1000;
    // Too many residents ahead in the queue: keep this address as typed rather than make them wait.
    if (this.waiting * interval > MAX_QUEUE_WAIT_MS) return undefined;
    this.waiting += 1;
    const turn = this.queue.then(async () => {
      const wait = this.lastEnd + interval - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await this.fetchPlace(text, language);
      } finally {
        this.lastEnd = Date.now();
      }
    });
    this.queue = turn.catch(() => undefined);
    let place: GeocodedPlace | null | undefined;
    try {
      place = await turn;
    } finally {
      this.waiting -= 1;
    }
    if (place !== undefined) {
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { at: Date.now(), place });
    }
    return place;
  }

  private async fetchPlace(text: string, language: string): Promise<GeocodedPlace | null | undefined> {
    const url = new URL(this.options.url);
    url.searchParams.set('q', text);
    url.searchParams.set('format', 'jsonv2');
    url.searchParams.set('limit', '1');
    url.searchParams.set('accept-language', language);
    const near = this.options.near;
    if (near) url.searchParams.set('viewbox', `${near.long - 0.3},${near.lat + 0.3},${near.long + 0.3},${near.lat - 0.3}`);
    try {
      const response = await fetch(url, {
        headers: { 'User-Agent': this.options.userAgent, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        redirect: 'error',
      });
      if (!response.ok) return undefined;
      const body = await response.text();
      if (body.length > MAX_RESPONSE_BYTES) return undefined;
      const parsed = JSON.parse(body) as unknown;
      if (!Array.isArray(parsed)) return undefined;
      const first = parsed[0] as { lat?: unknown; lon?: unknown; display_name?: unknown } | undefined;
      if (!first) return null;
      const lat = Number(first.lat);
      const long = Number(first.lon);
      if (!Number.isFinite(lat) || !Number.isFinite(long) || Math.abs(lat) > 90 || Math.abs(long) > 180) return undefined;
      return { lat, long, display_name: typeof first.display_name === 'string' ? first.display_name.slice(0, 500) : text };
    } catch {
      return undefined;
    }
  }
}
