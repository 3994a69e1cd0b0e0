// Resilience and operations: security headers that keep CORS working, request ids, Prometheus metrics,
// structured logs, liveness/readiness, Idempotency-Key on POST, and the database going away and coming
// back (503 + Retry-After + errors body meanwhile, recovery without a restart).
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { openDb, type Db } from '../../src/store/db.js';
import { LANCASTER } from '../helpers/build.js';
import { BASE, ctx, FORMATS, testConfig, unique, type Format } from '../helpers/test-server.js';
import { checkErrorsBody, checkNoLeak, listen, rawRequest, type Listening, type RawAnswer } from './support.js';
import { TcpProxy } from './tcp-proxy.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const requestForm = (description: string, key = ctx().apiKey): string =>
  new URLSearchParams({
    api_key: key,
    service_code: 'SIDEWALK',
    lat: String(LANCASTER.lat),
    long: String(LANCASTER.long),
    description,
  }).toString();

async function rowsWithDescription(description: string): Promise<number> {
  const [row] = (await ctx().db('service_requests').where({ description }).count({ n: '*' })) as Array<{ n: string | number }>;
  return Number(row!.n);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** knex prints every failed connection attempt to the console; the tests below cause many on purpose. */
function quiet(db: Db): Db {
  (db.client as { logger: { _warn?: (message: string) => void } }).logger._warn = () => undefined;
  return db;
}

describe('hardening: resilience', function () {
  this.timeout(60_000);
  let server: Listening;
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> =>
    rawRequest(server.port, { method, path, headers, ...(body === undefined ? {} : { body }) });

  before(async () => {
    server = await listen(ctx().app);
  });
  after(async () => {
    await server.close();
  });

  describe('security headers (helmet) without breaking CORS', () => {
    const paths = [
      `${BASE}/discovery.json`,
      `${BASE}/services.xml`,
      `${BASE}/requests.json`,
      `${BASE}/requests.geojson`,
      `${BASE}/servicerequestupdates.xml`,
      '/open311/bulk/requests.csv',
      `${BASE}/requests/999999999.json`,
      `${BASE}/nowhere.xml`,
    ];
    for (const path of paths) {
      it(`GET ${path}: nosniff, frame, referrer and HSTS headers together with Access-Control-Allow-Origin: *`, async () => {
        const answer = await call('GET', path, { Origin: 'https://some-311-app.example' });
        expect(answer.status).to.be.below(500);
        const h = answer.headers;
        expect(h['access-control-allow-origin']).to.equal('*');
        expect(String(h['access-control-expose-headers']))
          .to.match(/ETag/)
          .and.match(/Link/)
          .and.match(/Retry-After/);
        expect(h['x-content-type-options']).to.equal('nosniff');
        expect(h['x-frame-options']).to.equal('SAMEORIGIN');
        expect(h['referrer-policy']).to.equal('no-referrer');
        expect(h['strict-transport-security']).to.match(/max-age=\d+/);
        expect(h['x-dns-prefetch-control']).to.equal('off');
        expect(h['x-permitted-cross-domain-policies']).to.equal('none');
        // What would break cross-origin use of a public API is left out or relaxed.
        expect(h['cross-origin-resource-policy']).to.equal('cross-origin');
        expect(h['cross-origin-embedder-policy']).to.equal(undefined);
        expect(h['cross-origin-opener-policy']).to.equal(undefined);
        expect(h['x-powered-by']).to.equal(undefined);
      });
    }

    for (const path of [`${BASE}/requests.json`, `${BASE}/servicerequestupdates.xml`, `${BASE}/requests/1.json`]) {
      it(`a browser preflight OPTIONS ${path} is still 204 with the CORS answer`, async () => {
        const answer = await call('OPTIONS', path, {
          Origin: 'https://some-311-app.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
        });
        expect(answer.status).to.equal(204);
        expect(answer.headers['access-control-allow-origin']).to.equal('*');
        expect(String(answer.headers['access-control-allow-methods'])).to.match(/POST/).and.match(/GET/);
        const allowed = String(answer.headers['access-control-allow-headers']).toLowerCase();
        for (const header of ['authorization', 'content-type', 'idempotency-key']) expect(allowed).to.include(header);
        expect(answer.headers['x-content-type-options']).to.equal('nosniff');
      });
    }
  });

  describe('request ids, metrics, logs, health', () => {
    it('X-Request-Id: a valid incoming id is echoed; a missing or invalid one is replaced by a UUID', async () => {
      const kept = await call('GET', `${BASE}/services.json`, { 'X-Request-Id': 'edge-42.abc:def_1' });
      expect(kept.headers['x-request-id']).to.equal('edge-42.abc:def_1');
      const none = await call('GET', `${BASE}/services.json`);
      expect(none.headers['x-request-id']).to.match(UUID);
      for (const bad of ['has spaces in it', 'x'.repeat(65), '<script>', 'a;b', '"quoted"']) {
        const answer = await call('GET', `${BASE}/services.json`, { 'X-Request-Id': bad });
        expect(answer.headers['x-request-id'], bad).to.match(UUID);
      }
      // Errors carry it too.
      const error = await call('GET', `${BASE}/nowhere.json`, { 'X-Request-Id': 'err-1' });
      expect(error.status).to.equal(404);
      expect(error.headers['x-request-id']).to.equal('err-1');
      const post = await call('POST', `${BASE}/requests.json`, { ...FORM, 'X-Request-Id': 'post-1' }, 'service_code=SIDEWALK');
      expect(post.status).to.equal(403);
      expect(post.headers['x-request-id']).to.equal('post-1');
    });

    it('/metrics: Prometheus text with http_requests_total{method,route,status} and db_pool_connections', async () => {
      await call('GET', `${BASE}/services.json`);
      await call('GET', `${BASE}/requests/86753091234.xml`);
      const answer = await call('GET', '/metrics');
      expect(answer.status).to.equal(200);
      expect(String(answer.headers['content-type'])).to.match(/^text\/plain/);
      const lines = answer.text.split('\n');
      const counter = (method: string, route: string, status: string): number | undefined => {
        const line = lines.find(
          (item) =>
            item.startsWith('http_requests_total{') &&
            item.includes(`method="${method}"`) &&
            item.includes(`route="${route}"`) &&
            item.includes(`status="${status}"`),
        );
        return line === undefined ? undefined : Number(line.split(' ').at(-1));
      };
      expect(counter('GET', `${BASE}/services`, '200')).to.be.at.least(1);
      expect(counter('GET', `${BASE}/requests/:service_request_id`, '404')).to.be.at.least(1);
      expect(answer.text).to.match(/^# TYPE http_requests_total counter$/m);
      expect(answer.text).to.match(/^http_request_duration_seconds_bucket\{/m);
      for (const state of ['used', 'free', 'pending'])
        expect(answer.text).to.match(new RegExp(`^db_pool_connections\\{state="${state}"\\} \\d+$`, 'm'));
      // Route labels are patterns, never raw ids.
      expect(answer.text).to.not.match(/route="[^"]*86753091234/);
    });

    it('logs are JSON lines (pino) carrying the request id the response echoed', async () => {
      const stream = new PassThrough();
      const lines: string[] = [];
      stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
      const logged = await listen(createApp({ config: testConfig(), db: ctx().db, logger: createLogger('debug', stream) }).app);
      try {
        const answer = await rawRequest(logged.port, {
          path: `${BASE}/services.json`,
          headers: { 'X-Request-Id': 'log-check-1' },
        });
        expect(answer.headers['x-request-id']).to.equal('log-check-1');
        await sleep(50);
        const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        const entry = entries.find((item) => item.request_id === 'log-check-1');
        expect(entry, lines.join('\n')).to.not.equal(undefined);
        expect(entry).to.include({ method: 'GET', route: `${BASE}/services`, status: '200', level: 'debug' });
        expect(entry!.time).to.be.a('string');
      } finally {
        await logged.close();
      }
    });

    it('/healthz is 200 and /readyz is 200 while the database answers', async () => {
      const health = await call('GET', '/healthz');
      expect(health.status).to.equal(200);
      expect(JSON.parse(health.text)).to.deep.equal({ status: 'ok' });
      expect(health.headers['cache-control']).to.equal('no-store');
      const ready = await call('GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(JSON.parse(ready.text)).to.deep.equal({ status: 'ready' });
    });
  });

  describe('Idempotency-Key on POST requests', () => {
    for (const format of FORMATS) {
      it(`a retried POST with the same key returns the original request, and the store holds one row (.${format})`, async () => {
        const description = unique('idempotent');
        const key = unique('idem');
        const first = await call(
          'POST',
          `${BASE}/requests.${format}`,
          { ...FORM, 'Idempotency-Key': key },
          requestForm(description),
        );
        const second = await call(
          'POST',
          `${BASE}/requests.${format}`,
          { ...FORM, 'Idempotency-Key': key },
          requestForm(description),
        );
        expect(first.status, first.text).to.equal(200);
        expect(second.status, second.text).to.equal(200);
        const id = /service_request_id(?:>|":")(\d+)/.exec(first.text)?.[1];
        expect(id).to.be.a('string');
        expect(second.text).to.equal(first.text);
        expect(await rowsWithDescription(description)).to.equal(1);
      });
    }

    it('10 concurrent POSTs with the same key: exactly one row, every answer identical', async () => {
      const description = unique('idempotent-concurrent');
      const key = unique('idem-concurrent');
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          call('POST', `${BASE}/requests.json`, { ...FORM, 'Idempotency-Key': key }, requestForm(description)),
        ),
      );
      for (const answer of answers) expect(answer.status, answer.text).to.equal(200);
      const bodies = new Set(answers.map((answer) => answer.text));
      expect([...bodies], 'different answers').to.have.length(1);
      expect(await rowsWithDescription(description)).to.equal(1);
    });

    it('the same key in .xml after .json answers the same request', async () => {
      const description = unique('idempotent-formats');
      const key = unique('idem-formats');
      const json = await call('POST', `${BASE}/requests.json`, { ...FORM, 'Idempotency-Key': key }, requestForm(description));
      const xml = await call('POST', `${BASE}/requests.xml`, { ...FORM, 'Idempotency-Key': key }, requestForm(description));
      const id = (JSON.parse(json.text) as Array<{ service_request_id: string }>)[0]!.service_request_id;
      expect(xml.status).to.equal(200);
      expect(xml.text).to.include(`<service_request_id>${id}</service_request_id>`);
      expect(await rowsWithDescription(description)).to.equal(1);
    });

    for (const format of FORMATS) {
      it(`the same key with another body → 422 errors document, nothing created (.${format})`, async () => {
        const key = unique('idem-conflict');
        const original = unique('idempotent-original');
        const other = unique('idempotent-other');
        expect(
          (await call('POST', `${BASE}/requests.json`, { ...FORM, 'Idempotency-Key': key }, requestForm(original))).status,
        ).to.equal(200);
        const conflict = await call(
          'POST',
          `${BASE}/requests.${format}`,
          { ...FORM, 'Idempotency-Key': key },
          requestForm(other),
        );
        expect(conflict.status, conflict.text).to.equal(422);
        const errors = await checkErrorsBody(conflict, format, 'conflict');
        expect(errors[0]!.description).to.match(/Idempotency-Key/);
        expect(await rowsWithDescription(other)).to.equal(0);
        expect(await rowsWithDescription(original)).to.equal(1);
      });
    }

    it('keys are per API key: another client using the same Idempotency-Key gets its own request', async () => {
      const description = unique('idempotent-clients');
      const key = unique('idem-clients');
      const { key: otherApiKey } = await createKey(ctx().db, unique('idempotency client'));
      const mine = await call('POST', `${BASE}/requests.json`, { ...FORM, 'Idempotency-Key': key }, requestForm(description));
      const theirs = await call(
        'POST',
        `${BASE}/requests.json`,
        { ...FORM, 'Idempotency-Key': key },
        requestForm(description, otherApiKey),
      );
      expect(mine.status).to.equal(200);
      expect(theirs.status).to.equal(200);
      expect(theirs.text).to.not.equal(mine.text);
      expect(await rowsWithDescription(description)).to.equal(2);
    });
  });

  describe('database unavailable', () => {
    let deadDb: Db;
    let dead: Listening;
    before(async () => {
      // Nothing listens on port 1: every connection attempt is refused at once.
      deadDb = quiet(openDb({ databaseUrl: 'postgres://x:y@127.0.0.1:1/none' }));
      dead = await listen(createApp({ config: testConfig(), db: deadDb, logger: createLogger('silent') }).app);
    });
    after(async () => {
      await dead.close();
      await deadDb.destroy();
    });

    async function expectUnavailable(answer: RawAnswer, format: Format, context: string): Promise<void> {
      expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).to.equal(503);
      expect(answer.headers['retry-after'], context).to.match(/^\d+$/);
      expect(Number(answer.headers['retry-after'])).to.be.at.least(1);
      await checkErrorsBody(answer, format, context);
      checkNoLeak(answer, { sent: '', apiKey: ctx().apiKey, context });
      expect(answer.text, context).to.not.match(/ECONNREFUSED|127\.0\.0\.1|5432|password|postgres/i);
    }

    for (const format of FORMATS) {
      it(`GeoReport GETs and POSTs → 503 + Retry-After + errors document (.${format}), never a 500`, async () => {
        for (const path of [
          `${BASE}/discovery.${format}`,
          `${BASE}/services.${format}`,
          `${BASE}/services/SIDEWALK.${format}`,
          `${BASE}/requests.${format}`,
          `${BASE}/requests.${format}?extensions=true&page_size=5`,
          `${BASE}/requests/1.${format}`,
          `${BASE}/tokens/abc.${format}`,
          `${BASE}/servicerequestupdates.${format}`,
        ]) {
          await expectUnavailable(await rawRequest(dead.port, { path }), format, `GET ${path}`);
        }
        await expectUnavailable(
          await rawRequest(dead.port, {
            method: 'POST',
            path: `${BASE}/requests.${format}`,
            headers: FORM,
            body: requestForm(unique('unavailable')),
          }),
          format,
          'POST requests',
        );
        await expectUnavailable(
          await rawRequest(dead.port, {
            method: 'POST',
            path: `${BASE}/servicerequestupdates.${format}`,
            headers: { Authorization: `Bearer ${ctx().apiKey}`, ...FORM },
            body: 'service_request_id=1',
          }),
          format,
          'POST servicerequestupdates',
        );
      });
    }

    it('requests.geojson (JSON errors) and the bulk CSV (XML errors) → 503 too', async () => {
      await expectUnavailable(await rawRequest(dead.port, { path: `${BASE}/requests.geojson` }), 'json', 'geojson');
      await expectUnavailable(await rawRequest(dead.port, { path: '/open311/bulk/requests.csv' }), 'xml', 'csv');
    });

    it('/readyz → 503 not ready with Retry-After; /healthz → 200 (the process is alive)', async () => {
      const ready = await rawRequest(dead.port, { path: '/readyz' });
      expect(ready.status).to.equal(503);
      expect(ready.headers['retry-after']).to.match(/^\d+$/);
      expect(JSON.parse(ready.text)).to.include({ status: 'not ready' });
      const health = await rawRequest(dead.port, { path: '/healthz' });
      expect(health.status).to.equal(200);
    });

    it('recovers by itself when the database returns, without a restart (proven on PostgreSQL: returns at once on the embedded store)', async function () {
      this.timeout(60_000);
      const databaseUrl = process.env.DATABASE_URL;
      if (!databaseUrl) return;
      const target = new URL(databaseUrl);
      const proxy = new TcpProxy(target.hostname === 'localhost' ? '127.0.0.1' : target.hostname, Number(target.port || 5432));
      await proxy.open();
      const proxied = new URL(databaseUrl);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const db = quiet(openDb({ databaseUrl: proxied.toString() }));
      const app = await listen(createApp({ config: testConfig(), db, logger: createLogger('silent') }).app);
      const get = (path: string): Promise<RawAnswer> => rawRequest(app.port, { path });
      const post = (format: Format): Promise<RawAnswer> =>
        rawRequest(app.port, {
          method: 'POST',
          path: `${BASE}/requests.${format}`,
          headers: FORM,
          body: requestForm(unique('recovery')),
        });
      try {
        expect((await get(`${BASE}/services.json`)).status).to.equal(200);
        expect((await post('json')).status).to.equal(200);
        expect((await get('/readyz')).status).to.equal(200);

        // The database goes away: open connections are cut and new ones refused.
        await proxy.cut();
        for (const format of FORMATS) {
          for (const path of [`${BASE}/services.${format}`, `${BASE}/requests.${format}`, `${BASE}/requests/1.${format}`]) {
            await expectUnavailable(await get(path), format, `GET ${path} (cut)`);
          }
          await expectUnavailable(await post(format), format, `POST (cut)`);
        }
        expect((await get('/readyz')).status).to.equal(503);
        expect((await get('/healthz')).status).to.equal(200);

        // It comes back: the same app answers again, no restart.
        await proxy.open();
        let status = 0;
        for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
          status = (await get(`${BASE}/services.json`)).status;
          if (status !== 200) await sleep(200);
        }
        expect(status, 'the app did not recover').to.equal(200);
        expect((await get('/readyz')).status).to.equal(200);
        for (const format of FORMATS) {
          expect((await get(`${BASE}/requests.${format}`)).status).to.equal(200);
          expect((await post(format)).status).to.equal(200);
        }
      } finally {
        await app.close();
        await db.destroy();
        await proxy.cut();
      }
    });
  });
});
