// The response cache must never hide a change made through this server, and must expire.
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { ResponseCache } from '../../src/http/response-cache.js';
import { ctx, testConfig, unique } from '../helpers/test-server.js';

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
    const { db, config } = ctx();
    const service = await db('services').where({ jurisdiction_id: config.jurisdictionId, service_code: 'TALL_GRASS' }).first('id');
    const description = unique('written elsewhere');
    await db('service_requests').insert({ jurisdiction_id: config.jurisdictionId, service_id: service.id, description });
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the 100 ms memo of the marker
    const after = await request(app).get(list);
    expect(after.text).to.include(description);
    expect(before.text).not.to.include(description);
  });

  it('keeps separate answers per format, JSONP callback and query, and evicts past its byte budget', () => {
    const cache = new ResponseCache(1000, 1000);
    cache.set('a', 'v1', { body: 'x'.repeat(100), contentType: 'text/plain', etag: 'W/"a"' }, 0);
    expect(cache.get('a', 'v1', 10)?.etag).to.equal('W/"a"');
    expect(cache.get('a', 'v2', 10)).to.equal(undefined); // the marker moved
    cache.set('a', 'v1', { body: 'x'.repeat(100), contentType: 'text/plain', etag: 'W/"a"' }, 0);
    expect(cache.get('a', 'v1', 2000)).to.equal(undefined); // expired
    // 480 bytes an entry (UTF-16), budget 2000: the fifth entry pushes out the least recent one.
    const big = new ResponseCache(2000, 1000);
    for (const key of ['b', 'c', 'd', 'e', 'f']) big.set(key, 'v1', { body: key.repeat(240), contentType: 'text/plain', etag: `W/"${key}"` }, 0);
    expect(big.get('b', 'v1', 1)).to.equal(undefined);
    expect(big.get('f', 'v1', 1)?.etag).to.equal('W/"f"');
    big.bump();
    expect(big.get('f', 'v1', 1)).to.equal(undefined);
  });
});
