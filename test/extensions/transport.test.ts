// EXT transport conveniences (digest §3.9, checklist 65–67): CORS and preflights, JSONP, Bearer keys,
// ETag / Last-Modified revalidation and Cache-Control.
import { expect } from 'chai';
import request from 'supertest';
import { addServices, createRequest, insertRequest, submit } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, postForm, postJson, unique, expectErrors } from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const DAY = 24 * 3600 * 1000;

describe('EXT transport conveniences (checklist 65–67)', () => {
  const code = unique('TRANSPORT').toUpperCase();
  const defCode = unique('TRANSDEF').toUpperCase();
  let id: string;

  const definition = (description: string) => ({
    service_code: defCode,
    service_name: 'Transport definition test',
    description: 'A service whose definition the caching tests change.',
    type: 'realtime' as const,
    attributes: [
      {
        variable: true,
        code: 'WHERE',
        datatype: 'string' as const,
        required: false,
        datatype_description: null,
        order: 1,
        description,
      },
    ],
  });

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Transport test', description: 'Rows of the transport tests.', type: 'realtime' },
      definition('Where exactly?'),
    ]);
    id = await createRequest({ service_code: code });
  });

  describe('CORS', () => {
    it('Access-Control-Allow-Origin: * on every GET, both formats, and on errors', async () => {
      const paths = [
        `${BASE}/discovery.json`,
        `${BASE}/discovery.xml`,
        `${BASE}/services.json`,
        `${BASE}/services.xml`,
        `${BASE}/services/${code}.json`,
        `${BASE}/requests.json`,
        `${BASE}/requests.xml?service_code=${code}`,
        `${BASE}/requests/${id}.json`,
        `${BASE}/requests/${id}.xml`,
        `${BASE}/requests.geojson?service_code=${code}`,
        `${BASE}/servicerequestupdates.xml`,
        `/open311/bulk/requests.csv?service_code=${code}`,
        // errors
        `${BASE}/requests/999999999999.json`,
        `${BASE}/requests.xml?status=pending`,
        `${BASE}/requests.json?callback=1cb`,
        `${BASE}/services/${unique('NOPE')}.xml`,
        `${BASE}/requests.txt`,
        '/open311/bulk/requests.csv?bbox=1,2',
      ];
      for (const path of paths) {
        const answer = await get(path, { Origin: 'https://map.example.org' });
        expect(answer.headers['access-control-allow-origin'], path).to.equal('*');
      }
    });

    it('POST answers (success and errors) carry it too, so browser apps can read them', async () => {
      const ok = await submit({ service_code: code });
      expect(ok.status).to.equal(200);
      expect(ok.headers['access-control-allow-origin']).to.equal('*');
      const refused = await postForm(`${BASE}/requests.json`, [['service_code', code]]);
      expect(refused.status).to.equal(403);
      expect(refused.headers['access-control-allow-origin']).to.equal('*');
    });

    it('the paging and caching headers are exposed to scripts', async () => {
      const answer = await get(`${BASE}/requests.json?service_code=${code}&page_size=1`);
      const exposed = String(answer.headers['access-control-expose-headers'] ?? '').toLowerCase();
      for (const name of ['etag', 'link', 'x-result-count', 'x-page-count', 'x-next-page-url'])
        expect(exposed, name).to.include(name);
    });

    for (const path of [
      `${BASE}/requests.json`,
      `${BASE}/requests.xml`,
      `${BASE}/servicerequestupdates.json`,
      `${BASE}/services.json`,
    ]) {
      it(`OPTIONS preflight on ${path} → 204 allowing POST and the Authorization header`, async () => {
        const response = await request(ctx().app)
          .options(path)
          .set('Origin', 'https://app.example.org')
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'authorization, content-type');
        expect(response.status).to.equal(204);
        expect(response.text ?? '').to.equal('');
        expect(response.headers['access-control-allow-origin']).to.equal('*');
        const methods = String(response.headers['access-control-allow-methods'])
          .split(',')
          .map((method) => method.trim());
        expect(methods).to.include.members(['GET', 'POST']);
        const headers = String(response.headers['access-control-allow-headers'])
          .toLowerCase()
          .split(',')
          .map((header) => header.trim());
        expect(headers).to.include.members(['authorization', 'content-type']);
      });
    }

    it('a JSON POST with a Bearer key (what a browser sends after the preflight) works', async () => {
      const answer = await postJson(
        `${BASE}/requests.json`,
        { service_code: code, lat: 39.7137, long: -82.5993, description: unique('from a browser') },
        { Authorization: `Bearer ${ctx().apiKey}`, Origin: 'https://app.example.org' },
      );
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.headers['access-control-allow-origin']).to.equal('*');
    });
  });

  describe('JSONP (checklist 65)', () => {
    const paths = (): string[] => [
      `${BASE}/discovery.json`,
      `${BASE}/services.json`,
      `${BASE}/services/${defCode}.json`,
      `${BASE}/requests.json?service_code=${code}`,
      `${BASE}/requests/${id}.json`,
      `${BASE}/requests/${id}.json?extensions=true`,
      `${BASE}/servicerequestupdates.json`,
    ];

    for (const callback of ['cb', 'jQuery3210_17000', '$.callbacks.f_1', '_x$']) {
      it(`callback=${callback} wraps the same JSON as ${callback}(…); in application/javascript`, async () => {
        for (const path of paths()) {
          const plain = await get(path);
          expect(plain.status, path).to.equal(200);
          const separator = path.includes('?') ? '&' : '?';
          const wrapped = await get(`${path}${separator}callback=${encodeURIComponent(callback)}`);
          expect(wrapped.status, path).to.equal(200);
          expect(wrapped.headers['content-type'], path).to.equal('application/javascript; charset=utf-8');
          expect(wrapped.text, path).to.equal(`${callback}(${plain.text});`);
        }
      });
    }

    for (const callback of ['1cb', 'a-b', 'alert(1)', 'a b', 'x;alert(1)//', 'a'.repeat(65), '<script>']) {
      it(`an invalid callback ${JSON.stringify(callback.length > 20 ? `${callback.slice(0, 10)}…` : callback)} → 400 errors body`, async () => {
        for (const path of [`${BASE}/services.json`, `${BASE}/requests/${id}.json`, `${BASE}/requests.json`]) {
          const separator = path.includes('?') ? '&' : '?';
          const answer = await get(`${path}${separator}callback=${encodeURIComponent(callback)}`);
          expectErrors(answer, 400);
          expect((answer.body as Array<{ description: string }>)[0]!.description).to.include('callback');
          expect(answer.text.startsWith(callback)).to.equal(false);
        }
      });
    }
  });

  describe('Authorization: Bearer <key> (checklist 67)', () => {
    for (const format of FORMATS) {
      it(`POST requests.${format} with only a Bearer header is accepted`, async () => {
        const answer = await postForm(
          `${BASE}/requests.${format}`,
          [
            ['service_code', code],
            ['lat', '39.7137'],
            ['long', '-82.5993'],
            ['description', unique('bearer')],
          ],
          { Authorization: `Bearer ${ctx().apiKey}` },
        );
        expect(answer.status, answer.text).to.equal(200);
        const created = (answer.body as Row[])[0]!.service_request_id as string;
        expect((await get(`${BASE}/requests/${created}.json`)).status).to.equal(200);
      });

      it(`POST servicerequestupdates.${format} with only a Bearer header is accepted`, async () => {
        const answer = await postForm(
          `${BASE}/servicerequestupdates.${format}`,
          [
            ['service_request_id', id],
            ['update_id', unique('bearer-update')],
            ['status', 'OPEN'],
            ['updated_datetime', new Date().toISOString()],
            ['description', unique('bearer comment')],
          ],
          { Authorization: `Bearer ${ctx().apiKey}` },
        );
        expect(answer.status, answer.text).to.equal(200);
        assertSchema('created-updates.json', answer.body);
      });

      it(`a Bearer header with an unknown key → 403 (${format})`, async () => {
        const answer = await postForm(
          `${BASE}/requests.${format}`,
          [
            ['service_code', code],
            ['address_string', '1 Main St'],
          ],
          { Authorization: `Bearer ${unique('nope')}` },
        );
        expectErrors(answer, 403);
      });
    }
  });

  describe('ETag, Last-Modified, Cache-Control', () => {
    /** GET with If-None-Match → 304 with an empty body. */
    async function expectNotModified(path: string, headers: Record<string, string>): Promise<void> {
      const answer = await get(path, headers);
      expect(answer.status, `${path} ${JSON.stringify(headers)}`).to.equal(304);
      expect(answer.text).to.equal('');
    }

    for (const format of FORMATS) {
      describe(format, () => {
        const cached = (): Array<[string, string]> => [
          [`${BASE}/services.${format}`, 'public, max-age=300'],
          [`${BASE}/services/${defCode}.${format}`, 'public, max-age=300'],
          [`${BASE}/discovery.${format}`, 'public, max-age=300'],
          [`${BASE}/requests.${format}?service_code=${code}`, 'public, no-cache'],
          [`${BASE}/requests/${id}.${format}`, 'public, no-cache'],
          [`${BASE}/requests/${id}.${format}?extensions=true`, 'public, no-cache'],
          [`${BASE}/servicerequestupdates.${format}`, 'public, no-cache'],
        ];

        it('GETs carry an ETag and Cache-Control; If-None-Match with the ETag → 304 with an empty body', async () => {
          for (const [path, cacheControl] of cached()) {
            const first = await get(path);
            expect(first.status, path).to.equal(200);
            expect(first.headers['cache-control'], path).to.equal(cacheControl);
            const etag = first.headers.etag;
            expect(etag, `${path} ETag`)
              .to.be.a('string')
              .and.match(/^(W\/)?"[^"]+"$/);
            // Unchanged data, same ETag.
            expect((await get(path)).headers.etag, path).to.equal(etag);
            await expectNotModified(path, { 'If-None-Match': etag! });
            await expectNotModified(path, { 'If-None-Match': `W/"something-else", ${etag!}` });
            await expectNotModified(path, { 'If-None-Match': '*' });
            const stale = await get(path, { 'If-None-Match': 'W/"stale"' });
            expect(stale.status, path).to.equal(200);
            expect(stale.text).to.equal(first.text);
          }
        });

        it('the JSON and XML forms have different ETags', async () => {
          const other = format === 'json' ? 'xml' : 'json';
          const mine = (await get(`${BASE}/services.${format}`)).headers.etag;
          const theirs = (await get(`${BASE}/services.${other}`)).headers.etag;
          expect(mine).not.to.equal(theirs);
        });

        it('Last-Modified + If-Modified-Since → 304 on services, definitions, discovery and single requests', async () => {
          for (const path of [
            `${BASE}/services.${format}`,
            `${BASE}/services/${defCode}.${format}`,
            `${BASE}/discovery.${format}`,
            `${BASE}/requests/${id}.${format}`,
          ]) {
            const first = await get(path);
            const lastModified = first.headers['last-modified'];
            expect(lastModified, `${path} Last-Modified`).to.be.a('string');
            expect(Date.parse(lastModified!), path).to.be.at.most(Date.now());
            await expectNotModified(path, { 'If-Modified-Since': lastModified! });
            await expectNotModified(path, { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() });
            const older = await get(path, { 'If-Modified-Since': new Date(Date.parse(lastModified!) - DAY).toUTCString() });
            expect(older.status, path).to.equal(200);
            // A bad date is ignored.
            expect((await get(path, { 'If-Modified-Since': 'not a date' })).status, path).to.equal(200);
          }
        });

        it('lists send Last-Modified but revalidate by ETag only: a request leaving a filtered list is not a 304', async () => {
          // Two open requests of a service of their own; the newer one is then closed, so it leaves the
          // status=open list while the remaining row (and so the list's Last-Modified) stays as it was.
          const listCode = unique('TRANSLIST').toUpperCase();
          await addServices([
            {
              service_code: listCode,
              service_name: 'Transport list test',
              description: 'Rows of the Last-Modified test.',
              type: 'realtime',
            },
          ]);
          await insertRequest({
            service_code: listCode,
            requested_datetime: new Date(Date.now() - 3 * DAY),
            updated_datetime: new Date(Date.now() - 2 * DAY),
          });
          const leaving = await insertRequest({
            service_code: listCode,
            requested_datetime: new Date(Date.now() - 2 * DAY),
            updated_datetime: new Date(Date.now() - DAY),
          });
          const path = `${BASE}/requests.${format}?service_code=${listCode}&status=open`;
          const before = await get(path);
          expect((before.body as Row[]).length).to.equal(2);
          const lastModified = before.headers['last-modified'];
          expect(lastModified, 'Last-Modified').to.be.a('string');
          await ctx()
            .db('service_requests')
            .where({ id: leaving })
            .update({ status: 'closed', detailed_status: 'closed', closed_datetime: new Date(), updated_datetime: new Date() });
          const after = await get(path, { 'If-Modified-Since': lastModified! });
          expect(after.status, 'the list changed: a 304 would keep the closed request in the client’s copy').to.equal(200);
          expect((after.body as Row[]).map((row) => row.service_request_id)).not.to.include(leaving);
        });

        it('a new request changes the list’s ETag; the old one then gets 200', async () => {
          const path = `${BASE}/requests.${format}?service_code=${code}`;
          const before = await get(path);
          const etag = before.headers.etag!;
          await createRequest({ service_code: code });
          const after = await get(path, { 'If-None-Match': etag });
          expect(after.status).to.equal(200);
          expect(after.headers.etag).not.to.equal(etag);
          await expectNotModified(path, { 'If-None-Match': after.headers.etag! });
        });

        it('a change to a request (a comment) changes its ETag; the old one then gets 200', async () => {
          const changed = await insertRequest({ service_code: code, requested_datetime: new Date(Date.now() - 3 * DAY) });
          for (const path of [`${BASE}/requests/${changed}.${format}`, `${BASE}/requests/${changed}.${format}?extensions=true`]) {
            const before = await get(path);
            expect(before.status).to.equal(200);
            const etag = before.headers.etag!;
            const comment = await postForm(`${BASE}/servicerequestupdates.json`, [
              ['api_key', ctx().apiKey],
              ['service_request_id', changed],
              ['update_id', unique('etag')],
              ['status', 'OPEN'],
              ['updated_datetime', new Date().toISOString()],
              ['description', unique('etag comment')],
            ]);
            expect(comment.status, comment.text).to.equal(200);
            const after = await get(path, { 'If-None-Match': etag });
            expect(after.status, path).to.equal(200);
            expect(after.headers.etag).not.to.equal(etag);
          }
        });

        it('a catalog change (addServices) changes the services ETag; the old one then gets 200', async () => {
          const path = `${BASE}/services.${format}`;
          const etag = (await get(path)).headers.etag!;
          await addServices([
            {
              service_code: unique('TRANSNEW').toUpperCase(),
              service_name: 'Transport new service',
              description: 'Added by the caching test.',
              type: 'realtime',
            },
          ]);
          const after = await get(path, { 'If-None-Match': etag });
          expect(after.status).to.equal(200);
          expect(after.headers.etag).not.to.equal(etag);
        });

        it('a changed service definition changes its ETag; the old one then gets 200', async () => {
          const path = `${BASE}/services/${defCode}.${format}`;
          const etag = (await get(path)).headers.etag!;
          await addServices([definition(unique('Where exactly, now?'))]);
          const after = await get(path, { 'If-None-Match': etag });
          expect(after.status).to.equal(200);
          expect(after.headers.etag).not.to.equal(etag);
        });

        it('errors are Cache-Control: no-store, without ETag', async () => {
          for (const path of [
            `${BASE}/requests/999999999999.${format}`,
            `${BASE}/requests.${format}?page_size=0`,
            `${BASE}/services/${unique('NOPE')}.${format}`,
          ]) {
            const answer = await get(path);
            expect(answer.status, path).to.be.oneOf([400, 404]);
            expect(answer.headers['cache-control'], path).to.equal('no-store');
            expect(answer.headers, path).not.to.have.property('etag');
          }
        });

        it('POST answers are Cache-Control: no-store, success and errors', async () => {
          const created = await submit({ service_code: code }, format);
          expect(created.status).to.equal(200);
          expect(created.headers['cache-control']).to.equal('no-store');
          expect(created.headers).not.to.have.property('etag');
          const refused = await postForm(`${BASE}/requests.${format}`, [['service_code', code]]);
          expect(refused.status).to.equal(403);
          expect(refused.headers['cache-control']).to.equal('no-store');
          const update = await postForm(`${BASE}/servicerequestupdates.${format}`, [
            ['api_key', ctx().apiKey],
            ['service_request_id', id],
            ['update_id', unique('nostore')],
            ['status', 'OPEN'],
            ['updated_datetime', new Date().toISOString()],
            ['description', ''],
          ]);
          expect(update.status, update.text).to.equal(200);
          expect(update.headers['cache-control']).to.equal('no-store');
        });
      });
    }
  });

  describe('no extension parameter: exactly the standard response', () => {
    for (const format of FORMATS) {
      it(`requests.${format} and requests/{id}.${format}: standard keys only, no paging headers (${format})`, async () => {
        for (const path of [
          `${BASE}/requests.${format}`,
          `${BASE}/requests.${format}?service_code=${code}`,
          `${BASE}/requests/${id}.${format}`,
        ]) {
          const answer = await get(path);
          expect(answer.status).to.equal(200);
          assertSchema('service-requests.json', answer.body);
          for (const header of [
            'x-result-count',
            'x-page-count',
            'x-page-size',
            'x-next-page-url',
            'x-previous-page-url',
            'link',
          ]) {
            expect(answer.headers, `${path} ${header}`).not.to.have.property(header);
          }
          expect(answer.headers['content-type']).to.equal(
            format === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8',
          );
        }
      });
    }
  });
});
