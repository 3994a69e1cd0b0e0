// The short path for cached answers (src/http/replay.ts): an identical GET is answered with the bytes and headers
// the full path sent, before the middleware stack, and only while the response cache would serve them itself.
// A fake change feed stands in for LISTEN/NOTIFY so that its version can be moved at will (the real feed is
// in test/scale/two-nodes.test.ts); the replays themselves go through the real app and the real store.
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import type { ChangeFeed } from '../../src/store/change-feed.js';
import { ctx, testConfig, unique, writeBehindTheServer } from '../helpers/test-server.js';

const BASE = '/open311/v2';

/** An app with a cache and a feed whose version the test moves; counts the handlers' jurisdiction lookups. */
function replayingApp(ttlMs = 60_000, feed: { version: string | undefined } = { version: 'feed:test:0' }) {
  const changes = { version: () => feed.version } as unknown as ChangeFeed;
  const { app, context } = createApp({
    config: testConfig({ RESPONSE_CACHE_TTL_MS: String(ttlMs) }),
    db: ctx().db,
    logger: createLogger('silent'),
    changes,
  });
  // Every GeoReport handler resolves the jurisdiction first; a replay does not reach a handler.
  let handled = 0;
  const resolve = context.jurisdictions.resolve.bind(context.jurisdictions);
  context.jurisdictions.resolve = (id) => {
    handled += 1;
    return resolve(id);
  };
  return { app, feed, handled: () => handled };
}

/** Headers that differ between any two answers, whoever sends them. */
const PER_ANSWER = new Set(['date', 'x-request-id']);
const sameHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)));

async function tallGrassId(): Promise<string | number> {
  const { db, config } = ctx();
  return (await db('services').where({ jurisdiction_id: config.jurisdictionId, service_code: 'TALL_GRASS' }).first('id')).id;
}

async function createdId(app: Parameters<typeof request>[0], description: string): Promise<string> {
  const created = await request(app)
    .post(`${BASE}/requests.json`)
    .type('form')
    .send({ api_key: ctx().apiKey, service_code: 'SIDEWALK', address_string: '1 Main St', description });
  expect(created.status).to.equal(200);
  return String(created.body[0].service_request_id);
}

describe('replay of cached answers (the short path)', () => {
  it('answers repeated GETs with the same bytes and headers without running the handler', async () => {
    const { app, handled } = replayingApp();
    const id = await createdId(app, unique('replayed'));
    const urls = [
      `${BASE}/services.json`,
      `${BASE}/services.xml`,
      `${BASE}/discovery.json`,
      `${BASE}/requests/${id}.json`,
      `${BASE}/requests.json?service_code=SIDEWALK&page_size=2&page=1`,
      `${BASE}/requests.json?service_code=SIDEWALK&callback=show`,
    ];
    for (const url of urls) {
      const first = await request(app).get(url); // the full path renders and caches
      const second = await request(app).get(url); // the full path, from the cache: remembered for replay
      const before = handled();
      const third = await request(app).get(url); // replayed
      expect(handled(), `${url} is replayed`).to.equal(before);
      expect(first.status, url).to.equal(200);
      expect(third.status, url).to.equal(200);
      expect(third.text, url).to.equal(first.text);
      expect(sameHeaders(third.headers), url).to.deep.equal(sameHeaders(second.headers));
      expect(third.headers['x-request-id'], url).to.match(/^[0-9a-f-]{36}$/);
      expect(third.headers['x-request-id'], url).not.to.equal(second.headers['x-request-id']);
    }
    // The headers of the whole stack are there: security, CORS, caching, paging.
    const paged = await request(app).get(`${BASE}/requests.json?service_code=SIDEWALK&page_size=2&page=1`);
    expect(paged.headers['x-content-type-options']).to.equal('nosniff');
    expect(paged.headers['access-control-allow-origin']).to.equal('*');
    expect(paged.headers['cache-control']).to.equal('public, no-cache');
    expect(paged.headers['x-result-count']).to.match(/^\d+$/);
    expect(paged.headers.link).to.include('rel="first"');
    // A client's own request id is kept, as on the full path.
    const own = await request(app).get(`${BASE}/services.json`).set('X-Request-Id', 'client-chosen-1');
    expect(own.headers['x-request-id']).to.equal('client-chosen-1');
  });

  it('never outlives a write through this server, a change elsewhere (feed) or the TTL', async () => {
    const ttlMs = 400;
    const { app, feed, handled } = replayingApp(ttlMs);
    const list = `${BASE}/requests.json?service_code=SIDEWALK`;
    await request(app).get(list);
    await request(app).get(list);
    let before = handled();
    await request(app).get(list);
    expect(handled(), 'replayed').to.equal(before);

    // A write through this server: the next GET takes the full path and shows it.
    const mine = unique('written here');
    await createdId(app, mine);
    before = handled();
    const afterWrite = await request(app).get(list);
    expect(handled()).to.equal(before + 1);
    expect(afterWrite.text).to.include(mine);

    // Another server's write, which this process only learns of through the feed.
    await request(app).get(list); // remembered again
    const { config } = ctx();
    const elsewhere = unique('written elsewhere');
    await writeBehindTheServer('INSERT INTO service_requests (jurisdiction_id, service_id, description) VALUES ($1, $2, $3)', [
      config.jurisdictionId,
      await tallGrassId(),
      elsewhere,
    ]);
    const tallGrass = `${BASE}/requests.json?service_code=TALL_GRASS`;
    await request(app).get(tallGrass);
    await request(app).get(tallGrass);
    feed.version = 'feed:test:1';
    before = handled();
    const afterFeed = await request(app).get(tallGrass);
    expect(handled(), 'a moved feed ends every replay').to.equal(before + 1);
    expect(afterFeed.text).to.include(elsewhere);

    // Past the TTL since the render, the full path answers again.
    await request(app).get(list);
    await request(app).get(list);
    await new Promise((resolve) => setTimeout(resolve, ttlMs + 100));
    before = handled();
    await request(app).get(list);
    expect(handled(), 'an expired answer is not replayed').to.equal(before + 1);
  });

  it('leaves conditional GETs, HEAD, errors and a feed that is not live to the full path', async () => {
    const feed: { version: string | undefined } = { version: 'feed:test:0' };
    const { app, handled } = replayingApp(60_000, feed);
    const url = `${BASE}/services.json`;
    const first = await request(app).get(url);
    await request(app).get(url);
    let before = handled();
    const conditional = await request(app).get(url).set('If-None-Match', String(first.headers.etag));
    expect(conditional.status).to.equal(304);
    expect(handled()).to.equal(before + 1);
    before = handled();
    const head = await request(app).head(url);
    expect(head.status).to.equal(200);
    expect(handled()).to.equal(before + 1);

    const missing = `${BASE}/requests/999999999.json`;
    await request(app).get(missing);
    before = handled();
    const again = await request(app).get(missing);
    expect(again.status).to.equal(404);
    expect(handled(), 'an error is never replayed').to.equal(before + 1);

    feed.version = undefined; // the feed is down: the marker is polled, nothing is replayed
    await request(app).get(url);
    await request(app).get(url);
    before = handled();
    await request(app).get(url);
    expect(handled()).to.equal(before + 1);
  });

  it('counts replayed answers in the metrics under their route', async () => {
    const { app } = replayingApp();
    const url = `${BASE}/discovery.json`;
    const count = async (): Promise<number> => {
      const metrics = (await request(app).get('/metrics')).text;
      const line = metrics
        .split('\n')
        .find(
          (text) =>
            text.startsWith('http_requests_total{') &&
            text.includes('route="/open311/v2/discovery"') &&
            text.includes('status="200"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    await request(app).get(url);
    await request(app).get(url);
    const before = await count();
    for (let index = 0; index < 5; index += 1) await request(app).get(url);
    expect(await count()).to.equal(before + 5);
  });

  it('is off without a change feed (the embedded store): every GET takes the full path', async () => {
    const { app, context } = createApp({
      config: testConfig({ RESPONSE_CACHE_TTL_MS: '60000' }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    let handled = 0;
    const resolve = context.jurisdictions.resolve.bind(context.jurisdictions);
    context.jurisdictions.resolve = (id) => {
      handled += 1;
      return resolve(id);
    };
    for (let index = 0; index < 3; index += 1) await request(app).get(`${BASE}/services.json`);
    expect(handled).to.equal(3);
  });
});
