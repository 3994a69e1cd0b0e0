// EXT geographic filters on GET requests (digest §3.3, checklist 61): lat/long/radius and bbox.
import { expect } from 'chai';
import { addServices, insertRequest } from '../helpers/build.js';
import { ctx, FORMATS, unique } from '../helpers/test-server.js';
import { requestIds as ids, refusedQuery as refused } from '../helpers/queries.js';

// A spot of our own, far from Lancaster (and from other tests' rows): somewhere in southern Africa, with
// latitude and longitude of opposite signs and different sizes so that a swapped order finds nothing.
const SPOT = { lat: -28 - Math.random() * 4, long: 24 + Math.random() * 4 };
const METRES_PER_DEGREE_LAT = 110_850; // near 30° latitude

/** The point `north` and `east` metres away from SPOT. */
function offset(north: number, east: number): { lat: number; long: number } {
  const lat = SPOT.lat + north / METRES_PER_DEGREE_LAT;
  const long = SPOT.long + east / (METRES_PER_DEGREE_LAT * Math.cos((SPOT.lat * Math.PI) / 180));
  return { lat, long };
}

describe('EXT spatial filters on GET requests (checklist 61)', () => {
  const code = unique('SPATIAL').toUpperCase();
  const made: Record<string, { id: string; lat?: number; long?: number }> = {};
  const near = `lat=${SPOT.lat}&long=${SPOT.long}`;

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Spatial test', description: 'Rows of the spatial tests.', type: 'realtime' },
    ]);
    const points: Record<string, { lat: number; long: number } | undefined> = {
      north50: offset(50, 0), // in radius 200
      east150: offset(0, 150), // in radius 200
      south500: offset(-500, 0), // out of radius 200
      west250: offset(0, -250), // out of radius 200
      far5km: offset(5000, 5000), // ~7 km
      addressOnly: undefined, // no location: never in a spatial result
    };
    for (const [name, point] of Object.entries(points)) {
      const id = await insertRequest({ service_code: code, ...(point ?? {}) });
      made[name] = { id, ...(point ?? {}) };
    }
  });

  it('the fixture points lie where the test thinks (distances computed by PostGIS)', async () => {
    const { db } = ctx();
    const rows = (await db('service_requests')
      .select(
        db.raw('id::text AS id'),
        db.raw('ST_Distance(location, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography) AS metres', [SPOT.long, SPOT.lat]),
      )
      .whereIn(
        'id',
        Object.values(made).map((row) => row.id),
      )) as Array<{ id: string; metres: number | null }>;
    const distance = (name: string): number => Number(rows.find((row) => row.id === made[name]!.id)!.metres);
    expect(distance('north50')).to.be.within(45, 55);
    expect(distance('east150')).to.be.within(140, 160);
    expect(distance('south500')).to.be.within(480, 520);
    expect(distance('west250')).to.be.within(240, 260);
  });

  for (const format of FORMATS) {
    describe(format, () => {
      it('lat/long/radius=200 returns the points at ~50 m and ~150 m, not those at ~250 m and ~500 m', async () => {
        const found = await ids(format, `service_code=${code}&${near}&radius=200`);
        expect(found).to.have.members([made.north50!.id, made.east150!.id]);
      });

      it('the radius is in metres: 100 keeps only the 50 m point; 1000 adds the 250 m and 500 m ones', async () => {
        expect(await ids(format, `service_code=${code}&${near}&radius=100`)).to.deep.equal([made.north50!.id]);
        expect(await ids(format, `service_code=${code}&${near}&radius=1000`)).to.have.members([
          made.north50!.id,
          made.east150!.id,
          made.south500!.id,
          made.west250!.id,
        ]);
        expect(await ids(format, `service_code=${code}&${near}&radius=50000`)).to.have.members(
          ['north50', 'east150', 'south500', 'west250', 'far5km'].map((name) => made[name]!.id),
        );
      });

      it('without a service filter, the circle still holds only our points (the spot is ours)', async () => {
        expect(await ids(format, `${near}&radius=200`)).to.have.members([made.north50!.id, made.east150!.id]);
      });

      it('a circle elsewhere finds none of them', async () => {
        expect(await ids(format, `service_code=${code}&lat=${SPOT.long}&long=${SPOT.lat}&radius=50000`)).to.deep.equal([]);
      });

      for (const [query, missing] of [
        [`lat=${SPOT.lat}&long=${SPOT.long}`, ['radius']],
        [`lat=${SPOT.lat}&radius=200`, ['long']],
        [`long=${SPOT.long}&radius=200`, ['lat']],
        ['radius=200', ['lat', 'long']],
        [`lat=${SPOT.lat}`, ['long', 'radius']],
      ] as const) {
        it(`a partial triple (${query.replace(/=[^&]+/g, '')}) → 400 naming ${missing.join(' and ')}`, async () => {
          const description = await refused(format, `service_code=${code}&${query}`);
          for (const name of missing) expect(description).to.include(name);
        });
      }

      for (const [query, name] of [
        ['lat=95&long=24&radius=200', 'lat'],
        ['lat=-91&long=24&radius=200', 'lat'],
        ['lat=-28&long=181&radius=200', 'long'],
        ['lat=-28&long=24&radius=0', 'radius'],
        ['lat=-28&long=24&radius=-1', 'radius'],
        ['lat=-28&long=24&radius=60000', 'radius'],
        ['lat=-28&long=24&radius=abc', 'radius'],
        ['lat=north&long=24&radius=200', 'lat'],
      ] as const) {
        it(`${query} → 400 naming ${name}`, async () => {
          expect(await refused(format, query)).to.include(name);
        });
      }

      describe('bbox=minLong,minLat,maxLong,maxLat', () => {
        // A box around the spot of ±300 m north–south and ±200 m east–west.
        const sw = offset(-300, -200);
        const ne = offset(300, 200);
        const inside = (): string[] => [made.north50!.id, made.east150!.id];

        it('longitude first: only requests inside the box', async () => {
          expect(await ids(format, `service_code=${code}&bbox=${sw.long},${sw.lat},${ne.long},${ne.lat}`)).to.have.members(
            inside(),
          );
        });

        it('either corner order', async () => {
          expect(await ids(format, `service_code=${code}&bbox=${ne.long},${ne.lat},${sw.long},${sw.lat}`)).to.have.members(
            inside(),
          );
          expect(await ids(format, `service_code=${code}&bbox=${sw.long},${ne.lat},${ne.long},${sw.lat}`)).to.have.members(
            inside(),
          );
        });

        it('; separates as well as , (also with spaces)', async () => {
          expect(
            await ids(format, `service_code=${code}&bbox=${encodeURIComponent(`${sw.long};${sw.lat};${ne.long};${ne.lat}`)}`),
          ).to.have.members(inside());
          expect(
            await ids(format, `service_code=${code}&bbox=${encodeURIComponent(`${sw.long}, ${sw.lat}, ${ne.long}, ${ne.lat}`)}`),
          ).to.have.members(inside());
        });

        it('a wider box takes the 500 m point; the latitude-first reading of the same numbers finds nothing', async () => {
          const south = offset(-600, -300);
          expect(await ids(format, `service_code=${code}&bbox=${south.long},${south.lat},${ne.long},${ne.lat}`)).to.have.members([
            ...inside(),
            made.south500!.id,
            made.west250!.id,
          ]);
          expect(await ids(format, `service_code=${code}&bbox=${sw.lat},${sw.long},${ne.lat},${ne.long}`)).to.deep.equal([]);
        });

        it('combines with lat/long/radius (both must hold)', async () => {
          expect(
            await ids(format, `service_code=${code}&bbox=${sw.long},${sw.lat},${ne.long},${ne.lat}&${near}&radius=100`),
          ).to.deep.equal([made.north50!.id]);
        });

        for (const bbox of [
          '24,-29,25',
          'a,b,c,d',
          '24,-29,25,-28,1',
          '0,0,1,100',
          '0,-100,1,0',
          '-190,0,0,1',
          '24,-29,25,north',
        ]) {
          it(`bbox=${bbox} → 400 naming bbox`, async () => {
            expect(await refused(format, `bbox=${encodeURIComponent(bbox)}`)).to.include('bbox');
          });
        }
      });
    });
  }
});
