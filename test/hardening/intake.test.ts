// Creates remember API keys and service definitions and are grouped into shared statements under load; neither
// may change what a client sees: catalog changes and revocations apply to the very next POST, and every
// acknowledged request of a burst is stored and readable.
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import type { Attribute } from '../../src/domain/types.js';
import { createLogger } from '../../src/logger.js';
import type { RequestWriter } from '../../src/store/request-writer.js';
import { addServices, createRequest, submit } from '../helpers/build.js';
import { BASE, ctx, get, testConfig, unique } from '../helpers/test-server.js';

const question = (required: boolean): Attribute => ({
  variable: true,
  code: 'DEPTH',
  datatype: 'string',
  required,
  datatype_description: null,
  order: 1,
  description: 'How deep is it?',
});

describe('creates: remembered lookups and grouped writes', () => {
  it('validates the next create against a catalog changed since the last one', async () => {
    const code = unique('REMEMBERED').toUpperCase();
    await addServices([{ service_code: code, service_name: 'Remembered', attributes: [question(false)] }]);
    await createRequest({ service_code: code });
    await createRequest({ service_code: code });

    await addServices([{ service_code: code, service_name: 'Remembered', attributes: [question(true)] }]);
    const refused = await submit({ service_code: code });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.deep.equal([{ code: 400, description: 'attribute[DEPTH] is required: How deep is it?' }]);
    await createRequest({ service_code: code, 'attribute[DEPTH]': '5 cm' });

    await addServices([{ service_code: code, service_name: 'Remembered', active: false, attributes: [question(true)] }]);
    const gone = await submit({ service_code: code, 'attribute[DEPTH]': '5 cm' });
    expect(gone.status).to.equal(404);
  });

  it('stores the service_notice and agency of the catalog as it is now, not as it was remembered', async () => {
    const code = unique('NOTICE').toUpperCase();
    await addServices([
      { service_code: code, service_name: 'Notice', service_notice: 'first notice', agency_responsible: 'First agency' },
    ]);
    await createRequest({ service_code: code });
    await addServices([
      { service_code: code, service_name: 'Notice', service_notice: 'second notice', agency_responsible: 'Second agency' },
    ]);
    const answer = await submit({ service_code: code });
    expect(answer.status).to.equal(200);
    const [created] = answer.body as Array<{ service_request_id: string; service_notice: string }>;
    expect(created!.service_notice).to.equal('second notice');
    const stored = await get(`${BASE}/requests/${created!.service_request_id}.json`);
    expect((stored.body as Array<Record<string, unknown>>)[0]).to.include({
      service_notice: 'second notice',
      agency_responsible: 'Second agency',
    });
  });

  it('answers 503 with Retry-After when the lookups prove stale twice in a row, and stores nothing', async () => {
    const { app, context } = createApp({ config: testConfig(), db: ctx().db, logger: createLogger('silent') });
    let attempts = 0;
    // A writer whose every statement finds the key or catalog moved (as while the catalog is being edited).
    context.requestWriter = {
      insert: async () => {
        attempts += 1;
        return undefined;
      },
    } as unknown as RequestWriter;
    const description = unique('never stored');
    const answer = await request(app)
      .post(`${BASE}/requests.json`)
      .type('form')
      .send({ api_key: ctx().apiKey, service_code: 'SIDEWALK', address_string: '1 Main St', description });
    expect(answer.status).to.equal(503);
    expect(answer.headers['retry-after']).to.equal('1');
    expect(answer.body).to.deep.equal([
      { code: 503, description: 'The service catalog is being changed; please retry in a moment.' },
    ]);
    expect(attempts).to.equal(2);
    expect(await ctx().db('service_requests').where({ description }).first()).to.equal(undefined);
  });

  it('acknowledges and stores every create of a concurrent burst, each readable with its own fields', async () => {
    const descriptions = Array.from({ length: 40 }, () => unique('burst'));
    const answers = await Promise.all(
      descriptions.map((description) => submit({ description, email: `${description}@example.com` })),
    );
    const ids = answers.map((answer) => {
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      return (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
    });
    expect(new Set(ids).size).to.equal(40);
    const listed = await get(`${BASE}/requests.json?service_request_id=${ids.join(',')}`);
    const byId = new Map(
      (listed.body as Array<{ service_request_id: string; description: string }>).map((item) => [
        item.service_request_id,
        item.description,
      ]),
    );
    for (const [index, id] of ids.entries()) expect(byId.get(id)).to.equal(descriptions[index]);
    const submitters = await ctx().db('service_request_submitters').whereIn('service_request_id', ids).count({ n: '*' }).first();
    expect(Number(submitters?.n)).to.equal(40);
  });
});
