// A polite client of another GeoReport v2 server: a descriptive User-Agent, bounded concurrency, a timeout
// and a size limit per answer, and backoff on 429 and 5xx (honouring Retry-After). XML answers are read with
// xml2js into the same shape as the JSON ones, so the importer reads one shape.
import { parseStringPromise } from 'xml2js';

export type SourceFormat = 'json' | 'xml';

export class SourceError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  baseUrl: string;
  format: SourceFormat;
  apiKey?: string;
  jurisdiction?: string;
  userAgent: string;
  /** Requests in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** Attempts per call before giving up on 429, 5xx or a network error. */
  attempts?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
}

export interface SourceAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
// Elements of a list in the standard's XML, by the name of the element around them.
const XML_LISTS: ReadonlyMap<string, string> = new Map([
  ['service_requests', 'request'],
  ['services', 'service'],
  ['attributes', 'attribute'],
  ['values', 'value'],
  ['notes', 'note'],
  ['media_urls', 'media_url'],
  ['endpoints', 'endpoint'],
  ['formats', 'format'],
  ['service_request_updates', 'request_update'],
  ['errors', 'error'],
]);

/** xml2js's objects → the JSON shape: lists as arrays, empty elements as null. */
function fromXml(value: unknown, name: string | undefined, depth = 0): unknown {
  if (depth > 20) throw new SourceError('The source answered XML nested too deeply.');
  if (value === '' || value === undefined) return null;
  if (typeof value !== 'object' || value === null) return value;
  const item = name === undefined ? undefined : XML_LISTS.get(name);
  if (item !== undefined && !Array.isArray(value)) {
    const inner = (value as Record<string, unknown>)[item];
    const list = inner === undefined ? [] : Array.isArray(inner) ? inner : [inner];
    return list.map((entry) => fromXml(entry, item, depth + 1));
  }
  if (Array.isArray(value)) return value.map((entry) => fromXml(entry, name, depth + 1));
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (key === '$') continue;
    out[key] = fromXml(entry, key, depth + 1);
  }
  return out;
}

export class Open311Client {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  calls = 0;

  constructor(private readonly options: ClientOptions) {}

  /** GET path.{format} with the given parameters (the jurisdiction and key added when configured). */
  async get(path: string, parameters: Record<string, string> = {}): Promise<SourceAnswer> {
    const url = new URL(`${this.options.baseUrl.replace(/\/+$/, '')}/${path}.${this.options.format}`);
    if (this.options.jurisdiction) url.searchParams.set('jurisdiction_id', this.options.jurisdiction);
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    const attempts = this.options.attempts ?? 6;
    for (let attempt = 1; ; attempt += 1) {
      this.options.signal?.throwIfAborted();
      let wait: number | undefined;
      try {
        const answer = await this.limited(() => this.fetchOnce(url));
        if (answer.status !== 429 && answer.status < 500) return answer;
        wait = retryAfterMs(answer.headers.get('retry-after'));
        if (attempt >= attempts)
          throw new SourceError(`${url.pathname} answered ${answer.status} ${attempts} times.`, answer.status);
      } catch (error) {
        if (error instanceof SourceError || this.options.signal?.aborted) throw error;
        if (attempt >= attempts)
          throw new SourceError(`${url.pathname}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const backoff = (this.options.retryBaseMs ?? 500) * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait ?? backoff, 60_000)));
    }
  }

  private async fetchOnce(url: URL): Promise<SourceAnswer> {
    this.calls += 1;
    const headers: Record<string, string> = {
      'User-Agent': this.options.userAgent,
      Accept: this.options.format === 'json' ? 'application/json' : 'text/xml, application/xml',
    };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    const response = await fetch(url, { headers, signal, redirect: 'follow' });
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > MAX_ANSWER_BYTES) throw new SourceError(`${url.pathname} answered more than ${MAX_ANSWER_BYTES} bytes.`);
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) throw new SourceError(`${url.pathname} answered more than ${MAX_ANSWER_BYTES} bytes.`);
    let body: unknown = null;
    if (response.status < 500 && text.trim() !== '') {
      try {
        if (this.options.format === 'json') body = JSON.parse(text);
        else {
          // The document's root element (service_requests, services …) holds the value.
          const parsed = (await parseStringPromise(text, { explicitArray: false, trim: true })) as Record<string, unknown>;
          const [root] = Object.entries(parsed ?? {});
          body = root ? (fromXml(root[1], root[0]) ?? (XML_LISTS.has(root[0]) ? [] : null)) : null;
        }
      } catch {
        if (response.ok) throw new SourceError(`${url.pathname} did not answer valid ${this.options.format.toUpperCase()}.`);
      }
    }
    return { status: response.status, headers: response.headers, body };
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    const limit = this.options.concurrency ?? 2;
    while (this.active >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
