// The response cache must never hide a change made through this server, and must expire.
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { ResponseCache } from '../../src/http/response-cache.js';
import { respondCached } from '../../src/http/respond.js';
import { onCommittedWrite } from '../../src/store/committed-writes.js';
import { ctx, testConfig, unique, writeBehindTheServer } from '../helpers/test-server.js';

/** The demo TALL_GRASS service's row id. */
async function tallGrass(): Promise<{ id: string | number }> {
  const { db, config } = ctx();
  return db('services').where({ jurisdiction_id: config.jurisdictionId, service_code: 'TALL_GRASS' }).first('id');
}

describe('response cache', () => {
  function cachedApp() {
    return createApp({ config: testConfig({ RESPONSE_CACHE_TTL_MS: '1000' }), db: ctx().db, logger: createLogger('silent') }).app;
  }

  it('serves repeated polls from memory, yet a POST through the server shows at once in lists and single requests', async () => {
    const app = cachedApp();
    const list = '/open311/v2/requests.json?service_code=SIDEWALK';
    const first = await request(app).get(list);
    const again = await request(app).get(list);
    expect(again.text).to.equal(first.text);
    expect(again.headers.etag).to.equal(first.headers.etag);
    const description = unique('fresh');
    const created = await request(app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: ctx().apiKey, service_code: 'SIDEWALK', address_string: 'x', description });
    expect(created.status).to.equal(200);
    const after = await request(app).get(list);
    expect(after.text).to.include(description);
    expect(after.headers.etag).not.to.equal(first.headers.etag);
    const xml = await request(app).get('/open311/v2/requests.xml?service_code=SIDEWALK');
    expect(xml.text).to.include(description);
    const conditional = await request(app).get(list).set('If-None-Match', String(after.headers.etag));
    expect(conditional.status).to.equal(304);
  });

  it('notices a row written by someone else through the change marker, and expires after its TTL', async () => {
    const app = cachedApp();
    const list = '/open311/v2/requests.json?service_code=TALL_GRASS&status=open';
    const before = await request(app).get(list);
    const { config } = ctx();
    const service = await tallGrass();
    const description = unique('written elsewhere');
    // Another server's write: on a connection of its own, past this process's knex (which would invalidate).
    await writeBehindTheServer('INSERT INTO service_requests (jurisdiction_id, service_id, description) VALUES ($1, $2, $3)', [
      config.jurisdictionId,
      service.id,
      description,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the 100 ms memo of the marker
    const after = await request(app).get(list);
    expect(after.text).to.include(description);
    expect(before.text).not.to.include(description);
  });

  it('is invalidated by any write committed through its store, once the transaction has committed', async () => {
    const app = cachedApp();
    const list = '/open311/v2/requests.json?service_code=TALL_GRASS';
    const before = await request(app).get(list);
    const { db, config } = ctx();
    const service = await tallGrass();
    const description = unique('direct write');
    const told: number[] = [];
    const stop = onCommittedWrite(db, () => told.push(Date.now()));
    let toldBeforeCommit = -1;
    try {
      await db.transaction(async (trx) => {
        await trx('service_requests').insert({ jurisdiction_id: config.jurisdictionId, service_id: service.id, description });
        toldBeforeCommit = told.length;
      });
    } finally {
      stop();
    }
    expect(toldBeforeCommit, 'nothing is told before COMMIT').to.equal(0);
    expect(told).to.have.length(1);
    const after = await request(app).get(list);
    expect(after.text).to.include(description);
    expect(before.text).not.to.include(description);
  });

  it('keeps separate answers per format, JSONP callback and query', async () => {
    const app = cachedApp();
    const description = unique('per format');
    const created = await request(app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: ctx().apiKey, service_code: 'SIDEWALK', address_string: 'x', description });
    expect(created.status).to.equal(200);
    const urls = [
      '/open311/v2/requests.json?service_code=SIDEWALK',
      '/open311/v2/requests.xml?service_code=SIDEWALK',
      '/open311/v2/requests.json?service_code=SIDEWALK&callback=show',
      '/open311/v2/requests.json?service_code=SIDEWALK&callback=other',
      '/open311/v2/requests.json?service_code=TALL_GRASS',
    ];
    const first = await Promise.all(urls.map((url) => request(app).get(url)));
    // Asked again (now from the cache): each URL gets its own answer back, never another's.
    const again = await Promise.all(urls.map((url) => request(app).get(url)));
    for (const [index, url] of urls.entries()) expect(again[index]!.text, url).to.equal(first[index]!.text);
    const [json, xml, jsonp, otherJsonp, otherQuery] = again;
    expect(json!.headers['content-type']).to.match(/^application\/json/);
    expect(JSON.parse(json!.text)).to.be.an('array').that.is.not.empty;
    expect(json!.text).to.include(description);
    expect(xml!.headers['content-type']).to.match(/^text\/xml/);
    expect(xml!.text).to.include(`<description>${description}</description>`);
    expect(jsonp!.headers['content-type']).to.match(/^application\/javascript/);
    expect(jsonp!.text).to.equal(`show(${json!.text});`);
    expect(otherJsonp!.text).to.equal(`other(${json!.text});`);
    expect(otherQuery!.text).not.to.include(description);
    expect(otherQuery!.text).not.to.equal(json!.text);
  });

  it('is off with RESPONSE_CACHE_TTL_MS=0: every answer is rendered from the store', async () => {
    const { app, context } = createApp({
      config: testConfig({ RESPONSE_CACHE_TTL_MS: '0' }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    expect(context.cache).to.equal(undefined);
    const list = '/open311/v2/requests.json?service_code=TALL_GRASS';
    const before = await request(app).get(list);
    const { config } = ctx();
    const service = await tallGrass();
    const description = unique('uncached');
    await writeBehindTheServer('INSERT INTO service_requests (jurisdiction_id, service_id, description) VALUES ($1, $2, $3)', [
      config.jurisdictionId,
      service.id,
      description,
    ]);
    expect((await request(app).get(list)).text).to.include(description);
    expect(before.text).not.to.include(description);
  });

  it('never stores nor shares a render that raced a committed write', async () => {
    const cache = new ResponseCache(1_000_000, 1000);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let renders = 0;
    const produce = async () => {
      renders += 1;
      const render = renders;
      if (render === 1) await gate;
      return { body: `render ${render}`, contentType: 'text/plain', etag: `W/"${render}"` };
    };
    const racing = cache.answer('list', 'v1', produce);
    cache.invalidate(); // a write commits while the first render runs
    const afterWrite = await cache.answer('list', 'v1', produce);
    expect(afterWrite.body, 'a request after the write does not wait for the older render').to.equal('render 2');
    release();
    expect((await racing).body).to.equal('render 1');
    expect(cache.get('list', 'v1')?.body, 'the older render did not replace the current one').to.equal('render 2');
    cache.set('other', 'v1', { body: 'old', contentType: 'text/plain', etag: 'W/"o"' }, cache.currentGeneration - 1);
    expect(cache.get('other', 'v1'), 'set() refuses a render from before the last write').to.equal(undefined);
  });

  it('past its TTL answers the confirmed entry at once and refreshes it in the background (stale-while-revalidate)', async () => {
    const cache = new ResponseCache(1_000_000, 200);
    let renders = 0;
    let gate: Promise<void> = Promise.resolve();
    const app = express();
    app.get('/list', (req, res, next) => {
      res.locals.format = 'json';
      respondCached(req, res, cache, 'list', 'marker-1', { timeZone: 'UTC' }, async () => {
        renders += 1;
        const render = renders;
        await gate;
        return { body: `["render ${render}"]`, contentType: 'application/json; charset=utf-8', etag: `W/"${render}"` };
      }).catch(next);
    });
    const within = <T>(promise: Promise<T>, ms: number): Promise<T> =>
      Promise.race([
        promise,
        new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
      ]);

    expect((await request(app).get('/list')).text).to.equal('["render 1"]');
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    await new Promise((resolve) => setTimeout(resolve, 250)); // past the TTL, within twice the TTL
    // The refresh is blocked, yet the poll is answered at once with the confirmed entry.
    const stale = await within(
      request(app)
        .get('/list')
        .then((response) => response),
      1000,
    );
    expect(stale.text).to.equal('["render 1"]');
    expect(renders).to.equal(2);
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await request(app).get('/list')).text).to.equal('["render 2"]');
    expect(renders, 'the refreshed entry is fresh: no render').to.equal(2);
    await new Promise((resolve) => setTimeout(resolve, 450)); // past twice the TTL: rendered before answering
    expect((await request(app).get('/list')).text).to.equal('["render 3"]');
  });

  it('forgets an entry once the marker moves or past twice its TTL, and evicts past its byte budget', () => {
    const cache = new ResponseCache(1000, 1000);
    cache.set('a', 'v1', { body: 'x'.repeat(100), contentType: 'text/plain', etag: 'W/"a"' }, 0, 0);
    expect(cache.get('a', 'v1', 10)?.etag).to.equal('W/"a"');
    expect(cache.get('a', 'v2', 10)).to.equal(undefined); // the marker moved
    cache.set('a', 'v1', { body: 'x'.repeat(100), contentType: 'text/plain', etag: 'W/"a"' }, 0, 0);
    expect(cache.get('a', 'v1', 1500)).to.equal(undefined); // past the TTL: no longer fresh…
    expect(cache.lookup('a', 'v1', 1500)).to.deep.include({ stale: true }); // …but servable while refreshed
    expect(cache.lookup('a', 'v1', 2001)).to.equal(undefined); // expired
    cache.set('a', 'v1', { body: 'x'.repeat(100), contentType: 'text/plain', etag: 'W/"a"' }, 0, 0);
    expect(cache.lookup('a', 'v2', 1500)).to.equal(undefined); // never once the marker moved
    // 480 bytes an entry (UTF-16), budget 2000: the fifth entry pushes out the least recent one.
    const big = new ResponseCache(2000, 1000);
    for (const key of ['b', 'c', 'd', 'e', 'f'])
      big.set(key, 'v1', { body: key.repeat(240), contentType: 'text/plain', etag: `W/"${key}"` }, 0, 0);
    expect(big.get('b', 'v1', 1)).to.equal(undefined);
    expect(big.get('f', 'v1', 1)?.etag).to.equal('W/"f"');
    big.invalidate();
    expect(big.get('f', 'v1', 1)).to.equal(undefined);
  });
});
