// EXT (FixMyStreet): GET services.{format}?lat=&long= lists only the services offered at that point. A service
// without availability rows is offered everywhere; one limited to areas only inside them (PostGIS).
import { expect } from 'chai';
import { addServices } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, unique } from '../helpers/test-server.js';

// Two areas of the test city, away from the areas other tests draw.
const WEST = { lat: 39.6, long: -82.75 };
const EAST = { lat: 39.6, long: -82.45 };
const NOWHERE = { lat: 39.6, long: -82.6 };

async function insertArea(code: string, at: { lat: number; long: number }): Promise<string> {
  const { db, config } = ctx();
  const [row] = await db('service_areas')
    .insert({
      jurisdiction_id: config.jurisdictionId,
      code,
      name: code,
      kind: 'district',
      area: db.raw('ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(?, ?), 4326), 0.05))::geography', [at.long, at.lat]),
    })
    .returning(db.raw('id::text AS id') as unknown as string);
  return (row as { id: string }).id;
}

async function offerIn(serviceCode: string, areaIds: string[]): Promise<void> {
  const { db, config } = ctx();
  const service = (await db('services')
    .where({ jurisdiction_id: config.jurisdictionId, service_code: serviceCode })
    .first(db.raw('id::text AS id'))) as { id: string };
  await db('service_availability').insert(areaIds.map((areaId) => ({ service_id: service.id, service_area_id: areaId })));
}

describe('GET services with lat/long (services offered at a point)', () => {
  const WEST_ONLY = unique('AT_WEST').toUpperCase();
  const BOTH = unique('AT_BOTH').toUpperCase();
  const EVERYWHERE = unique('AT_ALL').toUpperCase();

  before(async () => {
    await addServices([
      { service_code: WEST_ONLY, service_name: 'West only' },
      { service_code: BOTH, service_name: 'West and east' },
      { service_code: EVERYWHERE, service_name: 'Everywhere' },
    ]);
    const west = await insertArea(unique('west'), WEST);
    const east = await insertArea(unique('east'), EAST);
    await offerIn(WEST_ONLY, [west]);
    await offerIn(BOTH, [west, east]);
  });

  const codesAt = async (format: string, query: string): Promise<string[]> => {
    const answer = await get(`${BASE}/services.${format}${query}`);
    expect(answer.status, answer.text).to.equal(200);
    assertSchema('services.json', answer.body);
    return (answer.body as Array<{ service_code: string }>).map((service) => service.service_code);
  };

  for (const format of FORMATS) {
    it(`lists only the services offered at the point (${format})`, async () => {
      const west = await codesAt(format, `?lat=${WEST.lat}&long=${WEST.long}`);
      expect(west).to.include.members([WEST_ONLY, BOTH, EVERYWHERE, 'POTHOLE']);
      const east = await codesAt(format, `?lat=${EAST.lat}&long=${EAST.long}`);
      expect(east).to.include.members([BOTH, EVERYWHERE, 'POTHOLE']);
      expect(east).to.not.include(WEST_ONLY);
      const nowhere = await codesAt(format, `?lat=${NOWHERE.lat}&long=${NOWHERE.long}&jurisdiction_id=`);
      expect(nowhere).to.include.members([EVERYWHERE, 'POTHOLE']);
      expect(nowhere).to.not.include.members([WEST_ONLY]);
      expect(nowhere).to.not.include(BOTH);
    });

    it(`without lat/long (or with them empty) lists every active service, as before (${format})`, async () => {
      for (const query of ['', '?lat=&long=']) {
        expect(await codesAt(format, query)).to.include.members([WEST_ONLY, BOTH, EVERYWHERE, 'POTHOLE']);
      }
    });

    it(`refuses lat without long, values out of range and non-numbers with 400 (${format})`, async () => {
      const cases: Array<[string, string]> = [
        [`?lat=${WEST.lat}`, 'lat was sent without long: they go together.'],
        [`?long=${WEST.long}`, 'long was sent without lat: they go together.'],
        ['?lat=95&long=0', 'lat must be a number between -90 and 90.'],
        ['?lat=0&long=-200', 'long must be a number between -180 and 180.'],
        ['?lat=north&long=0', 'lat must be a number between -90 and 90.'],
      ];
      for (const [query, description] of cases) {
        const answer = await get(`${BASE}/services.${format}${query}`);
        expect(answer.status, query).to.equal(400);
        expect(answer.headers['content-type']).to.match(format === 'json' ? /^application\/json/ : /^text\/xml/);
        expect(
          (answer.body as Array<{ code: number; description: string }>).map((error) => error.description),
          query,
        ).to.include(description);
      }
    });
  }
});
