// Spatial lists page with the total counted on the same scan as the page (store/requests-store.ts
// findRequestsWithTotal): the total must still be exact on every page, past the last one, in both formats,
// and a bbox is planar (a box in degrees): points just inside its edges are in, points just outside are out.
import { expect } from 'chai';
import { addServices, insertRequest } from '../helpers/build.js';
import { BASE, ctx, FORMATS, unique } from '../helpers/test-server.js';
import request from 'supertest';

// A spot of our own, far from Lancaster and from the other spatial tests: the Norwegian Sea.
const SPOT = { lat: 66 + Math.random(), long: 2 + Math.random() };

describe('spatial lists: one scan for the page and its total, planar boxes', () => {
  const code = unique('SPATIALPAGE').toUpperCase();
  const inside: string[] = [];
  const box = { min_long: SPOT.long, min_lat: SPOT.lat, max_long: SPOT.long + 0.02, max_lat: SPOT.lat + 0.01 };
  const bbox = `${box.min_long},${box.min_lat},${box.max_long},${box.max_lat}`;

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Spatial paging', description: 'Rows of this test.', type: 'realtime' },
    ]);
    // Seven inside, newest first in `inside`; two on the very corners (a box includes its edges).
    const points = [
      { lat: box.min_lat + 0.005, long: box.min_long + 0.01 },
      { lat: box.min_lat, long: box.min_long },
      { lat: box.max_lat, long: box.max_long },
      { lat: box.min_lat + 0.001, long: box.max_long - 0.001 },
      { lat: box.max_lat - 0.001, long: box.min_long + 0.001 },
      { lat: box.min_lat + 0.002, long: box.min_long + 0.002 },
      { lat: box.min_lat + 0.009, long: box.min_long + 0.019 },
    ];
    for (const [index, point] of points.entries()) {
      const id = await insertRequest({
        service_code: code,
        ...point,
        requested_datetime: new Date(Date.now() - (index + 1) * 60_000),
      });
      inside.push(id);
    }
    // Just outside each edge.
    for (const point of [
      { lat: box.max_lat + 0.0001, long: box.min_long + 0.01 },
      { lat: box.min_lat - 0.0001, long: box.min_long + 0.01 },
      { lat: box.min_lat + 0.005, long: box.min_long - 0.0001 },
      { lat: box.min_lat + 0.005, long: box.max_long + 0.0001 },
    ])
      await insertRequest({ service_code: code, ...point });
  });

  it('a bbox is a box in degrees, not a polygon with great-circle edges', async () => {
    // Between longitudes 0 and 40 the great circles through the corners at 50° and 60° bulge north to ~51.7°
    // and ~61.5° at longitude 20: a spherical test would drop the first point and take the second.
    const planarOnly = await insertRequest({ service_code: code, lat: 50.5, long: 20 });
    const sphericalOnly = await insertRequest({ service_code: code, lat: 60.5, long: 20 });
    const answer = await request(ctx().app).get(`${BASE}/requests.json?service_code=${code}&bbox=0,50,40,60`).expect(200);
    const found = (answer.body as Array<{ service_request_id: string }>).map((row) => row.service_request_id);
    expect(found).to.include(planarOnly);
    expect(found).not.to.include(sphericalOnly);
  });

  for (const format of FORMATS) {
    const list = (query: string) =>
      request(ctx().app).get(`${BASE}/requests.${format}?service_code=${code}&${query}`).expect(200);
    const ids = (answer: request.Response): string[] =>
      format === 'json'
        ? (answer.body as Array<{ service_request_id: string }>).map((row) => row.service_request_id)
        : [...answer.text.matchAll(/<service_request_id>(\d+)<\/service_request_id>/g)].map((match) => match[1]!);

    it(`bbox pages carry the exact total on every page, and past the end (${format})`, async () => {
      for (const [page, slice] of [
        [1, inside.slice(0, 3)],
        [2, inside.slice(3, 6)],
        [3, inside.slice(6)],
        [4, []],
      ] as const) {
        const answer = await list(`bbox=${bbox}&page=${page}&page_size=3`);
        expect(ids(answer), `page ${page}`).to.deep.equal(slice);
        expect(answer.headers['x-result-count'], `page ${page}`).to.equal('7');
        expect(answer.headers['x-page-count']).to.equal('3');
      }
      // The body stays the standard document: no counting column leaks into it.
      expect((await list(`bbox=${bbox}&page=1&page_size=3`)).text).not.to.match(/result_count/);
    });

    it(`radius pages carry the exact total too (${format})`, async () => {
      const centre = { lat: box.min_lat + 0.005, long: box.min_long + 0.01 };
      // 2 km around the centre of the box holds all eleven rows of this test.
      const near = `lat=${centre.lat}&long=${centre.long}&radius=2000`;
      const first = await list(`${near}&page=1&page_size=4`);
      expect(first.headers['x-result-count']).to.equal('11');
      expect(ids(first)).to.have.length(4);
      const past = await list(`${near}&page=9&page_size=4`);
      expect(ids(past)).to.deep.equal([]);
      expect(past.headers['x-result-count']).to.equal('11');
      const unpaged = await list(near);
      expect(unpaged.headers).not.to.have.property('x-result-count');
      expect(ids(unpaged)).to.have.length(11);
    });
  }
});
