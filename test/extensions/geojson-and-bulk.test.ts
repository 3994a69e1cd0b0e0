// EXT requests.geojson (a FeatureCollection for maps) and the GeoReport Bulk CSV export (digest §3.11).
import { expect } from 'chai';
import { addServices, createRequest, insertRequest } from '../helpers/build.js';
import {
  assertSchema,
  BASE,
  ctx,
  get,
  unique,
  type Answer,
  STANDARD_REQUEST_FIELDS,
  expectErrors,
} from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const DAY = 24 * 3600 * 1000;
const BULK_PATH = '/open311/bulk/requests.csv';
const HEADER =
  'service_request_id,requested_datetime,updated_datetime,closed_date,status_description,status_notes,source,service_name,service_code,service_subtype,description,agency_responsible,address,lat,long';
const STANDARD_KEYS = STANDARD_REQUEST_FIELDS;
const W3C = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;

/** RFC 4180: records of fields; quoted fields may hold commas, "" and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      index += 1;
      continue;
    }
    if (char === '"') {
      expect(field, `a quote inside an unquoted field at ${index}`).to.equal('');
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else {
      expect(char, `a bare line break at ${index}`).not.to.be.oneOf(['\r', '\n']);
      field += char;
    }
    index += 1;
  }
  expect(quoted, 'an unterminated quoted field').to.equal(false);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

async function exportCsv(query = ''): Promise<{ answer: Answer; header: string[]; rows: Array<Record<string, string>> }> {
  const path = `${BULK_PATH}${query ? `?${query}` : ''}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  expect(answer.headers['content-type']).to.equal('text/csv; charset=utf-8');
  const records = parseCsv(answer.text);
  const header = records[0]!;
  const rows = records.slice(1).map((record) => {
    expect(record, JSON.stringify(record)).to.have.length(header.length);
    return Object.fromEntries(header.map((name, index) => [name, record[index]!]));
  });
  return { answer, header, rows };
}

async function geojson(query: string): Promise<{ answer: Answer; document: { type: string; features: Array<Row> } }> {
  const path = `${BASE}/requests.geojson${query ? `?${query}` : ''}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  expect(answer.headers['content-type']).to.equal('application/geo+json; charset=utf-8');
  return { answer, document: JSON.parse(answer.text) as { type: string; features: Array<Row> } };
}

describe('EXT requests.geojson', () => {
  const code = unique('GEOJSON').toUpperCase();
  const privateData = {
    email: `${unique('geo-private')}@example.org`,
    phone: `+1614${String(Date.now()).slice(-7)}`,
    first_name: unique('Geofirst'),
    last_name: unique('Geolast'),
    device_id: unique('geo-device'),
    account_id: unique('geo-account'),
  };
  let pointId: string;
  let addressId: string;
  const point = { lat: 39.72 + Math.random() / 100, long: -82.61 + Math.random() / 100 };

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'GeoJSON test', description: 'Rows of the GeoJSON tests.', type: 'realtime' },
    ]);
    pointId = await createRequest({ service_code: code, lat: String(point.lat), long: String(point.long), ...privateData });
    addressId = await createRequest({
      service_code: code,
      lat: '',
      long: '',
      address_string: unique('215 N Broad St'),
      ...privateData,
    });
  });

  it('is a FeatureCollection of Features: Point [long, lat], null geometry without a location, the public fields as properties', async () => {
    const { document } = await geojson(`service_code=${code}`);
    expect(document.type).to.equal('FeatureCollection');
    expect(document.features).to.have.length(2);
    const byId = new Map(document.features.map((feature) => [(feature.properties as Row).service_request_id as string, feature]));
    const located = byId.get(pointId)!;
    expect(located.type).to.equal('Feature');
    expect(located.geometry).to.deep.equal({ type: 'Point', coordinates: [point.long, point.lat] });
    const unlocated = byId.get(addressId)!;
    expect(unlocated.type).to.equal('Feature');
    expect(unlocated.geometry).to.equal(null);
    for (const feature of document.features) {
      const properties = feature.properties as Row;
      expect(Object.keys(properties)).to.deep.equal(STANDARD_KEYS);
      assertSchema('service-requests.json', [properties]);
      expect(properties.service_code).to.equal(code);
    }
    expect((located.properties as Row).lat).to.equal(point.lat);
    expect((located.properties as Row).long).to.equal(point.long);
  });

  it('the same features, in the same order, as requests.json with the same filters', async () => {
    const { document } = await geojson(`service_code=${code}`);
    const json = await get(`${BASE}/requests.json?service_code=${code}`);
    expect(document.features.map((feature) => feature.properties)).to.deep.equal(json.body);
  });

  it('never carries private data', async () => {
    for (const query of [
      `service_code=${code}`,
      `service_code=${code}&extensions=true`,
      `service_request_id=${pointId},${addressId}`,
    ]) {
      const { answer } = await geojson(query);
      for (const [name, value] of Object.entries(privateData))
        expect(answer.text, `${query} leaks ${name}`).not.to.include(value);
    }
  });

  it('takes the requests.json filters: bbox, lat/long/radius, status, service_request_id', async () => {
    const box = `${point.long - 0.001},${point.lat - 0.001},${point.long + 0.001},${point.lat + 0.001}`;
    const ids = async (query: string): Promise<string[]> =>
      (await geojson(query)).document.features.map((feature) => (feature.properties as Row).service_request_id as string);
    expect(await ids(`service_code=${code}&bbox=${box}`)).to.deep.equal([pointId]);
    expect(await ids(`service_code=${code}&lat=${point.lat}&long=${point.long}&radius=50`)).to.deep.equal([pointId]);
    expect(await ids(`service_code=${code}&status=closed`)).to.deep.equal([]);
    expect(await ids(`service_request_id=${addressId}`)).to.deep.equal([addressId]);
  });

  it('a bad filter → 400 errors body (JSON)', async () => {
    for (const query of ['bbox=1,2,3', 'status=pending', 'lat=39.7', 'page_size=0']) {
      const answer = await get(`${BASE}/requests.geojson?${query}`);
      expect(answer.headers['content-type']).to.match(/^application\/json/);
      expectErrors(answer, 400);
    }
  });

  it('services.geojson (and other documents) → 404 errors body', async () => {
    for (const path of [
      `${BASE}/services.geojson`,
      `${BASE}/services/${code}.geojson`,
      `${BASE}/discovery.geojson`,
      `${BASE}/servicerequestupdates.geojson`,
    ]) {
      const answer = await get(path);
      expectErrors(answer, 404);
    }
  });
});

describe('EXT bulk CSV export (/open311/bulk/requests.csv)', () => {
  const code = unique('BULKCSV').toUpperCase();
  const bigCode = unique('BULKBIG').toUpperCase();
  const BIG_ROWS = 1100;
  let bigServiceId: string;
  let bigIds: string[] = [];

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Bulk, "CSV" test', description: 'Rows of the bulk export tests.', type: 'realtime' },
      { service_code: bigCode, service_name: 'Bulk big test', description: 'Many rows for the bulk export.', type: 'realtime' },
    ]);
    const { db, config } = ctx();
    const service = (await db('services')
      .where({ jurisdiction_id: config.jurisdictionId, service_code: bigCode })
      .first('id')) as { id: string | number };
    bigServiceId = String(service.id);
    // 1100 rows, 150 days old (outside the default list window, so other tests' lists never see them),
    // one second apart — except 31 rows around the 1000th that share one requested_datetime, so that the
    // keyset batches must break ties by id.
    const base = Date.now() - 150 * DAY;
    const rows = Array.from({ length: BIG_ROWS }, (_, index) => {
      const step = index >= 985 && index <= 1015 ? 985 : index;
      const at = new Date(base - step * 1000);
      return {
        jurisdiction_id: config.jurisdictionId,
        service_id: bigServiceId,
        status: 'open',
        description: `bulk row ${index}`,
        requested_datetime: at,
        updated_datetime: at,
      };
    });
    const inserted = (await db('service_requests').insert(rows).returning('id')) as Array<{ id: string | number }>;
    bigIds = inserted.map((row) => String(row.id));
  });

  after(async () => {
    await ctx().db('service_requests').where({ service_id: bigServiceId }).delete();
  });

  it('answers text/csv with the bulk header line, CRLF line ends', async () => {
    const { answer, header } = await exportCsv(`service_code=${code}`);
    expect(answer.text.startsWith(`${HEADER}\r\n`)).to.equal(true);
    expect(header.join(',')).to.equal(HEADER);
    expect(answer.headers['access-control-allow-origin']).to.equal('*');
  });

  it('writes one row per request with the bulk fields', async () => {
    const description = unique('A plain description');
    const address = unique('120 E Main St');
    const id = await createRequest({
      service_code: code,
      description,
      address_string: address,
      lat: '39.71367',
      long: '-82.59932',
      email: 'bulk-private@example.org',
    });
    const { rows, answer } = await exportCsv(`service_code=${code}`);
    const row = rows.find((item) => item.service_request_id === id)!;
    expect(row, answer.text.slice(0, 1000)).to.exist;
    expect(row.requested_datetime).to.match(W3C);
    expect(row.updated_datetime).to.match(W3C);
    expect(row.closed_date).to.equal('');
    expect(row.status_description).to.equal('Open');
    expect(row.source).to.equal('api');
    expect(row.service_name).to.equal('Bulk, "CSV" test');
    expect(row.service_code).to.equal(code);
    expect(row.service_subtype).to.equal('');
    expect(row.description).to.equal(description);
    expect(row.address).to.equal(address);
    expect(Number(row.lat)).to.equal(39.71367);
    expect(Number(row.long)).to.equal(-82.59932);
    expect(answer.text).not.to.include('bulk-private@example.org');
    // The same values as the API gives.
    const api = ((await get(`${BASE}/requests/${id}.json`)).body as Row[])[0]!;
    expect(row.requested_datetime).to.equal(api.requested_datetime);
    expect(row.updated_datetime).to.equal(api.updated_datetime);
  });

  it('a closed request has its closed_date and the Closed status description', async () => {
    const closedAt = new Date(Math.floor((Date.now() - 3 * DAY) / 1000) * 1000);
    const id = await insertRequest({
      service_code: code,
      status: 'closed',
      requested_datetime: new Date(Date.now() - 5 * DAY),
      updated_datetime: closedAt,
    });
    await ctx().db('service_requests').where({ id }).update({ detailed_status: 'closed', closed_datetime: closedAt });
    const { rows } = await exportCsv(`service_code=${code}&status=closed`);
    expect(rows.map((row) => row.service_request_id)).to.deep.equal([id]);
    expect(Date.parse(rows[0]!.closed_date!)).to.equal(closedAt.getTime());
    expect(rows[0]!.status_description).to.equal('Closed');
  });

  it('RFC 4180 quoting: commas, quotes and line breaks in a description', async () => {
    const description = `Line one, with a comma\nand "quotes" on line two\r\nline three ${unique('x')}`;
    const id = await createRequest({ service_code: code, description });
    const { rows, answer } = await exportCsv(`service_code=${code}`);
    expect(rows.find((row) => row.service_request_id === id)!.description).to.equal(description);
    expect(answer.text).to.include(`"${description.replace(/"/g, '""')}"`);
  });

  for (const text of ['=HYPERLINK("http://evil.example","click")', '+1740555', '-2+3', '@SUM(A1:A2)']) {
    it(`text that looks like a formula (${text}) is prefixed with '`, async () => {
      const description = `${text}${unique(' ')}`;
      const address = `${text}`;
      const id = await createRequest({ service_code: code, description, address_string: address });
      const { rows } = await exportCsv(`service_code=${code}`);
      const row = rows.find((item) => item.service_request_id === id)!;
      expect(row.description).to.equal(`'${description}`);
      expect(row.address).to.equal(`'${address}`);
    });
  }

  it('has no 90-day default window: a request requested 200 days ago is exported', async () => {
    const old = await insertRequest({ service_code: code, requested_datetime: new Date(Date.now() - 200 * DAY) });
    expect((await exportCsv(`service_code=${code}`)).rows.map((row) => row.service_request_id)).to.include(old);
    expect((await exportCsv('')).rows.map((row) => row.service_request_id)).to.include(old);
    // A start_date alone runs to now, and an explicit window may be longer than 90 days.
    const start = new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10);
    expect((await exportCsv(`service_code=${code}&start_date=${start}`)).rows.map((row) => row.service_request_id)).to.include(
      old,
    );
    const end = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    expect(
      (await exportCsv(`service_code=${code}&start_date=${start}&end_date=${end}`)).rows.map((row) => row.service_request_id),
    ).to.include(old);
    // The list refuses that window.
    expect((await get(`${BASE}/requests.json?service_code=${code}&start_date=${start}&end_date=${end}`)).status).to.equal(400);
  });

  it(`exports more than 1000 rows (several keyset batches, ties across the batch boundary): all ${BIG_ROWS}, once each, newest first`, async () => {
    const { rows } = await exportCsv(`service_code=${bigCode}`);
    const ids = rows.map((row) => row.service_request_id!);
    expect(ids).to.have.length(BIG_ROWS);
    expect(new Set(ids).size).to.equal(BIG_ROWS);
    expect([...ids].sort()).to.deep.equal([...bigIds].sort());
    for (let index = 1; index < rows.length; index++) {
      const previous = rows[index - 1]!;
      const current = rows[index]!;
      const order = Date.parse(previous.requested_datetime!) - Date.parse(current.requested_datetime!);
      expect(order, `row ${index}`).to.be.at.least(0);
      if (order === 0)
        expect(Number(previous.service_request_id), `row ${index} id order`).to.be.above(Number(current.service_request_id));
    }
    // The list API, by contrast, never shows rows older than 90 days by default, and stays capped at 1000:
    // asked for the window that holds all of them, it answers the 1000 newest.
    expect((await get(`${BASE}/requests.json?service_code=${bigCode}`)).body).to.deep.equal([]);
    const oldest = Date.parse(rows[rows.length - 1]!.requested_datetime!);
    const newest = Date.parse(rows[0]!.requested_datetime!);
    const window = `start_date=${new Date(oldest - 60_000).toISOString()}&end_date=${new Date(newest + 60_000).toISOString()}`;
    const listed = await get(`${BASE}/requests.json?service_code=${bigCode}&${window}`);
    expect(listed.status, listed.text.slice(0, 300)).to.equal(200);
    const listedIds = (listed.body as Array<{ service_request_id: string }>).map((row) => row.service_request_id);
    expect(listedIds).to.have.length(1000);
    expect(new Set(listedIds).size).to.equal(1000);
    // The newest 985 are before the 31 rows that share one time; the last 15 are some of those.
    expect(listedIds.slice(0, 985)).to.deep.equal(ids.slice(0, 985));
    expect(ids.slice(985, 1016)).to.include.members(listedIds.slice(985));
  });

  it('takes the list filters (status, service_request_id, bbox)', async () => {
    const a = await createRequest({ service_code: code, lat: '39.70001', long: '-82.60001' });
    const b = await createRequest({ service_code: code, lat: '39.75001', long: '-82.65001' });
    expect((await exportCsv(`service_request_id=${a},${b}`)).rows.map((row) => row.service_request_id)).to.have.members([a, b]);
    expect(
      (await exportCsv(`service_code=${code}&bbox=-82.601,39.699,-82.599,39.701`)).rows.map((row) => row.service_request_id),
    ).to.deep.equal([a]);
  });

  for (const query of [
    'status=pending',
    'start_date=yesterday',
    'bbox=1,2,3',
    'lat=39.7&long=-82.6',
    'start_date=2026-05-02&end_date=2026-05-01',
    'radius=0&lat=1&long=1',
  ]) {
    it(`a bad filter (${query}) → 400 errors body`, async () => {
      const answer = await get(`${BULK_PATH}?${query}`);
      expectErrors(answer, 400);
      expect(answer.headers['content-type']).not.to.match(/csv/);
      expect(answer.headers['access-control-allow-origin']).to.equal('*');
    });
  }
});
