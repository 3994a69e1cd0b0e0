// Boxes and circles are also asked for by the grid cells they overlap (src/store/spatial.ts, migration
// 20261202170000: the place-cell index that counts dense places from the index alone). The cells only narrow
// what the exact test then checks, and a cell wholly inside the place skips that test, so they must never drop a
// match nor add one: points on and around cell edges, boxes whose edges are cell edges, circles whose rim crosses
// cells or just misses a cell's corner, and places the grid leaves alone (the antimeridian).
import { expect } from 'chai';
import { countRequests, findRequests, findRequestsWithTotal } from '../../src/store/requests-store.js';
import type { RequestQuery } from '../../src/domain/types.js';
import { addServices, insertRequest } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

const CELL = 0.001;

describe('place cells: the grid narrows spatial lists without ever dropping a match', () => {
  const code = unique('CELLS').toUpperCase();
  // A corner of four cells in the Southern Ocean, and one by the antimeridian.
  const corner = { lat: Math.floor(-47.3 / CELL) * CELL, long: Math.floor(151.7 / CELL) * CELL };
  const ids: string[] = [];

  before(async () => {
    await addServices([{ service_code: code, service_name: 'Cells', description: 'Rows of this test.', type: 'realtime' }]);
    // A 5 x 5 lattice around the corner: on it, a hair to each side, and a little farther.
    const offsets = [-0.001, -1e-9, 0, 1e-9, 0.001];
    for (const north of offsets) {
      for (const east of offsets) {
        ids.push(await insertRequest({ service_code: code, lat: corner.lat + north, long: corner.long + east }));
      }
    }
    // Around a point, on rings just inside and just outside 300 m (on the spheroid, by PostGIS).
    const { rows } = await ctx().db.raw(
      `SELECT ST_Y(p::geometry) AS lat, ST_X(p::geometry) AS long FROM (
         SELECT ST_Project(ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, d, radians(a)) AS p
         FROM unnest(ARRAY[299.9, 300.1]) d, generate_series(0, 345, 15) a) ring`,
      [corner.long + 0.0021, corner.lat + 0.0013],
    );
    for (const row of rows as Array<{ lat: number; long: number }>) {
      ids.push(await insertRequest({ service_code: code, lat: Number(row.lat), long: Number(row.long) }));
    }
    for (const long of [179.9999, -179.9999]) ids.push(await insertRequest({ service_code: code, lat: -47.3, long }));
  });

  const query = (extra: Partial<RequestQuery>): RequestQuery => ({
    jurisdiction_id: ctx().config.jurisdictionId,
    limit: 1000,
    offset: 0,
    service_codes: [code],
    ...extra,
  });

  /** The truth, by the exact test alone: which of this test's rows the place holds. */
  async function expected(place: string, bindings: number[]): Promise<string[]> {
    const { rows } = await ctx().db.raw(
      `SELECT id::text AS id FROM service_requests WHERE id = ANY(?::bigint[]) AND ${place} ORDER BY service_requests.id`,
      [`{${ids.join(',')}}`, ...bindings],
    );
    return (rows as Array<{ id: string }>).map((row) => row.id);
  }

  async function expectSame(extra: Partial<RequestQuery>, truth: string[]): Promise<void> {
    const sorted = (list: string[]) => [...list].sort((a, b) => Number(a) - Number(b));
    const listed = (await findRequests(ctx().db, query(extra))).map((row) => row.service_request_id);
    expect(sorted(listed), JSON.stringify(extra)).to.deep.equal(truth);
    // A page of half the matches is filled without the count's path: by the merge of the place's cells (a
    // small place) or by the newest-first walk of the date index, which narrows the place by its box in
    // degrees (a larger one). Either must hold the newest half of them.
    if (truth.length > 1) {
      const { rows } = await ctx().db.raw(
        'SELECT id::text AS id FROM service_requests WHERE id = ANY(?::bigint[]) ORDER BY requested_datetime DESC, id DESC',
        [`{${truth.join(',')}}`],
      );
      const newest = (rows as Array<{ id: string }>).map((row) => row.id);
      const half = Math.floor(truth.length / 2);
      const walked = (await findRequests(ctx().db, query({ ...extra, limit: half }))).map((row) => row.service_request_id);
      expect(walked, `walked ${JSON.stringify(extra)}`).to.deep.equal(newest.slice(0, half));
    }
    const paged = await findRequestsWithTotal(ctx().db, query({ ...extra, limit: 3 }));
    expect(paged.total, JSON.stringify(extra)).to.equal(truth.length);
    expect(await countRequests(ctx().db, query(extra))).to.equal(truth.length);
  }

  it('boxes whose edges are cell edges, or a hair off them, hold exactly the points the exact test holds', async () => {
    const edges = [-1e-9, 0, 1e-9];
    let nonEmpty = 0;
    for (const south of edges) {
      for (const west of edges) {
        for (const size of [1e-9, 0.0005, CELL, 0.012]) {
          const bbox = {
            min_lat: corner.lat + south,
            min_long: corner.long + west,
            max_lat: corner.lat + south + size,
            max_long: corner.long + west + size,
          };
          const truth = await expected('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [
            bbox.min_long,
            bbox.min_lat,
            bbox.max_long,
            bbox.max_lat,
          ]);
          if (truth.length > 0) nonEmpty += 1;
          await expectSame({ bbox }, truth);
        }
      }
    }
    expect(nonEmpty, 'the boxes do hold points').to.be.greaterThan(20);
    // Boxes ending a hair below the corner, from the other side.
    const below = {
      min_lat: corner.lat - 0.002,
      min_long: corner.long - 0.002,
      max_lat: corner.lat - 1e-9,
      max_long: corner.long,
    };
    await expectSame(
      { bbox: below },
      await expected('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [
        below.min_long,
        below.min_lat,
        below.max_long,
        below.max_lat,
      ]),
    );
  });

  it('a cell counts as inside a box only when all of it is: box edges anywhere across cells', async () => {
    // A point every quarter cell (and a hair off each) over 8 x 8 cells, and boxes whose edges fall at many
    // places across a cell: the cells wholly inside skip the exact test, the others keep it.
    const origin = { lat: corner.lat + 0.02, long: corner.long + 0.02 };
    const lattice: string[] = [];
    for (let north = 0; north <= 32; north += 1) {
      for (let east = 0; east <= 32; east += 1) {
        const hair = (north + east) % 2 === 0 ? 1e-9 : -1e-9;
        lattice.push(
          await insertRequest({
            service_code: code,
            lat: origin.lat + north * CELL * 0.25 + hair,
            long: origin.long + east * CELL * 0.25 - hair,
          }),
        );
      }
    }
    ids.push(...lattice);
    let withInterior = 0;
    for (const [from, to] of [
      [0.1, 5.37],
      [0.5, 6.5],
      [0.93, 7.01],
      [1, 4],
      [0.2499999, 3.7500001],
      [2.25, 2.75],
    ] as const) {
      for (const [fromLong, toLong] of [
        [from, to],
        [0.6, 7.9],
        [0.05, 6.03],
        [1.02, 7.97],
      ] as const) {
        const bbox = {
          min_lat: origin.lat + from * CELL,
          max_lat: origin.lat + to * CELL,
          min_long: origin.long + fromLong * CELL,
          max_long: origin.long + toLong * CELL,
        };
        const truth = await expected('location::geometry && ST_MakeEnvelope(?, ?, ?, ?, 4326)', [
          bbox.min_long,
          bbox.min_lat,
          bbox.max_long,
          bbox.max_lat,
        ]);
        if (to - from >= 3) withInterior += 1;
        await expectSame({ bbox }, truth);
      }
    }
    expect(withInterior).to.be.greaterThan(5);
  });

  it('circles keep every point within the radius on the spheroid, across cells', async () => {
    const centre = { lat: corner.lat + 0.0013, long: corner.long + 0.0021 };
    for (const radius of [299.95, 300, 300.05, 450, 1000]) {
      const truth = await expected('ST_DWithin(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [
        centre.long,
        centre.lat,
        radius,
      ]);
      await expectSame({ near: { ...centre, radius } }, truth);
    }
    const inside = await expected('ST_DWithin(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, 300)', [
      centre.long,
      centre.lat,
    ]);
    // The inner ring (24 points) and whatever of the lattice is that close.
    expect(inside.length).to.be.at.least(24);
  });

  it('a cell counts as inside a circle only when all of it is: radii swept across the corners of the cells', async () => {
    // A point a hair inside each corner of each cell around a centre: a circle whose rim passes between a
    // cell's corner and the centre must test that cell's points, and a circle that holds the cell needs not.
    const centre = { lat: corner.lat + 0.00043, long: corner.long + 0.00071 };
    const lattice: string[] = [];
    const rows: Array<{ lat: number; long: number }> = [];
    for (let north = -3; north <= 3; north += 1) {
      for (let east = -4; east <= 4; east += 1) {
        const lat = corner.lat + north * CELL;
        const long = corner.long + east * CELL;
        for (const [dLat, dLong] of [
          [1e-9, 1e-9],
          [-1e-9, -1e-9],
          [1e-9, -1e-9],
          [-1e-9, 1e-9],
        ] as const) {
          rows.push({ lat: lat + dLat, long: long + dLong });
        }
      }
    }
    for (const row of rows) lattice.push(await insertRequest({ service_code: code, ...row }));
    ids.push(...lattice);
    // Distances of the lattice from the centre on the spheroid: radii just below, at and just above each of
    // them, so that cells flip between inside and crossed right where it matters.
    const { rows: distances } = await ctx().db.raw(
      `SELECT DISTINCT round(ST_Distance(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)::numeric, 3)::float8 AS d
       FROM service_requests WHERE id = ANY(?::bigint[]) ORDER BY 1`,
      [centre.long, centre.lat, `{${lattice.join(',')}}`],
    );
    const radii = (distances as Array<{ d: number }>)
      .map((row) => Number(row.d))
      .filter((d) => d > 60 && d < 420)
      .filter((_d, index) => index % 3 === 0)
      .flatMap((d) => [d - 0.01, d + 0.01, d * 1.0005, d * 0.9995]);
    expect(radii.length).to.be.greaterThan(60);
    let inner = 0;
    for (const radius of radii) {
      const truth = await expected('ST_DWithin(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [
        centre.long,
        centre.lat,
        radius,
      ]);
      if (truth.length > 40) inner += 1;
      await expectSame({ near: { ...centre, radius } }, truth);
    }
    expect(inner, 'circles large enough to hold whole cells').to.be.greaterThan(10);
  });

  it('by the antimeridian the grid steps aside and the exact test answers alone', async () => {
    const near = { lat: -47.3, long: 179.9995, radius: 200 };
    const truth = await expected('ST_DWithin(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ?)', [
      near.long,
      near.lat,
      near.radius,
    ]);
    expect(truth).to.have.length(2); // both sides of the line
    await expectSame({ near }, truth);
  });
});
