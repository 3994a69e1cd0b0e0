// Parameters (digest §1.1, §1.6, §1.8; conformance checklist items 54, 55, 57).
import { expect } from 'chai';
import { createRequest, LANCASTER, submit } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, postForm, unique, type Answer, type Format } from '../helpers/test-server.js';
import type { SchemaId } from '../../src/validate/validate.js';

const CONTENT_TYPE: Record<Format, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' };

/** Appends a query string to a path that may already have one. */
const withQuery = (path: string, query: string): string => `${path}${path.includes('?') ? '&' : '?'}${query}`;

/** Asserts that `answer` is the same successful document as `reference`. */
function expectSame(answer: Answer, reference: Answer, label: string): void {
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).to.equal(200);
  expect(answer.headers['content-type'], label).to.equal(reference.headers['content-type']);
  expect(answer.body, label).to.deep.equal(reference.body);
}

interface Fixture {
  id: string;
  token: string;
}

async function fixture(): Promise<Fixture> {
  const id = await createRequest({ description: unique('parameters') });
  const batch = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' });
  expect(batch.status, batch.text).to.equal(200);
  return { id, token: (batch.body as Array<{ token: string }>)[0]!.token };
}

/** Every GET endpoint with its schema, for one format. */
const getEndpoints = (format: Format, { id, token }: Fixture): Array<[string, SchemaId]> => [
  [`${BASE}/discovery.${format}`, 'discovery.json'],
  [`${BASE}/services.${format}`, 'services.json'],
  [`${BASE}/services/POTHOLE.${format}`, 'service-definition.json'],
  [`${BASE}/services/SIDEWALK.${format}`, 'service-definition.json'],
  [`${BASE}/requests.${format}`, 'service-requests.json'],
  [`${BASE}/requests.${format}?service_request_id=${id}`, 'service-requests.json'],
  [`${BASE}/requests.${format}?service_code=SIDEWALK&status=open`, 'service-requests.json'],
  [`${BASE}/requests/${id}.${format}`, 'service-requests.json'],
  [`${BASE}/tokens/${token}.${format}`, 'tokens.json'],
];

describe('parameters (checklist 54, 55, 57)', () => {
  describe('54: empty parameters behave like absent ones', () => {
    for (const format of FORMATS) {
      it(`GET requests with ?service_code=&status=&jurisdiction_id= (and the other filters empty) equals GET requests (${format})`, async () => {
        const id = await createRequest();
        const plain = await get(`${BASE}/requests.${format}`);
        expect(plain.status).to.equal(200);
        assertSchema('service-requests.json', plain.body);
        expect((plain.body as Array<{ service_request_id: string }>).map((row) => row.service_request_id)).to.include(id);
        for (const query of [
          'service_code=&status=&jurisdiction_id=',
          'service_code=&status=&jurisdiction_id=&start_date=&end_date=&service_request_id=',
          'service_code=,&status=,,',
          'service_code=&service_code=&status=&status=',
        ]) {
          expectSame(await get(`${BASE}/requests.${format}?${query}`), plain, query);
        }
      });

      it(`an empty filter next to a real one does not narrow the result (${format})`, async () => {
        const id = await createRequest();
        const reference = await get(`${BASE}/requests.${format}?service_code=SIDEWALK`);
        expect((reference.body as Array<{ service_request_id: string }>).map((row) => row.service_request_id)).to.include(id);
        expectSame(
          await get(`${BASE}/requests.${format}?service_code=SIDEWALK&status=&start_date=&jurisdiction_id=`),
          reference,
          'status= next to service_code',
        );
        const one = await get(`${BASE}/requests.${format}?service_request_id=${id}`);
        expectSame(
          await get(`${BASE}/requests.${format}?service_request_id=${id}&service_code=&status=&end_date=`),
          one,
          'empties next to service_request_id',
        );
      });

      it(`empty jurisdiction_id on every GET endpoint is like none (${format})`, async () => {
        const data = await fixture();
        for (const [path, schema] of getEndpoints(format, data)) {
          const plain = await get(path);
          expect(plain.status, path).to.equal(200);
          assertSchema(schema, plain.body);
          expectSame(await get(withQuery(path, 'jurisdiction_id=')), plain, `${path} + jurisdiction_id=`);
        }
      });

      it(`POST with empty optional fields is accepted like one without them (${format})`, async () => {
        const answer = await postForm(`${BASE}/requests.${format}`, [
          ['api_key', ctx().apiKey],
          ['jurisdiction_id', ''],
          ['service_code', 'SIDEWALK'],
          ['lat', String(LANCASTER.lat)],
          ['long', String(LANCASTER.long)],
          ['address_string', ''],
          ['address_id', ''],
          ['zipcode', ''],
          ['email', ''],
          ['device_id', ''],
          ['account_id', ''],
          ['first_name', ''],
          ['last_name', ''],
          ['phone', ''],
          ['media_url', ''],
          ['description', ''],
        ]);
        expect(answer.status, answer.text).to.equal(200);
        assertSchema('created-requests.json', answer.body);
        const id = (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
        const row = ((await get(`${BASE}/requests/${id}.json`)).body as Array<Record<string, unknown>>)[0]!;
        expect(row.address).to.equal(null);
        expect(row.address_id).to.equal(null);
        expect(row.zipcode).to.equal(null);
        expect(row.media_url).to.equal(null);
        expect(row.lat).to.be.closeTo(LANCASTER.lat, 1e-6);
      });

      it(`POST with empty lat/long and an address is like one without lat/long (${format})`, async () => {
        const answer = await submit({ lat: '', long: '', address_string: `${unique('addr')} Main St` }, format);
        expect(answer.status, answer.text).to.equal(200);
        assertSchema('created-requests.json', answer.body);
      });
    }
  });

  describe('55: unknown parameters and api_key on GET are ignored', () => {
    const EXTRAS = (validKey: string): string[] => [
      'foo=bar',
      '_=1716912345678',
      'format=csv',
      'service_name=Pothole',
      'api_key=not-a-real-key',
      `api_key=${validKey}`,
      'api_key=',
      'foo=bar&api_key=nope&_=1&utm_source=x&Service_Code=NOPE&STATUS=pending',
    ];
    for (const format of FORMATS) {
      it(`every GET endpoint answers the same with unknown parameters and any api_key (${format})`, async () => {
        const data = await fixture();
        for (const [path, schema] of getEndpoints(format, data)) {
          const plain = await get(path);
          expect(plain.status, path).to.equal(200);
          expect(plain.headers['content-type']).to.equal(CONTENT_TYPE[format]);
          assertSchema(schema, plain.body);
          for (const extra of EXTRAS(ctx().apiKey)) expectSame(await get(withQuery(path, extra)), plain, `${path} + ${extra}`);
        }
      });

      it(`a GET never answers 403, whatever key it carries, also as a Bearer header (${format})`, async () => {
        const data = await fixture();
        for (const [path] of getEndpoints(format, data)) {
          const plain = await get(path);
          expectSame(await get(path, { Authorization: `Bearer ${unique('not-a-key')}` }), plain, `${path} with a bad Bearer`);
          expectSame(await get(path, { Authorization: `Bearer ${ctx().apiKey}` }), plain, `${path} with a good Bearer`);
          expectSame(await get(path, { Authorization: 'Basic Zm9vOmJhcg==' }), plain, `${path} with Basic`);
        }
      });
    }

    it('unknown POST parameters are ignored too', async () => {
      for (const format of FORMATS) {
        const answer = await submit({ service_name: 'Sidewalk damage', foo: 'bar', _: '1', format: 'csv', title: 'x' }, format);
        expect(answer.status, answer.text).to.equal(200);
        assertSchema('created-requests.json', answer.body);
      }
    });
  });

  describe('57: a doubled slash after the base is collapsed', () => {
    for (const format of FORMATS) {
      it(`{base}//services.${format} is served like {base}/services.${format}`, async () => {
        const plain = await get(`${BASE}/services.${format}`);
        expect(plain.status).to.equal(200);
        assertSchema('services.json', plain.body);
        expectSame(await get(`${BASE}//services.${format}`), plain, '//services');
        expectSame(await get(`${BASE}///services.${format}`), plain, '///services');
      });

      it(`a doubled slash works on every GET endpoint (${format})`, async () => {
        const data = await fixture();
        for (const [path] of getEndpoints(format, data)) {
          const plain = await get(path);
          expectSame(await get(path.replace(`${BASE}/`, `${BASE}//`)), plain, `doubled: ${path}`);
        }
        const definition = await get(`${BASE}/services/POTHOLE.${format}`);
        expectSame(await get(`${BASE}//services//POTHOLE.${format}`), definition, 'doubled inside the path');
      });

      it(`POST {base}//requests.${format} creates a request`, async () => {
        const answer = await postForm(`${BASE}//requests.${format}`, [
          ['api_key', ctx().apiKey],
          ['service_code', 'SIDEWALK'],
          ['lat', String(LANCASTER.lat)],
          ['long', String(LANCASTER.long)],
          ['description', unique('doubled')],
        ]);
        expect(answer.status, answer.text).to.equal(200);
        expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
        assertSchema('created-requests.json', answer.body);
      });
    }
  });
});
