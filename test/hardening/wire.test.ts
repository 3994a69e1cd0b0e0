// The wire as attackers and real third-party clients send it (issue #10): object-member names as keys, deep
// JSON, revocation that applies at once, secrets kept out of logs, per-caller paging links with the cache on,
// over-long URLs and headers, and the liberal-in-what-you-accept cases (unquoted multipart boundaries,
// parameters in the query string of a POST, windows-1252 forms, the client's updated_datetime).
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { createKey, revokeKey, type KeyRole } from '../../src/store/api-keys-store.js';
import type { RequestWriter } from '../../src/store/request-writer.js';
import { addServices, LANCASTER } from '../helpers/build.js';
import { BASE, ctx, FORMATS, testConfig, unique } from '../helpers/test-server.js';
import { checkErrorsBody, rawRequest, type RawAnswer } from './support.js';

const API = '/api/v1';

const roleKeys = new Map<KeyRole, string>();
async function keyOf(role: KeyRole): Promise<string> {
  let key = roleKeys.get(role);
  if (!key) {
    key = (await createKey(ctx().db, unique(`wire ${role}`), role)).key;
    roleKeys.set(role, key);
  }
  return key;
}

/** A multipart body with the given boundary, written by hand (as clients' libraries do). */
function multipartBody(boundary: string, fields: Array<[string, string]>): Buffer {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

/** The raw answer of a supertest call, in the shape the support checks take. */
const raw = (response: request.Response): RawAnswer => ({
  status: response.status,
  headers: response.headers,
  bytes: Buffer.from(response.text ?? ''),
  text: response.text ?? '',
});

/** A SIDEWALK request made through POST requests.json; its id. */
async function newRequest(address: string): Promise<string> {
  const answer = await request(ctx().app)
    .post(`${BASE}/requests.json`)
    .type('form')
    .send(`api_key=${encodeURIComponent(ctx().apiKey)}&service_code=SIDEWALK&address_string=${encodeURIComponent(address)}`);
  expect(answer.status, answer.text).to.equal(200);
  return (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
}

async function storedAttributes(id: string): Promise<Record<string, string[]>> {
  const answer = await request(ctx().app)
    .get(`${API}/requests/${id}`)
    .set('Authorization', `Bearer ${await keyOf('staff')}`);
  expect(answer.status, answer.text).to.equal(200);
  return JSON.parse(answer.text).attributes as Record<string, string[]>;
}

describe('hardening: the wire (issue #10)', function () {
  this.timeout(120_000);

  describe('1. object-member names as keys are ordinary keys', () => {
    const NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

    for (const name of NAMES) {
      for (const suffix of ['', '[]']) {
        it(`attribute[${name}]${suffix} in a form body is stored and returned`, async () => {
          const answer = await request(ctx().app)
            .post(`${BASE}/requests.json`)
            .type('form')
            .send(
              new URLSearchParams([
                ['api_key', ctx().apiKey],
                ['service_code', 'SIDEWALK'],
                ['address_string', '1 Main St'],
                [`attribute[${name}]${suffix}`, 'x'],
                [name, 'top-level'],
              ]).toString(),
            );
          expect(answer.status, answer.text).to.equal(200);
          const id = (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
          const attributes = await storedAttributes(id);
          expect(Object.getOwnPropertyNames(attributes)).to.include(name);
          expect(Object.getOwnPropertyDescriptor(attributes, name)?.value).to.deep.equal(['x']);
        });
      }

      it(`attribute[${name}] in a multipart body and as a JSON member is stored`, async () => {
        const boundary = unique('b');
        const multipart = await rawRequest(await listenApp(), {
          method: 'POST',
          path: `${BASE}/requests.xml`,
          headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
          body: multipartBody(boundary, [
            ['api_key', ctx().apiKey],
            ['service_code', 'SIDEWALK'],
            ['address_string', '1 Main St'],
            [`attribute[${name}][]`, 'm'],
          ]),
        });
        expect(multipart.status, multipart.text).to.equal(200);
        const json = await request(ctx().app)
          .post(`${BASE}/requests.json`)
          .set('Content-Type', 'application/json')
          .send(
            `{"api_key":${JSON.stringify(ctx().apiKey)},"service_code":"SIDEWALK","address_string":"1 Main St",` +
              `"${name}":"top","attribute":{"${name}":["j"]}}`,
          );
        expect(json.status, json.text).to.equal(200);
        const id = (json.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
        expect(Object.getOwnPropertyDescriptor(await storedAttributes(id), name)?.value).to.deep.equal(['j']);
      });
    }

    it('a catalog attribute with code constructor works end to end: definition, required check, store, staff read', async () => {
      const code = unique('PROTO').toUpperCase();
      const admin = await keyOf('admin');
      const created = await request(ctx().app)
        .post(`${API}/services`)
        .set('Authorization', `Bearer ${admin}`)
        .set('Content-Type', 'application/json')
        .send(
          JSON.stringify({
            service_code: code,
            service_name: 'Members as codes',
            attributes: [
              { code: 'constructor', datatype: 'string', required: true, order: 1, description: 'Who built it?' },
              {
                code: '__proto__',
                datatype: 'singlevaluelist',
                required: false,
                order: 2,
                description: 'Kind',
                values: [{ key: 'toString', name: 'A name' }],
              },
            ],
          }),
        );
      expect(created.status, created.text).to.equal(201);
      const definition = await request(ctx().app).get(`${BASE}/services/${code}.json`);
      expect(definition.status).to.equal(200);
      expect((definition.body as { attributes: Array<{ code: string }> }).attributes.map((item) => item.code)).to.deep.equal([
        'constructor',
        '__proto__',
      ]);
      const post = (fields: Array<[string, string]>) =>
        request(ctx().app)
          .post(`${BASE}/requests.json`)
          .type('form')
          .send(
            new URLSearchParams([
              ['api_key', ctx().apiKey],
              ['service_code', code],
              ['lat', String(LANCASTER.lat)],
              ['long', String(LANCASTER.long)],
              ...fields,
            ]).toString(),
          );
      const missing = await post([]);
      expect(missing.status, missing.text).to.equal(400);
      expect(missing.body).to.deep.equal([{ code: 400, description: 'attribute[constructor] is required: Who built it?' }]);
      const wrong = await post([
        ['attribute[constructor]', 'Crew 4'],
        ['attribute[__proto__]', 'valueOf'],
      ]);
      expect(wrong.status, wrong.text).to.equal(400);
      const ok = await post([
        ['attribute[constructor]', 'Crew 4'],
        ['attribute[__proto__]', 'toString'],
      ]);
      expect(ok.status, ok.text).to.equal(200);
      const id = (ok.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
      const attributes = await storedAttributes(id);
      expect(Object.getOwnPropertyDescriptor(attributes, 'constructor')?.value).to.deep.equal(['Crew 4']);
      expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).to.deep.equal(['toString']);
      // The export and re-import of the catalog carry the codes as they are.
      const exported = await request(ctx().app).get(`${API}/catalog`).set('Authorization', `Bearer ${admin}`);
      expect(exported.status).to.equal(200);
      const service = (
        exported.body as { services: Array<{ service_code: string; attributes: Array<{ code: string }> }> }
      ).services.find((item) => item.service_code === code);
      expect(service?.attributes.map((item) => item.code)).to.deep.equal(['constructor', '__proto__']);
      const imported = await request(ctx().app)
        .put(`${API}/catalog`)
        .set('Authorization', `Bearer ${admin}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ services: [service] }));
      expect(imported.status, imported.text).to.equal(200);
      // Trends grouped by this service count the request.
      const stats = await request(ctx().app)
        .get(`${API}/stats?group_by=service_code&interval=none&service_code=${code}`)
        .set('Authorization', `Bearer ${await keyOf('staff')}`);
      expect(stats.status, stats.text).to.equal(200);
      expect((stats.body as { total: number }).total).to.equal(1);
    });

    it('staff JSON bodies with member names as keys are a 400 or applied, never a 500', async () => {
      const staff = await keyOf('staff');
      const admin = await keyOf('admin');
      const id = await newRequest('1 Main St');
      const bodies = NAMES.flatMap((name) => [
        `{"${name}":{"status":"closed"},"version":1}`,
        `{"status":"in_progress","version":1,"${name}":1}`,
      ]);
      for (const body of bodies) {
        const patched = await request(ctx().app)
          .patch(`${API}/requests/${id}`)
          .set('Authorization', `Bearer ${staff}`)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(patched.status, `${body} → ${patched.text}`).to.equal(400);
        await checkErrorsBody(raw(patched), 'json', body);
      }
      for (const name of NAMES) {
        const body = `{"services":[],"${name}":{"services":[1]}}`;
        const imported = await request(ctx().app)
          .put(`${API}/catalog`)
          .set('Authorization', `Bearer ${admin}`)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(imported.status, `${body} → ${imported.text}`).to.be.oneOf([200, 400]);
      }
    });
  });

  describe('2. deep JSON is a 400 with an errors body', () => {
    const deepArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deepObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

    it('on every staff JSON endpoint: 5,000 nested arrays or objects', async () => {
      const admin = await keyOf('admin');
      const id = await newRequest('1 Main St');
      const endpoints: Array<['patch' | 'post' | 'put', string, string]> = [
        ['patch', `${API}/requests/${id}`, 'status'],
        ['post', `${API}/requests/${id}/duplicate-of`, 'original'],
        ['post', `${API}/services`, 'attributes'],
        ['put', `${API}/services/SIDEWALK`, 'attributes'],
        ['put', `${API}/services/SIDEWALK/routing`, 'rules'],
        ['put', `${API}/services/SIDEWALK/availability`, 'areas'],
        ['put', `${API}/catalog`, 'services'],
        ['post', `${API}/agencies`, 'name'],
        ['post', `${API}/areas`, 'geometry'],
        ['post', `${API}/keys`, 'name'],
        ['post', `${API}/webhooks`, 'events'],
      ];
      for (const [method, path, field] of endpoints) {
        for (const nested of [deepArrays(5000), deepObjects(5000)]) {
          const body = `{"${field}":${nested},"version":1}`;
          const answer = await request(ctx().app)
            [method](path)
            .set('Authorization', `Bearer ${admin}`)
            .set('Content-Type', 'application/json')
            .send(body);
          expect(answer.status, `${method} ${path} → ${answer.text.slice(0, 200)}`).to.equal(400);
          const [error] = await checkErrorsBody(raw(answer), 'json', `${method} ${path}`);
          expect(error!.description).to.match(/nests arrays and objects more than \d+ levels deep/);
        }
      }
      // A body of ordinary depth still works on the same endpoint.
      const patched = await request(ctx().app)
        .patch(`${API}/requests/${id}`)
        .set('Authorization', `Bearer ${admin}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ status: 'in_progress', version: 1, status_notes: '[[{"not": "nesting"}]]' }));
      expect(patched.status, patched.text).to.equal(200);
    });

    it('on public JSON POSTs, in the format asked for', async () => {
      for (const format of FORMATS) {
        const answer = await request(ctx().app)
          .post(`${BASE}/requests.${format}`)
          .set('Content-Type', 'application/json')
          .send(`{"api_key":${JSON.stringify(ctx().apiKey)},"service_code":"SIDEWALK","attribute":${deepObjects(5000)}}`);
        expect(answer.status, answer.text.slice(0, 200)).to.equal(400);
        await checkErrorsBody(raw(answer), format, `requests.${format}`);
      }
    });
  });

  describe('3. a revoked key gets 403 from its very next request, on every path', () => {
    const form = (key: string, fields: Array<[string, string]>): string =>
      new URLSearchParams([['api_key', key], ...fields]).toString();
    const valid: Array<[string, string]> = [
      ['service_code', 'SIDEWALK'],
      ['address_string', '5 Main St'],
    ];

    /** A new client key that creates have remembered (and an Idempotency-Key it already used). */
    async function rememberedKey(app = ctx().app): Promise<{ key: string; id: string; idempotencyKey: string; body: string }> {
      const { key, record } = await createKey(ctx().db, unique('revoked client'));
      const idempotencyKey = unique('idem');
      const body = form(key, [...valid, ['description', unique('first')]]);
      const first = await request(app)
        .post(`${BASE}/requests.json`)
        .set('Idempotency-Key', idempotencyKey)
        .type('form')
        .send(body);
      expect(first.status, first.text).to.equal(200);
      const replay = await request(app)
        .post(`${BASE}/requests.json`)
        .set('Idempotency-Key', idempotencyKey)
        .type('form')
        .send(body);
      expect(replay.status, 'a replay before the revocation').to.equal(200);
      return { key, id: record.id, idempotencyKey, body };
    }

    const revocations: Array<[string, (id: string) => Promise<void>]> = [
      [
        'DELETE /api/v1/keys/{id}',
        async (id) => {
          const answer = await request(ctx().app)
            .delete(`${API}/keys/${id}`)
            .set('Authorization', `Bearer ${await keyOf('admin')}`);
          expect(answer.status).to.equal(204);
        },
      ],
      [
        'another process (the store, as the CLI or another node revokes)',
        async (id) => {
          expect(await revokeKey(ctx().db, id)).to.equal(1);
        },
      ],
    ];

    for (const [how, revoke] of revocations) {
      describe(`revoked by ${how}`, () => {
        const probes: Array<[string, (key: string, known: { idempotencyKey: string; body: string }) => request.Test]> = [
          [
            'an Idempotency-Key replay',
            (_key, known) =>
              request(ctx().app)
                .post(`${BASE}/requests.json`)
                .set('Idempotency-Key', known.idempotencyKey)
                .type('form')
                .send(known.body),
          ],
          [
            'the same Idempotency-Key with another body (422 before)',
            (key, known) =>
              request(ctx().app)
                .post(`${BASE}/requests.json`)
                .set('Idempotency-Key', known.idempotencyKey)
                .type('form')
                .send(form(key, [...valid, ['description', 'another body']])),
          ],
          [
            'a validation failure (400 before)',
            (key) =>
              request(ctx().app)
                .post(`${BASE}/requests.xml`)
                .type('form')
                .send(form(key, [['service_code', 'SIDEWALK']])),
          ],
          [
            'an unknown service (404 before)',
            (key) =>
              request(ctx().app)
                .post(`${BASE}/requests.json`)
                .type('form')
                .send(
                  form(key, [
                    ['service_code', 'NO_SUCH_SERVICE'],
                    ['address_string', '1 Main St'],
                  ]),
                ),
          ],
          [
            'an unknown jurisdiction (404 before)',
            (key) =>
              request(ctx().app)
                .post(`${BASE}/requests.json`)
                .type('form')
                .send(form(key, [...valid, ['jurisdiction_id', 'nowhere.example']])),
          ],
          ['a valid create', (key) => request(ctx().app).post(`${BASE}/requests.json`).type('form').send(form(key, valid))],
          [
            'a comment (servicerequestupdates)',
            (key) =>
              request(ctx().app)
                .post(`${BASE}/servicerequestupdates.json`)
                .type('form')
                .send(form(key, [['service_request_id', '1']])),
          ],
        ];
        for (const [what, probe] of probes) {
          it(`${what} → 403`, async () => {
            const known = await rememberedKey();
            await revoke(known.id);
            const answer = await probe(known.key, known);
            expect(answer.status, answer.text).to.equal(403);
            const format = what.startsWith('a validation failure') ? 'xml' : 'json';
            const [error] = await checkErrorsBody(raw(answer), format, what);
            expect(error!.description).to.equal('The api_key is not valid.');
          });
        }
      });
    }

    it('over the rate limit, a key revoked since it was remembered gets 403, not 429', async () => {
      const { app } = createApp({
        config: testConfig({ RATE_LIMIT_PER_KEY: '2' }),
        db: ctx().db,
        logger: createLogger('silent'),
      });
      const known = await rememberedKey(app);
      const limited = await request(app).post(`${BASE}/requests.json`).type('form').send(form(known.key, valid));
      expect(limited.status, 'the limit is reached').to.equal(429);
      expect(await revokeKey(ctx().db, known.id)).to.equal(1);
      const answer = await request(app).post(`${BASE}/requests.json`).type('form').send(form(known.key, valid));
      expect(answer.status, answer.text).to.equal(403);
    });
  });

  describe('4. no key, token or Authorization credential reaches a log line', () => {
    /** An app whose logger writes every line (debug up) into `lines`. */
    function loggedApp(): { app: ReturnType<typeof createApp>; lines: string[] } {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(
            ...chunk
              .toString('utf8')
              .split('\n')
              .filter((line) => line !== ''),
          );
          done();
        },
      });
      const app = createApp({ config: testConfig(), db: ctx().db, logger: createLogger('debug', destination) });
      return { app, lines };
    }

    it('a failing POST with ?api_key=, &token=, &access_token= and Authorization logs none of them', async () => {
      const { app, lines } = loggedApp();
      // A writer that fails unexpectedly: the error handler logs the request with its URL.
      app.context.requestWriter = {
        insert: async () => {
          throw new Error('the disk caught fire');
        },
      } as unknown as RequestWriter;
      const token = unique('tok-secret');
      const accessToken = unique('access-secret');
      const apikey = unique('apikey-secret');
      const bearer = unique('bearer-secret');
      const answer = await request(app.app)
        .post(
          `${BASE}/requests.json?api_key=${encodeURIComponent(ctx().apiKey)}&token=${token}&access_token=${accessToken}&apikey=${apikey}&service_code=SIDEWALK`,
        )
        .set('Authorization', `Bearer ${bearer}`)
        .type('form')
        .send('address_string=1+Main+St');
      expect(answer.status).to.equal(500);
      await new Promise((resolve) => setImmediate(resolve));
      const logged = lines.join('\n');
      const unexpected = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'unexpected error');
      expect(unexpected, logged).to.not.equal(undefined);
      expect(String(unexpected!.url)).to.include('service_code=SIDEWALK').and.include('api_key=[REDACTED]');
      for (const secret of [ctx().apiKey, encodeURIComponent(ctx().apiKey), token, accessToken, apikey, bearer]) {
        expect(logged.includes(secret), `${secret} is in the log:\n${logged}`).to.equal(false);
      }
    });

    it('every field and message is scrubbed, whoever logs it: headers, URLs, error messages and stacks', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      });
      const logger = createLogger('debug', destination);
      const secret = unique('s3cret');
      const error = new Error(`GET https://crm.example.gov/hook?key=${secret}&x=1 failed`);
      logger.error(`calling /open311/v2/requests.json?api_key=${secret}`, {
        headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret, host: 'example.gov' },
        url: `/open311/v2/requests.xml?service_code=A&apikey=${secret}`,
        error,
        nested: [{ password: secret, detail: `Authorization: Basic ${secret}` }],
      });
      logger.warn('plain', { token: secret, webhook: `https://x.example/cb?sig=${secret}` });
      const logged = lines.join('');
      expect(logged.includes(secret), logged).to.equal(false);
      expect(logged).to.include('example.gov').and.include('service_code=A').and.include('[REDACTED]');
    });
  });

  describe('6. paging links are built for each caller, with the response cache on', () => {
    it("a cached page never carries another caller's query string in X-Next-Page-URL, X-Previous-Page-URL or Link", async () => {
      const { app } = createApp({
        config: testConfig({ RESPONSE_CACHE_TTL_MS: '60000' }),
        db: ctx().db,
        logger: createLogger('silent'),
      });
      // Enough requests for a page 2 with a next and a previous page.
      for (let index = 0; index < 3; index++) {
        const created = await request(app)
          .post(`${BASE}/requests.json`)
          .type('form')
          .send(`api_key=${encodeURIComponent(ctx().apiKey)}&service_code=SIDEWALK&address_string=6+Main+St`);
        expect(created.status).to.equal(200);
      }
      const linkHeaders = (answer: request.Response): string =>
        ['x-next-page-url', 'x-previous-page-url', 'link'].map((name) => String(answer.headers[name] ?? '')).join(' ');
      const first = await request(app).get(`${BASE}/requests.json?page=2&page_size=1&foo=1&api_key=${ctx().apiKey}`);
      expect(first.status).to.equal(200);
      expect(linkHeaders(first)).to.include('foo=1');
      expect(linkHeaders(first)).to.not.include(ctx().apiKey);
      const second = await request(app).get(`${BASE}/requests.json?page=2&page_size=1`);
      const third = await request(app).get(`${BASE}/requests.json?page_size=1&page=2&bar=2`);
      for (const [answer, own, foreign] of [
        [second, '', 'foo=1'],
        [third, 'bar=2', 'foo=1'],
      ] as const) {
        expect(answer.status).to.equal(200);
        // The same cached body and totals…
        expect(answer.text).to.equal(first.text);
        expect(answer.headers['etag']).to.equal(first.headers['etag']);
        expect(answer.headers['x-result-count']).to.equal(first.headers['x-result-count']);
        // …with this caller's own links.
        expect(answer.headers['x-next-page-url']).to.match(/page=3/);
        expect(answer.headers['x-previous-page-url']).to.match(/page=1/);
        expect(linkHeaders(answer)).to.not.include(foreign);
        if (own) expect(linkHeaders(answer)).to.include(own);
      }
      expect(second.headers['x-next-page-url']).to.equal(`${BASE}/requests.json?page=3&page_size=1`);
    });
  });

  describe('9. an over-long URL or header gets an Open311 errors document, from the real server', () => {
    let server: http.Server;
    let port: number;
    before(async () => {
      server = createHttpServer(ctx().app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const longQuery = `x=${'a'.repeat(64 * 1024)}`;
    const bigHeader = { 'X-Padding': 'b'.repeat(32 * 1024) };
    const cases: Array<{
      what: string;
      method?: string;
      path: string;
      headers?: Record<string, string>;
      status: number;
      format: 'json' | 'xml';
    }> = [
      { what: '64 KiB query, .json', path: `${BASE}/requests.json?${longQuery}`, status: 414, format: 'json' },
      { what: '64 KiB query, .xml', path: `${BASE}/requests.xml?${longQuery}`, status: 414, format: 'xml' },
      { what: '64 KiB query, no suffix', path: `${BASE}/discovery?${longQuery}`, status: 414, format: 'xml' },
      { what: '64 KiB query, .geojson', path: `${BASE}/requests.geojson?${longQuery}`, status: 414, format: 'json' },
      { what: '32 KiB header, .json', path: `${BASE}/discovery.json`, headers: bigHeader, status: 431, format: 'json' },
      {
        what: '32 KiB header, .xml POST',
        method: 'POST',
        path: `${BASE}/requests.xml`,
        headers: bigHeader,
        status: 431,
        format: 'xml',
      },
      { what: '32 KiB header, staff API', path: `${API}/requests`, headers: bigHeader, status: 431, format: 'json' },
    ];
    for (const { what, method, path, headers, status, format } of cases) {
      it(`${what} → ${status} in ${format}`, async () => {
        const answer = await rawRequest(port, { method: method ?? 'GET', path, headers: headers ?? {} });
        expect(answer.status, answer.text).to.equal(status);
        expect(answer.headers['connection']).to.equal('close');
        expect(answer.headers['cache-control']).to.equal('no-store');
        const [error] = await checkErrorsBody(answer, format, what);
        expect(error!.code).to.equal(status);
        expect(error!.description).to.include('at most 16 KiB');
      });
    }

    it('a request within the limits on the same server is answered as usual', async () => {
      const answer = await rawRequest(port, {
        path: `${BASE}/discovery.json?x=${'a'.repeat(8 * 1024)}`,
        headers: { 'X-Padding': 'c'.repeat(4 * 1024) },
      });
      expect(answer.status).to.equal(200);
    });

    it('malformed HTTP is a 400 errors document, not an empty answer', async () => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write('GET /open311/v2/discovery.json HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(reply).to.match(/^HTTP\/1\.1 400 /);
      expect(reply).to.include('Content-Type: application/json');
      const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Array<{ code: number }>;
      expect(body[0]!.code).to.equal(400);
    });
  });

  describe('15. an unquoted multipart boundary holding "=" (an Android Open311 library sends it)', () => {
    it('is parsed: the request is stored with its fields', async () => {
      const boundary = '===1796154008459===';
      const description = unique('unquoted boundary');
      for (const format of FORMATS) {
        const answer = await rawRequest(await listenApp(), {
          method: 'POST',
          path: `${BASE}/requests.${format}`,
          headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
          body: multipartBody(boundary, [
            ['api_key', ctx().apiKey],
            ['service_code', 'SIDEWALK'],
            ['lat', String(LANCASTER.lat)],
            ['long', String(LANCASTER.long)],
            ['description', `${description} ${format}`],
          ]),
        });
        expect(answer.status, answer.text).to.equal(200);
        const stored = await ctx()
          .db('service_requests')
          .where({ description: `${description} ${format}` })
          .first();
        expect(stored, 'stored').to.not.equal(undefined);
      }
      // Quoted, and with a charset after it, as before.
      const quoted = await rawRequest(await listenApp(), {
        method: 'POST',
        path: `${BASE}/requests.json`,
        headers: { 'Content-Type': `multipart/form-data; boundary="${boundary}"; charset=utf-8` },
        body: multipartBody(boundary, [
          ['api_key', ctx().apiKey],
          ['service_code', 'SIDEWALK'],
          ['address_string', '1 Main St'],
        ]),
      });
      expect(quoted.status, quoted.text).to.equal(200);
    });
  });

  describe('16. parameters in the query string of a POST (a .NET client library sends them there)', () => {
    it('POST requests with every parameter in the query string and an empty body creates the request', async () => {
      const description = unique('query only');
      const query = new URLSearchParams([
        ['api_key', ctx().apiKey],
        ['service_code', 'SIDEWALK'],
        ['lat', String(LANCASTER.lat)],
        ['long', String(LANCASTER.long)],
        ['description', description],
        ['attribute[SIZE]', 'LARGE'],
      ]).toString();
      const variants: Array<Record<string, string>> = [{}, { 'Content-Type': 'application/x-www-form-urlencoded' }];
      for (const headers of variants) {
        const answer = await rawRequest(await listenApp(), {
          method: 'POST',
          path: `${BASE}/requests.json?${query}`,
          headers,
          body: '',
        });
        expect(answer.status, answer.text).to.equal(200);
      }
      const stored = await ctx().db('service_requests').where({ description });
      expect(stored).to.have.length(2);
      expect(stored[0].attributes).to.deep.equal({ SIZE: ['LARGE'] });
    });

    it('the body wins where both give a parameter; the query fills in what the body lacks', async () => {
      const fromBody = unique('body description');
      const answer = await rawRequest(await listenApp(), {
        method: 'POST',
        path: `${BASE}/requests.json?service_code=POTHOLE&description=from+query&address_string=2+Query+St&attribute[SIZE][]=SMALL`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([
          ['api_key', ctx().apiKey],
          ['service_code', 'SIDEWALK'],
          ['description', fromBody],
          ['attribute[SIZE]', 'LARGE'],
        ]).toString(),
      });
      expect(answer.status, answer.text).to.equal(200);
      const stored = await ctx().db('service_requests').where({ description: fromBody }).first();
      expect(stored.address).to.equal('2 Query St');
      expect(stored.attributes).to.deep.equal({ SIZE: ['LARGE'] });
      const service = await ctx().db('services').where({ id: stored.service_id }).first();
      expect(service.service_code).to.equal('SIDEWALK');
    });

    it('POST servicerequestupdates with every parameter in the query string and an empty body stores the comment', async () => {
      const created = await rawRequest(await listenApp(), {
        method: 'POST',
        path: `${BASE}/requests.json?api_key=${encodeURIComponent(ctx().apiKey)}&service_code=SIDEWALK&address_string=3+Main+St`,
        body: '',
      });
      expect(created.status, created.text).to.equal(200);
      const id = (JSON.parse(created.text) as Array<{ service_request_id: string }>)[0]!.service_request_id;
      const description = unique('query comment');
      const query = new URLSearchParams([
        ['api_key', ctx().apiKey],
        ['service_request_id', id],
        ['update_id', unique('fms')],
        ['status', 'OPEN'],
        ['updated_datetime', new Date().toISOString()],
        ['description', description],
      ]).toString();
      const answer = await rawRequest(await listenApp(), {
        method: 'POST',
        path: `${BASE}/servicerequestupdates.xml?${query}`,
        body: '',
      });
      expect(answer.status, answer.text).to.equal(200);
      expect(await ctx().db('service_request_updates').where({ description }).first()).to.not.equal(undefined);
    });
  });

  describe('17. a form body without a charset that is not UTF-8 (an older Java client sends ISO-8859-1)', () => {
    it('is read as windows-1252, percent-encoded or raw; valid UTF-8 stays UTF-8; a declared UTF-8 is kept', async () => {
      const tag = unique('latin');
      const cases: Array<{ headers: Record<string, string>; body: Buffer; expected: string }> = [
        {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(`description=${tag}+Caf%E9+cr%E8me+%80+Stra%DFe`, 'latin1'),
          expected: `${tag} Café crème € Straße`,
        },
        {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=ISO-8859-1' },
          body: Buffer.concat([Buffer.from(`description=${tag}+raw+`, 'latin1'), Buffer.from([0xe9, 0x74, 0xe9])]),
          expected: `${tag} raw été`,
        },
        {
          headers: {},
          body: Buffer.from(`description=${tag}+utf8+Caf%C3%A9`, 'latin1'),
          expected: `${tag} utf8 Café`,
        },
        {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: Buffer.from(`description=${tag}+declared+Caf%E9`, 'latin1'),
          expected: `${tag} declared Caf\uFFFD`,
        },
      ];
      for (const { headers, body, expected } of cases) {
        const answer = await rawRequest(await listenApp(), {
          method: 'POST',
          path: `${BASE}/requests.json`,
          headers,
          body: Buffer.concat([
            body,
            Buffer.from(`&api_key=${encodeURIComponent(ctx().apiKey)}&service_code=SIDEWALK&address_string=1+Main+St`),
          ]),
        });
        expect(answer.status, answer.text).to.equal(200);
        const id = (JSON.parse(answer.text) as Array<{ service_request_id: string }>)[0]!.service_request_id;
        const read = await request(ctx().app).get(`${BASE}/requests/${id}.json`);
        expect((read.body as Array<{ description: string }>)[0]!.description).to.equal(expected);
      }
    });
  });

  describe("18. POST servicerequestupdates keeps the client's updated_datetime", () => {
    const comment = (id: string, updatedDatetime: string, description: string) =>
      request(ctx().app)
        .post(`${BASE}/servicerequestupdates.json`)
        .type('form')
        .send(
          new URLSearchParams([
            ['api_key', ctx().apiKey],
            ['service_request_id', id],
            ['update_id', unique('fms')],
            ['status', 'OPEN'],
            ['updated_datetime', updatedDatetime],
            ['description', description],
          ]).toString(),
        );

    it('as the time of the update, in the feed and in the stored row', async () => {
      const id = await newRequest('4 Main St');
      const description = unique('comment time');
      // Two hours ago, written with another offset than the jurisdiction's and with fractions.
      const at = new Date(Math.floor((Date.now() - 2 * 3600 * 1000) / 1000) * 1000);
      const sent = `${new Date(at.getTime() + 5.5 * 3600 * 1000).toISOString().slice(0, 19)}.250+05:30`;
      const answer = await comment(id, sent, description);
      expect(answer.status, answer.text).to.equal(200);
      const row = await ctx().db('service_request_updates').where({ description }).first();
      expect(new Date(row.updated_datetime).getTime()).to.equal(at.getTime() + 250);
      const window = `start_date=${encodeURIComponent(new Date(at.getTime() - 60_000).toISOString())}&end_date=${encodeURIComponent(new Date(at.getTime() + 60_000).toISOString())}`;
      const feed = await request(ctx().app).get(`${BASE}/servicerequestupdates.json?${window}`);
      const found = (feed.body as Array<{ description: string; updated_datetime: string }>).find(
        (item) => item.description === description,
      );
      expect(found, JSON.stringify(feed.body)).to.not.equal(undefined);
      expect(Date.parse(found!.updated_datetime)).to.equal(at.getTime());
    });

    it('refuses a time in the future beyond a small skew (400); a minute ahead is a clock, not a mistake', async () => {
      const id = await newRequest('4 Main St');
      const ahead = await comment(id, new Date(Date.now() + 3600 * 1000).toISOString(), unique('future'));
      expect(ahead.status, ahead.text).to.equal(400);
      expect(ahead.body).to.deep.equal([
        {
          code: 400,
          description: "updated_datetime must not be in the future (it may be at most 5 minutes ahead of the server's clock).",
        },
      ]);
      const skewed = await comment(id, new Date(Date.now() + 60 * 1000).toISOString(), unique('skewed'));
      expect(skewed.status, skewed.text).to.equal(200);
      const bad = await comment(id, 'yesterday', unique('bad'));
      expect(bad.status).to.equal(400);
    });
  });
});

// ---- a real listening server for the raw-wire cases -----------------------------------------------

let listening: { port: number; close(): Promise<void> } | undefined;
async function listenApp(): Promise<number> {
  if (!listening) {
    const { listen } = await import('./support.js');
    listening = await listen(ctx().app);
  }
  return listening.port;
}
after(async () => {
  await listening?.close();
});

void FORMATS;
void addServices;
void createApp;
void createLogger;
void testConfig;
