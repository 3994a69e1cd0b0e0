// The short path for answers the response cache already holds. A client polling a list, the catalog or one
// request sends the same URL again and again; once the full path (every middleware, the router, the handler)
// has answered it from the cache, the same bytes with the same headers are the answer to the next identical GET
// for as long as the cache itself would serve them. This layer remembers what the full path sent and replays
// it first thing, before the middleware stack: the fixed cost of a cached answer is then close to that of a
// bare server (issue #16). It decides nothing the full path does not: it only repeats an answer, under the
// response cache's own validity rules (src/http/response-cache.ts):
//   (1) no write committed through this process's store since the answer's render started (the cache's
//       generation, which every committed write moves),
//   (2) the change marker still reads the same: only while the change feed is live (other servers' writes
//       move its version); without it (the embedded store, a pooler without a direct connection) the marker is a
//       query, so nothing is replayed and every GET takes the full path,
//   (3) younger than the TTL since its render; past it the full path revalidates and refreshes.
// Only GETs without conditional headers are replayed (a 304 is the full path's decision), and only answers the
// handler marked as a cache answer (respondCached) with status 200: errors, HEAD, uncached and per-caller
// answers always take the full path. GeoReport GET answers depend on the URL alone (format suffix, query
// string, JSONP callback), so the URL as received is the key.
import type { NextFunction, Request, Response } from 'express';
import type { ChangeFeed } from '../store/change-feed.js';
import { type Observability, requestIdOf, routeOf } from './observability.js';
import type { RenderedAnswer, ResponseCache } from './response-cache.js';

/** Replays remembered at once, and the body bytes they may hold together beyond the cache's own. */
const MAX_REPLAYS = 4096;
const MAX_REPLAY_BYTES = 8 * 1024 * 1024;

/** res.locals member where respondCached leaves the cache answer it sent. */
const SENT_FROM_CACHE = 'answerFromCache';

/** Marks the answer a handler sends as one from the response cache: the replay layer may repeat it. */
export function markCacheAnswer(res: Response, answer: RenderedAnswer): void {
  res.locals[SENT_FROM_CACHE] = answer;
}

interface Replay {
  /** Every header the full path sent but X-Request-Id, as name, value, name, value… */
  headers: string[];
  body: Buffer;
  route: string;
  renderedAt: number;
}

export class AnswerReplay {
  private readonly replays = new Map<string, Replay>();
  private bytes = 0;
  /** The cache generation and change-feed version the remembered replays were made under. */
  private generation = -1;
  private feedVersion: string | undefined;

  constructor(
    private readonly cache: ResponseCache,
    private readonly changes: Pick<ChangeFeed, 'version'>,
    private readonly observability: Pick<Observability, 'record'>,
  ) {}

  /** The first middleware of the app. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' || req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    const feedVersion = this.changes.version();
    if (feedVersion === undefined) {
      next();
      return;
    }
    const generation = this.cache.currentGeneration;
    this.forgetWhenMoved(generation, feedVersion);
    const url = req.url;
    const replay = this.replays.get(url);
    if (replay !== undefined) {
      if (Date.now() - replay.renderedAt <= this.cache.freshForMs) {
        const id = requestIdOf(req);
        res.writeHead(200, [...replay.headers, 'X-Request-Id', id]);
        res.end(replay.body);
        this.observability.record(id, 'GET', replay.route, 200, Number(process.hrtime.bigint() - started) / 1e9);
        return;
      }
      this.forget(url, replay);
    }
    // The full path answers; what it sent from the cache is remembered if nothing moved in between.
    res.once('finish', () => {
      const answer = res.locals[SENT_FROM_CACHE] as RenderedAnswer | undefined;
      if (answer?.bytes === undefined || res.statusCode !== 200) return;
      if (this.cache.currentGeneration !== generation || this.changes.version() !== feedVersion) return;
      const renderedAt = this.cache.renderedAt(answer);
      if (renderedAt === undefined || Date.now() - renderedAt > this.cache.freshForMs) return;
      this.remember(url, { headers: sentHeaders(res), body: answer.bytes, route: routeOf(req, res), renderedAt });
    });
    next();
  };

  private forgetWhenMoved(generation: number, feedVersion: string): void {
    if (generation === this.generation && feedVersion === this.feedVersion) return;
    this.replays.clear();
    this.bytes = 0;
    this.generation = generation;
    this.feedVersion = feedVersion;
  }

  private remember(url: string, replay: Replay): void {
    if (replay.body.length > MAX_REPLAY_BYTES / 4) return;
    const old = this.replays.get(url);
    if (old) this.forget(url, old);
    this.replays.set(url, replay);
    this.bytes += replay.body.length;
    for (const [oldest, entry] of this.replays) {
      if (this.replays.size <= MAX_REPLAYS && this.bytes <= MAX_REPLAY_BYTES) break;
      this.forget(oldest, entry);
    }
  }

  private forget(url: string, replay: Replay): void {
    this.replays.delete(url);
    this.bytes -= replay.body.length;
  }
}

/** The headers of a sent answer as a flat list, without the per-request id. */
function sentHeaders(res: Response): string[] {
  const headers: string[] = [];
  // As the full path wrote them (the case of their names included).
  for (const name of (res as Response & { getRawHeaderNames(): string[] }).getRawHeaderNames()) {
    if (name.toLowerCase() === 'x-request-id') continue;
    const value = res.getHeader(name);
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.push(name, String(item));
  }
  return headers;
}
