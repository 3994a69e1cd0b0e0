// The duplicate probe of a create (store/requests-store.ts) reads the index of open requests by service, place
// and date, nearest first, instead of every open request near the point. The rule must not change: the
// nearest (as ST_Distance measures, on the spheroid) open request of the same service requested within the
// window and within the radius, the lowest id among equals; closed, old, other services' and farther ones never.
import { expect } from 'chai';
import { addServices, createRequest, insertRequest } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

// A spot of our own, far from the other tests' points: the Barents Sea, at 70° N (where the sphere and the
// spheroid disagree most between north-south and east-west distances).
const SPOT = { lat: 70 + Math.random() * 0.5, long: 30 + Math.random() * 5 };
const SPHERE_METERS_PER_DEGREE = (6_371_008.8 * Math.PI) / 180;

/** A point `north` and `east` metres (on the sphere) from `from`. */
function offset(from: { lat: number; long: number }, north: number, east: number): { lat: number; long: number } {
  return {
    lat: from.lat + north / SPHERE_METERS_PER_DEGREE,
    long: from.long + east / (SPHERE_METERS_PER_DEGREE * Math.cos((from.lat * Math.PI) / 180)),
  };
}

const text = (point: { lat: number; long: number }): { lat: string; long: string } => ({
  lat: point.lat.toFixed(9),
  long: point.long.toFixed(9),
});

async function suspectedDuplicateOf(id: string): Promise<string | null> {
  const row = await ctx().db('service_requests').where({ id }).first(ctx().db.raw('suspected_duplicate_of::text AS of'));
  return (row as { of: string | null }).of;
}

describe('duplicate probe on create: bounded, same rule', () => {
  const code = unique('DUPPROBE').toUpperCase();
  const otherCode = unique('DUPOTHER').toUpperCase();

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Duplicate probe', description: 'Rows of this test.', type: 'realtime' },
      { service_code: otherCode, service_name: 'Duplicate probe, other', description: 'Rows of this test.', type: 'realtime' },
    ]);
  });

  it('takes the nearest open, recent request of the same service, passing over nearer ones that do not count', async () => {
    const at = offset(SPOT, 0, 0);
    // Nearer than the candidates, but another service (many of them), closed, or older than the window (168 h).
    for (let index = 0; index < 30; index += 1)
      await insertRequest({ service_code: otherCode, ...offset(at, 0.5, index * 0.02) });
    await insertRequest({ service_code: code, status: 'closed', ...offset(at, 1, 0) });
    await insertRequest({
      service_code: code,
      ...offset(at, 0, 2),
      requested_datetime: new Date(Date.now() - 8 * 24 * 3600_000),
    });
    const far = await insertRequest({ service_code: code, ...offset(at, 20, 0) });
    const near = await insertRequest({ service_code: code, ...offset(at, 0, -10) });
    await insertRequest({ service_code: code, ...offset(at, 60, 0) });
    const created = await createRequest({ service_code: code, ...text(at) });
    expect(await suspectedDuplicateOf(created)).to.equal(near);
    expect(far).not.to.equal(near);
  });

  it('measures on the spheroid like ST_Distance, even where the sphere ranks the two candidates the other way', async () => {
    const at = offset(SPOT, 500, 0);
    const east = offset(at, 0, 10);
    const north = offset(at, 10.005, 0);
    const point = (p: { lat: number; long: number }) => `ST_SetSRID(ST_MakePoint(${p.long}, ${p.lat}), 4326)::geography`;
    // The premise: the sphere puts the east point nearer, the spheroid the north one.
    const { rows } = await ctx().db.raw(
      `SELECT ${point(east)} <-> ${point(at)} < ${point(north)} <-> ${point(at)} AS sphere_east,
              ST_Distance(${point(north)}, ${point(at)}) < ST_Distance(${point(east)}, ${point(at)}) AS spheroid_north`,
    );
    expect(rows[0]).to.deep.equal({ sphere_east: true, spheroid_north: true });
    await insertRequest({ service_code: code, ...east });
    const northId = await insertRequest({ service_code: code, ...north });
    const created = await createRequest({ service_code: code, ...text(at) });
    expect(await suspectedDuplicateOf(created)).to.equal(northId);
  });

  it('takes the lowest id among candidates at the same distance, and none beyond the radius', async () => {
    const at = offset(SPOT, 1000, 0);
    const spot = offset(at, 5, 5);
    const first = await insertRequest({ service_code: code, ...spot });
    await insertRequest({ service_code: code, ...spot });
    expect(await suspectedDuplicateOf(await createRequest({ service_code: code, ...text(at) }))).to.equal(first);

    const lonely = offset(SPOT, 2000, 0);
    await insertRequest({ service_code: code, ...offset(lonely, 51, 0) });
    await insertRequest({ service_code: otherCode, ...offset(lonely, 1, 0) });
    expect(await suspectedDuplicateOf(await createRequest({ service_code: code, ...text(lonely) }))).to.equal(null);
  });
});
