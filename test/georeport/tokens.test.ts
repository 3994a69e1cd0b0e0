// GET service_request_id from a token (digest §2.5, §2.4 batch services; conformance checklist items 43, 19).
import { expect } from 'chai';
import { submit } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, unique, type Answer, type Format } from '../helpers/test-server.js';

type Row = Record<string, unknown>;

/** POSTs a MISSED_TRASH (batch) request and returns its token. */
async function batchToken(format: Format, description: string): Promise<string> {
  const answer = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE][]': 'RECYCLING', description }, format);
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  assertSchema('created-requests.json', answer.body);
  const row = (answer.body as Row[])[0]!;
  expect(row).not.to.have.property('service_request_id');
  expect(row.token).to.be.a('string').and.not.equal('');
  return row.token as string;
}

async function lookup(token: string, format: Format): Promise<{ answer: Answer; row: Row }> {
  const answer = await get(`${BASE}/tokens/${encodeURIComponent(token)}.${format}`);
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  assertSchema('tokens.json', answer.body);
  const rows = answer.body as Row[];
  expect(rows).to.be.an('array').with.length(1);
  return { answer, row: rows[0]! };
}

describe('GET tokens/{token} (checklist 43)', () => {
  for (const postFormat of FORMATS) {
    for (const format of FORMATS) {
      it(`a token from a batch POST (.${postFormat}) gives its token and service_request_id (.${format})`, async () => {
        const description = unique('batch');
        const token = await batchToken(postFormat, description);
        const { answer, row } = await lookup(token, format);
        expect(Object.keys(row)).to.deep.equal(['service_request_id', 'token']);
        expect(row.token).to.equal(token);
        expect(row.service_request_id).to.be.a('string').and.not.equal('');
        if (format === 'xml')
          expect(answer.text).to.match(
            /<service_requests>\s*<request>\s*<service_request_id>[^<]+<\/service_request_id>\s*<token>/,
          );

        // The id is the request that was posted.
        const request = await get(`${BASE}/requests/${row.service_request_id as string}.${format}`);
        expect(request.status).to.equal(200);
        assertSchema('service-requests.json', request.body);
        const stored = (request.body as Row[])[0]!;
        expect(stored.service_code).to.equal('MISSED_TRASH');
        expect(stored.description).to.equal(description);
        expect(stored.status).to.equal('open');
      });
    }
  }

  it('each batch POST gets its own token and its own id', async () => {
    const first = await batchToken('json', unique('batch-a'));
    const second = await batchToken('json', unique('batch-b'));
    expect(first).not.to.equal(second);
    const a = (await lookup(first, 'json')).row.service_request_id;
    const b = (await lookup(second, 'json')).row.service_request_id;
    expect(a).not.to.equal(b);
  });

  for (const format of FORMATS) {
    it(`a known token without an id yet → 200 with only the token (${format})`, async () => {
      const { db, config } = ctx();
      const token = unique('pending');
      await db('request_tokens').insert({ token, jurisdiction_id: config.jurisdictionId, service_request_id: null });
      const { answer, row } = await lookup(token, format);
      expect(row).to.deep.equal({ token });
      if (format === 'xml') expect(answer.text).not.to.include('<service_request_id');
    });

    it(`an unknown token → 404 with an errors body (${format})`, async () => {
      for (const token of [unique('no-such-token'), '999999999999', 'abc.def']) {
        const answer = await get(`${BASE}/tokens/${encodeURIComponent(token)}.${format}`);
        expect(answer.status, `${token}: ${answer.text.slice(0, 300)}`).to.equal(404);
        assertSchema('errors.json', answer.body);
        expect((answer.body as Array<{ code: number }>)[0]!.code).to.equal(404);
      }
    });

    it(`the id of a realtime request is not a token → 404 (${format})`, async () => {
      const created = await submit({}, 'json');
      const id = (created.body as Row[])[0]!.service_request_id as string;
      const answer = await get(`${BASE}/tokens/${id}.${format}`);
      expect(answer.status).to.equal(404);
      assertSchema('errors.json', answer.body);
    });
  }
});
