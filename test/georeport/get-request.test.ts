// GET one service request (digest §2.7, §2.6 field list; conformance checklist item 52).
import { expect } from 'chai';
import { createRequest, insertRequest, LANCASTER } from '../helpers/build.js';
import { assertSchema, BASE, FORMATS, get, unique, type Answer, STANDARD_REQUEST_FIELDS } from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const FIELDS = STANDARD_REQUEST_FIELDS;

async function one(path: string): Promise<{ answer: Answer; row: Row }> {
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  assertSchema('service-requests.json', answer.body);
  const rows = answer.body as Row[];
  expect(rows, 'a one-element array').to.be.an('array').with.length(1);
  return { answer, row: rows[0]! };
}

describe('GET requests/{id} (checklist 52)', () => {
  let full: string;
  let addressOnly: string;
  const posted = {
    description: unique('one request'),
    address_string: unique('120 E Main St, Lancaster, OH'),
    address_id: unique('ADDR'),
    zipcode: '43130',
    media_url: `https://photos.example.org/${unique('photo')}.jpg`,
  };

  before(async () => {
    full = await createRequest({ ...posted });
    addressOnly = await createRequest({ lat: '', long: '', address_string: unique('Library parking lot') });
  });

  for (const format of FORMATS) {
    it(`a one-element array with all 17 standard fields in order, and the posted values (${format})`, async () => {
      const { row } = await one(`${BASE}/requests/${full}.${format}`);
      expect(Object.keys(row)).to.deep.equal(FIELDS);
      expect(row.service_request_id).to.equal(full);
      expect(row.status).to.equal('open');
      expect(row.service_code).to.equal('SIDEWALK');
      expect(row.service_name).to.equal('Sidewalk damage');
      expect(row.description).to.equal(posted.description);
      expect(row.address).to.equal(posted.address_string);
      expect(row.address_id).to.equal(posted.address_id);
      expect(row.zipcode).to.equal(posted.zipcode);
      expect(row.lat).to.be.closeTo(LANCASTER.lat, 1e-6);
      expect(row.long).to.be.closeTo(LANCASTER.long, 1e-6);
      expect(row.media_url).to.equal(posted.media_url);
    });

    it(`unknown values are still present (null / empty element), in order (${format})`, async () => {
      const { answer, row } = await one(`${BASE}/requests/${addressOnly}.${format}`);
      expect(Object.keys(row)).to.deep.equal(FIELDS);
      expect(row.lat).to.equal(null);
      expect(row.long).to.equal(null);
      expect(row.media_url).to.equal(null);
      if (format === 'xml') {
        for (const field of FIELDS) expect(answer.text, `<${field}> element`).to.match(new RegExp(`<${field}(>|\\s*/>)`));
      } else {
        const raw = JSON.parse(answer.text) as Row[];
        for (const field of FIELDS) expect(raw[0], field).to.have.property(field);
      }
    });

    it(`a closed request inserted directly reads back with all fields (${format})`, async () => {
      const closedAt = new Date(Date.now() - 60_000);
      const id = await insertRequest({
        status: 'closed',
        requested_datetime: new Date(Date.now() - 3600_000),
        updated_datetime: closedAt,
        lat: 39.7,
        long: -82.6,
      });
      const { row } = await one(`${BASE}/requests/${id}.${format}`);
      expect(Object.keys(row)).to.deep.equal(FIELDS);
      expect(row.status).to.equal('closed');
      expect(Date.parse(row.updated_datetime as string)).to.equal(Math.floor(closedAt.getTime() / 1000) * 1000);
    });
  }

  it('requests/{id}.xml wraps exactly one <request> in <service_requests>', async () => {
    const { answer } = await one(`${BASE}/requests/${full}.xml`);
    expect(answer.text).to.match(/^<\?xml[^>]*\?>\s*<service_requests>\s*<request>\s*<service_request_id>/);
    expect(answer.text).to.match(/<\/request>\s*<\/service_requests>\s*$/);
    expect(answer.text.match(/<request>/g)).to.have.length(1);
  });

  it('requests/{id}.json is a top-level array of one object', async () => {
    const { answer } = await one(`${BASE}/requests/${full}.json`);
    const raw = JSON.parse(answer.text) as unknown;
    expect(Array.isArray(raw)).to.equal(true);
    expect(raw).to.have.length(1);
  });

  it('both formats carry the same data', async () => {
    const json = await one(`${BASE}/requests/${full}.json`);
    const xml = await one(`${BASE}/requests/${full}.xml`);
    expect(xml.row).to.deep.equal(json.row);
  });

  for (const format of FORMATS) {
    for (const id of ['999999999999', 'abc', '12abc', '-1', '0', '1.5', '99999999999999999999999999', `${unique('tok')}`]) {
      it(`unknown or non-numeric id ${id} → 404 with an errors body (${format})`, async () => {
        const answer = await get(`${BASE}/requests/${encodeURIComponent(id)}.${format}`);
        expect(answer.status, answer.text.slice(0, 300)).to.equal(404);
        assertSchema('errors.json', answer.body);
        expect((answer.body as Array<{ code: number }>)[0]!.code).to.equal(404);
      });
    }
  }
});
