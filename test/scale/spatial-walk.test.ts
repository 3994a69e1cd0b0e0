// A list bounded by place is found by a newest-first walk of the covering date index when the place is dense
// (store/requests-store.ts findNewestInPlace), by the spatial index otherwise. Both must give exactly the list
// the rule defines: the newest matches (requested_datetime, then id, descending), every filter applied.
import { expect } from 'chai';
import { findRequests } from '../../src/store/requests-store.js';
import type { RequestQuery } from '../../src/domain/types.js';
import { addServices, insertRequest } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

// A spot of our own: the Tasman Sea.
const SPOT = { lat: -38 - Math.random() * 0.5, long: 160 + Math.random() * 0.5 };
const METERS_PER_DEGREE = 111_320;
const at = (north: number, east: number) => ({
  lat: SPOT.lat + north / METERS_PER_DEGREE,
  long: SPOT.long + east / (METERS_PER_DEGREE * Math.cos((SPOT.lat * Math.PI) / 180)),
});

describe('lists bounded by place: newest-first walk or spatial index, the same answer', () => {
  const code = unique('WALK').toUpperCase();
  const otherCode = unique('WALKOTHER').toUpperCase();
  // Inside the 100 m circle, newest first: [id, status, service].
  const inside: Array<{ id: string; status: 'open' | 'closed'; code: string }> = [];

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Walk', description: 'Rows of this test.', type: 'realtime' },
      { service_code: otherCode, service_name: 'Walk, other', description: 'Rows of this test.', type: 'realtime' },
    ]);
    const now = Date.now();
    // 40 requests in the circle (two share each date: the id breaks the tie), some closed, some of another
    // service, one private; and as many just outside it, interleaved in time.
    const rows: Array<{ id: string; status: 'open' | 'closed'; code: string; at: number }> = [];
    for (let index = 0; index < 40; index += 1) {
      const requested = new Date(now - Math.floor(index / 2) * 60_000);
      const status = index % 5 === 0 ? 'closed' : 'open';
      const service = index % 7 === 0 ? otherCode : code;
      const id = await insertRequest({ service_code: service, status, requested_datetime: requested, ...at(index, -index) });
      if (index === 13) await ctx().db('service_requests').where({ id }).update({ is_public: false });
      else rows.push({ id, status, code: service, at: requested.getTime() });
      await insertRequest({ service_code: code, requested_datetime: requested, ...at(150 + index, 0) });
    }
    rows.sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id));
    inside.push(...rows);
  });

  const query = (extra: Partial<RequestQuery>): RequestQuery => ({
    jurisdiction_id: ctx().config.jurisdictionId,
    limit: 1000,
    offset: 0,
    requested_from: new Date(Date.now() - 90 * 24 * 3600_000),
    near: { ...at(0, 0), radius: 100 },
    ...extra,
  });
  const ids = async (extra: Partial<RequestQuery>): Promise<string[]> =>
    (await findRequests(ctx().db, query(extra))).map((row) => row.service_request_id);

  it('small pages of a dense place (the walk): the newest matches in order, with offsets and filters', async () => {
    expect(await ids({ limit: 5 })).to.deep.equal(inside.slice(0, 5).map((row) => row.id));
    expect(await ids({ limit: 7, offset: 6 })).to.deep.equal(inside.slice(6, 13).map((row) => row.id));
    expect(await ids({ limit: 4, statuses: ['closed'] })).to.deep.equal(
      inside
        .filter((row) => row.status === 'closed')
        .slice(0, 4)
        .map((row) => row.id),
    );
    expect(await ids({ limit: 3, service_codes: [otherCode] })).to.deep.equal(
      inside
        .filter((row) => row.code === otherCode)
        .slice(0, 3)
        .map((row) => row.id),
    );
    const box = { min_long: at(-1, -45).long, min_lat: at(-1, -45).lat, max_long: at(45, 1).long, max_lat: at(45, 1).lat };
    expect(await ids({ limit: 6, near: undefined, bbox: box })).to.deep.equal(inside.slice(0, 6).map((row) => row.id));
  });

  it('a page larger than the place holds (the spatial index): every match, in order', async () => {
    expect(await ids({})).to.deep.equal(inside.map((row) => row.id));
    expect(await ids({ limit: 100, offset: 30 })).to.deep.equal(inside.slice(30).map((row) => row.id));
  });
});
