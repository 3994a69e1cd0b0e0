// EXT: the map of everything (GET /open311/map/clusters.{json,xml}): the requests of the list's filters over a
// view, counted per cell of the zoom's grid. The counts add up to the list's own count over the same box, a
// cell of one request is that request, private requests never show, and bad input is a 400 errors document.
import { expect } from 'chai';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { MAP_BASE_PATH } from '../../src/http/map-clusters.js';
import { addServices, insertRequest } from '../helpers/build.js';
import { assertSchema, BASE, ctx, testConfig, unique } from '../helpers/test-server.js';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';

// A spot of our own, far from the other tests' points: the South Atlantic.
const SPOT = { lat: -40 - Math.random() * 0.5, long: -20 - Math.random() * 0.5 };
const METERS_PER_DEGREE = 111_320;
const at = (north: number, east: number) => ({
  lat: SPOT.lat + north / METERS_PER_DEGREE,
  long: SPOT.long + east / (METERS_PER_DEGREE * Math.cos((SPOT.lat * Math.PI) / 180)),
});
// About 6 km × 6 km around the spot; and 700 m × 200 m over its dense corner, for the highest zooms.
const VIEW = [SPOT.long - 0.04, SPOT.lat - 0.03, SPOT.long + 0.04, SPOT.lat + 0.03].join(',');
const CORNER = [at(-100, -100).long, at(-100, -100).lat, at(100, 600).long, at(100, 600).lat].join(',');

interface Feature {
  type: 'Feature';
  id?: string;
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: { cell: string; count: number; service_request_id?: string; service_code?: string; status?: string };
}
interface Clusters {
  type: 'FeatureCollection';
  bbox: [number, number, number, number];
  zoom: number;
  features: Feature[];
}

async function clusters(query: string): Promise<{ body: Clusters; etag: string }> {
  const answer = await request(ctx().app).get(`${MAP_BASE_PATH}/clusters.json?${query}`);
  expect(answer.status, answer.text).to.equal(200);
  expect(answer.headers['content-type']).to.match(/^application\/json/);
  return { body: answer.body as Clusters, etag: String(answer.headers.etag) };
}

const sum = (features: Feature[]): number => features.reduce((total, feature) => total + feature.properties.count, 0);

/** X-Result-Count of the GeoReport list with the same filters over the clusters' own box. */
async function listCount(filters: string, box: number[]): Promise<number> {
  const answer = await request(ctx().app).get(`${BASE}/requests.json?${filters}&bbox=${box.join(',')}&page_size=1`);
  expect(answer.status, answer.text).to.equal(200);
  return Number(answer.headers['x-result-count']);
}

describe('map of everything: clusters per cell of the zoom (/open311/map/clusters)', () => {
  const code = unique('MAPCLUSTER').toUpperCase();
  const otherCode = unique('MAPOTHER').toUpperCase();
  const publicIds: string[] = [];
  let privateId = '';
  let closedId = '';
  let otherId = '';

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Map clusters', description: 'Rows of this test.', type: 'realtime' },
      { service_code: otherCode, service_name: 'Map clusters, other', description: 'Rows of this test.', type: 'realtime' },
    ]);
    // A dense corner (8 requests 40 m apart), a second group 2 km away (3), a lone one; one closed; one private.
    for (let index = 0; index < 8; index += 1) publicIds.push(await insertRequest({ service_code: code, ...at(0, index * 40) }));
    for (let index = 0; index < 3; index += 1)
      publicIds.push(await insertRequest({ service_code: code, ...at(2000, 1000 + index * 40) }));
    publicIds.push(await insertRequest({ service_code: code, ...at(-1500, -2500) }));
    closedId = await insertRequest({ service_code: code, status: 'closed', ...at(0, 500) });
    publicIds.push(closedId);
    privateId = await insertRequest({ service_code: code, ...at(0, 20) });
    await ctx().db('service_requests').where({ id: privateId }).update({ is_public: false });
    otherId = await insertRequest({ service_code: otherCode, ...at(0, 60) });
  });

  it('counts add up to the matching public requests at every zoom; zoomed in, each cell is one request', async () => {
    let previousCells = 0;
    for (const zoom of [8, 11, 13, 15]) {
      const { body } = await clusters(`service_code=${code}&zoom=${zoom}&bbox=${VIEW}`);
      expect(body.type).to.equal('FeatureCollection');
      expect(body.zoom).to.equal(zoom);
      // The view widened to whole tiles contains the asked one.
      const [west, south, east, north] = VIEW.split(',').map(Number) as [number, number, number, number];
      expect(body.bbox[0]).to.be.at.most(west);
      expect(body.bbox[1]).to.be.at.most(south);
      expect(body.bbox[2]).to.be.at.least(east);
      expect(body.bbox[3]).to.be.at.least(north);
      expect(sum(body.features), `zoom ${zoom}`).to.equal(publicIds.length);
      expect(sum(body.features)).to.equal(await listCount(`service_code=${code}`, body.bbox));
      expect(body.features.length, `more cells at zoom ${zoom}`).to.be.at.least(previousCells);
      previousCells = body.features.length;
      for (const feature of body.features) {
        expect(feature.geometry.type).to.equal('Point');
        expect(feature.properties.cell).to.match(new RegExp(`^${zoom}/\\d+/\\d+$`));
        expect(feature.properties.service_request_id).not.to.equal(privateId);
        if (feature.properties.count === 1) expect(feature.id).to.equal(feature.properties.service_request_id);
        else expect(feature).not.to.have.property('id');
      }
      if (zoom === 8) {
        // Cells of ~30 km: the 5 km spot falls in one, or in up to four where cell edges cross it.
        expect(body.features.length).to.be.within(1, 4);
        expect(body.features.some((feature) => feature.properties.count > 1 && feature.id === undefined)).to.equal(true);
      }
    }
    // At zoom 18 a cell is ~30 m × 30 m here (64 px): every request is a point of its own, with its fields.
    const corner = publicIds.slice(0, 8).concat(closedId);
    const { body } = await clusters(`service_code=${code}&zoom=18&bbox=${CORNER}`);
    expect(body.features.map((feature) => feature.id).sort()).to.deep.equal([...corner].sort());
    const closed = body.features.find((feature) => feature.id === closedId)!;
    expect(closed.properties).to.include({ count: 1, service_code: code, status: 'closed', service_request_id: closedId });
    const [long, lat] = closed.geometry.coordinates;
    expect(lat).to.be.closeTo(at(0, 500).lat, 1e-6);
    expect(long).to.be.closeTo(at(0, 500).long, 1e-6);
  });

  it('takes the public filters of the list: status, service_code, dates', async () => {
    const closedOnly = await clusters(`service_code=${code}&status=closed&zoom=18&bbox=${CORNER}`);
    expect(closedOnly.body.features.map((feature) => feature.id)).to.deep.equal([closedId]);
    const other = await clusters(`service_code=${otherCode}&zoom=18&bbox=${CORNER}`);
    expect(other.body.features.map((feature) => feature.id)).to.deep.equal([otherId]);
    const both = await clusters(`service_code=${code},${otherCode}&zoom=10&bbox=${VIEW}`);
    expect(sum(both.body.features)).to.equal(publicIds.length + 1);
    // The list's default window is 90 days: a window of last year holds none of them.
    const lastYear = new Date(Date.now() - 400 * 24 * 3600_000).toISOString().slice(0, 10);
    const old = await clusters(`service_code=${code}&start_date=${lastYear}&zoom=10&bbox=${VIEW}`);
    expect(old.body.features).to.deep.equal([]);
  });

  it('is cached and revalidated like the lists: same ETag and 304 until a request is created, then the new count', async () => {
    const app = createApp({
      config: testConfig({ RESPONSE_CACHE_TTL_MS: '60000' }),
      db: ctx().db,
      logger: createLogger('silent'),
    }).app;
    const url = `${MAP_BASE_PATH}/clusters.json?service_code=${code}&zoom=11&bbox=${VIEW}`;
    const first = await request(app).get(url).expect(200);
    const again = await request(app).get(url).expect(200);
    expect(again.headers.etag).to.equal(first.headers.etag);
    expect(again.headers['cache-control']).to.equal('public, no-cache');
    await request(app).get(url).set('If-None-Match', String(first.headers.etag)).expect(304);
    const created = await request(app)
      .post(`${BASE}/requests.json`)
      .type('form')
      .send({ api_key: ctx().apiKey, service_code: code, ...at(10, 10), description: unique('map') });
    expect(created.status, created.text).to.equal(200);
    publicIds.push((created.body as Array<{ service_request_id: string }>)[0]!.service_request_id);
    const after = await request(app).get(url).expect(200);
    expect(sum((after.body as Clusters).features)).to.equal(sum((first.body as Clusters).features) + 1);
  });

  it('answers the same cells in XML', async () => {
    const query = `service_code=${code}&zoom=18&bbox=${CORNER}`;
    const json = await clusters(query);
    const answer = await request(ctx().app).get(`${MAP_BASE_PATH}/clusters.xml?${query}`);
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-type']).to.match(/^text\/xml/);
    const parsed = (await parseStringPromise(answer.text)) as {
      clusters: { bbox: string[]; zoom: string[]; cluster: Array<{ count: string[]; service_request_id?: string[] }> };
    };
    expect(parsed.clusters.zoom).to.deep.equal(['18']);
    expect(parsed.clusters.bbox[0]!.split(',').map(Number)).to.deep.equal(json.body.bbox);
    expect(parsed.clusters.cluster.map((cell) => cell.service_request_id?.[0]).sort()).to.deep.equal(
      json.body.features.map((feature) => feature.id).sort(),
    );
  });

  it('refuses a missing or bad zoom, a bad box and a box too large for the zoom: 400 errors in JSON and XML', async () => {
    const cases = [
      `bbox=${VIEW}`,
      `zoom=21&bbox=${VIEW}`,
      `zoom=-1&bbox=${VIEW}`,
      `zoom=2.5&bbox=${VIEW}`,
      `zoom=abc&bbox=${VIEW}`,
      'zoom=12',
      'zoom=12&bbox=1,2,3',
      'zoom=12&bbox=0,95,1,96',
      'zoom=12&bbox=-180,-85,180,85',
      `zoom=12&bbox=${VIEW}&status=lost`,
    ];
    for (const query of cases) {
      const json = await request(ctx().app).get(`${MAP_BASE_PATH}/clusters.json?${query}`);
      expect(json.status, query).to.equal(400);
      assertSchema('errors.json', json.body);
      expect((json.body as Array<{ code: number }>)[0]!.code, query).to.equal(400);
      const xml = await request(ctx().app).get(`${MAP_BASE_PATH}/clusters.xml?${query}`);
      expect(xml.status, query).to.equal(400);
      expect(xml.headers['content-type']).to.match(/^text\/xml/);
      const parsed = (await parseStringPromise(xml.text)) as { errors: { error: Array<{ code: string[] }> } };
      expect(parsed.errors.error[0]!.code[0], query).to.equal('400');
    }
    const tooLarge = await request(ctx().app).get(`${MAP_BASE_PATH}/clusters.json?zoom=12&bbox=-180,-85,180,85`);
    expect(JSON.stringify(tooLarge.body)).to.match(/too large for zoom 12/);
    const wrongVerb = await request(ctx().app).post(`${MAP_BASE_PATH}/clusters.json`);
    expect(wrongVerb.status).to.equal(405);
  });
});
