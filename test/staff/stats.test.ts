// Trends (/api/v1/stats…) against the real store: every test inserts its own requests for its own services
// (unique codes) with controlled dates and places, and asserts exact counts on those services only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import request from 'supertest';
import { createKey } from '../../src/store/api-keys-store.js';
import { addServices } from '../helpers/build.js';
import { ctx, unique, expectErrors } from '../helpers/test-server.js';

const FRAGMENT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'spec',
  'openapi-fragments',
  'staff-stats.json',
);
const HOUR = 3600 * 1000;

// The documented response schemas (the OpenAPI fragment), so the documentation cannot drift from the answers.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
ajv.addSchema({ $id: 'staff-stats', ...(JSON.parse(fs.readFileSync(FRAGMENT, 'utf8')) as object) });

function assertDocumented(schemaName: string, body: unknown): void {
  const check = ajv.getSchema(`staff-stats#/components/schemas/${schemaName}`);
  if (!check) throw new Error(`No schema ${schemaName} in the fragment`);
  if (!check(body))
    throw new Error(`Not a ${schemaName}: ${JSON.stringify(check.errors, null, 1)}\n${JSON.stringify(body).slice(0, 2000)}`);
}

let staffKey = '';

async function call(pathname: string, query: Record<string, string | number> = {}, key: string | null = staffKey) {
  let call = request(ctx().app)
    .get(`/api/v1${pathname}`)
    .query({ jurisdiction_id: ctx().config.jurisdictionId, ...query });
  if (key !== null) call = call.set('Authorization', `Bearer ${key}`);
  return call;
}

/** New services with unique codes (in one group when `group` is given); returns the codes in sorted order. */
async function newServices(prefixes: string[], group: string | null = null): Promise<string[]> {
  const codes = prefixes.map((prefix) => unique(prefix));
  await addServices(codes.map((code) => ({ service_code: code, service_name: `Stats ${code}`, group })));
  return codes;
}

interface Row {
  requested: string | Date;
  closed?: string | Date;
  expected?: string | Date;
  status?: 'open' | 'closed';
  detailed_status?: string;
  agency?: string | null;
  lat?: number;
  long?: number;
}

async function insertRows(serviceCode: string, rows: Row[]): Promise<void> {
  const { db, config } = ctx();
  const service = (await db('services')
    .where({ jurisdiction_id: config.jurisdictionId, service_code: serviceCode })
    .first('id')) as { id: string };
  for (const row of rows) {
    const status = row.status ?? (row.closed ? 'closed' : 'open');
    await db('service_requests').insert({
      jurisdiction_id: config.jurisdictionId,
      service_id: service.id,
      status,
      detailed_status: row.detailed_status ?? (status === 'closed' ? 'closed' : 'submitted'),
      description: unique('stats row'),
      agency_responsible: row.agency ?? null,
      requested_datetime: new Date(row.requested),
      updated_datetime: new Date(row.closed ?? row.requested),
      closed_datetime: row.closed ? new Date(row.closed) : null,
      expected_datetime: row.expected ? new Date(row.expected) : null,
      location:
        row.lat === undefined ? null : db.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography', [row.long ?? 0, row.lat]),
    });
  }
}

function expectStatsErrors(response: request.Response, status: number, pattern?: RegExp): void {
  expect(response.headers['content-type']).to.match(/^application\/json/);
  const described = expectErrors(response, status);
  if (pattern) expect(described).to.match(pattern);
}

describe('Staff API: trends (/api/v1/stats)', () => {
  before(async () => {
    ({ key: staffKey } = await createKey(ctx().db, unique('stats'), 'staff'));
    expect(ctx().config.timeZone).to.equal('America/New_York'); // the bucket boundaries below are New York's
  });

  describe('access and parameters', () => {
    it('needs a key (401) of the staff role (403)', async () => {
      for (const pathname of ['/stats', '/stats/backlog', '/stats/time-to-close', '/stats/overdue', '/stats/hotspots']) {
        const anonymous = await call(pathname, {}, null);
        expectStatsErrors(anonymous, 401);
        expect(anonymous.headers['www-authenticate']).to.match(/^Bearer/);
      }
      const { key: clientKey } = await createKey(ctx().db, unique('stats client'), 'client');
      expectStatsErrors(await call('/stats', {}, clientKey), 403, /staff key/);
      expectStatsErrors(await call('/stats/hotspots', {}, clientKey), 403);
    });

    it('refuses bad group_by, interval, dates, windows, cell and counts with 400 naming the parameter', async () => {
      expectStatsErrors(await call('/stats', { group_by: 'colour' }), 400, /group_by must be/);
      expectStatsErrors(await call('/stats', { interval: 'year' }), 400, /interval must be/);
      expectStatsErrors(await call('/stats/backlog', { interval: 'none' }), 400, /interval must be day, week or month/);
      expectStatsErrors(await call('/stats', { start_date: 'yesterday' }), 400, /start_date must be/);
      expectStatsErrors(await call('/stats/time-to-close', { end_date: '2024-02-30' }), 400, /end_date must be/);
      expectStatsErrors(
        await call('/stats', { start_date: '2024-05-02', end_date: '2024-05-01' }),
        400,
        /start_date must not be after end_date/,
      );
      expectStatsErrors(
        await call('/stats', { interval: 'day', start_date: '2020-01-01', end_date: '2024-01-01' }),
        400,
        /1000 days/,
      );
      expectStatsErrors(
        await call('/stats/time-to-close', { start_date: '1990-01-01', end_date: '2024-01-01' }),
        400,
        /3660 days/,
      );
      expectStatsErrors(await call('/stats/hotspots', { cell: 10 }), 400, /cell must be/);
      expectStatsErrors(await call('/stats/hotspots', { cell: 6000 }), 400, /cell must be/);
      expectStatsErrors(await call('/stats/hotspots', { cell: 'big' }), 400, /cell must be/);
      expectStatsErrors(await call('/stats/hotspots', { cell: 12.5 }), 400, /cell must be/);
      expectStatsErrors(await call('/stats/hotspots', { min_count: 0 }), 400, /min_count must be/);
      expectStatsErrors(await call('/stats/hotspots', { limit: 501 }), 400, /limit must be/);
      // Every problem at once.
      const both = await call('/stats', { group_by: 'x', interval: 'y' });
      expectStatsErrors(both, 400);
      expect(both.body).to.have.length(2);
    });

    it('answers 404 for an unknown jurisdiction and 405 for other methods', async () => {
      expectStatsErrors(await call('/stats', { jurisdiction_id: 'nowhere.example' }), 404, /nowhere\.example/);
      const post = await request(ctx().app).post('/api/v1/stats/overdue').set('Authorization', `Bearer ${staffKey}`);
      expectStatsErrors(post, 405);
      expect(post.headers.allow).to.include('GET');
    });
  });

  describe('GET /api/v1/stats', () => {
    let a = '';
    let b = '';
    let c = '';
    const group = unique('stats group');
    before(async () => {
      const grouped = await newServices(['sa', 'sb'], group);
      a = grouped[0]!;
      b = grouped[1]!;
      c = (await newServices(['sc']))[0]!;
      // New York springs forward on 2019-03-10: that day has 23 hours.
      await insertRows(a, [
        { requested: '2019-03-08T23:59:59-05:00' }, // before the window
        { requested: '2019-03-09T23:30:00-05:00', agency: 'Roads' },
        { requested: '2019-03-10T00:10:00-05:00', status: 'closed', closed: '2019-03-10T05:00:00-04:00', agency: 'Roads' },
        { requested: '2019-03-10T23:59:00-04:00', detailed_status: 'in_progress' },
        { requested: '2019-03-11T00:00:00-04:00', detailed_status: 'on_hold', agency: 'Parks' },
        { requested: '2019-03-12T00:00:00-04:00' }, // after the whole day of end_date
      ]);
      await insertRows(b, [
        { requested: '2019-03-10T12:00:00-04:00', agency: 'Roads' },
        {
          requested: '2019-03-11T09:00:00-04:00',
          status: 'closed',
          closed: '2019-03-11T10:00:00-04:00',
          detailed_status: 'rejected',
        },
      ]);
      await insertRows(c, [{ requested: '2019-03-31T23:00:00-04:00' }, { requested: '2019-04-01T00:00:00-04:00' }]);
    });

    it('counts per local day and service, with exact bucket boundaries across DST', async () => {
      const response = await call('/stats', {
        group_by: 'service_code',
        interval: 'day',
        start_date: '2019-03-09',
        end_date: '2019-03-11',
        service_code: `${a},${b}`,
      });
      expect(response.status, response.text).to.equal(200);
      expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
      assertDocumented('StatsCounts', response.body);
      expect(response.body).to.include({
        group_by: 'service_code',
        interval: 'day',
        start_date: '2019-03-09T00:00:00-05:00',
        end_date: '2019-03-11T23:59:59-04:00',
        total: 6,
        time_zone: 'America/New_York',
      });
      expect(response.body.service_code).to.deep.equal([a, b]);
      expect(response.body.rows).to.deep.equal([
        { bucket: '2019-03-09T00:00:00-05:00', key: a, count: 1 },
        { bucket: '2019-03-10T00:00:00-05:00', key: a, count: 2 },
        { bucket: '2019-03-10T00:00:00-05:00', key: b, count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: a, count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: b, count: 1 },
      ]);
    });

    it('counts per week (Monday) and per month', async () => {
      const weeks = await call('/stats', {
        interval: 'week',
        start_date: '2019-03-09T00:00:00',
        end_date: '2019-03-11T23:59:59',
        service_code: [a, b].join(','),
      });
      expect(weeks.status, weeks.text).to.equal(200);
      expect(weeks.body.group_by).to.equal('service_code'); // the default
      expect(weeks.body.rows).to.deep.equal([
        { bucket: '2019-03-04T00:00:00-05:00', key: a, count: 3 },
        { bucket: '2019-03-04T00:00:00-05:00', key: b, count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: a, count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: b, count: 1 },
      ]);
      const months = await call('/stats', {
        interval: 'month',
        start_date: '2019-03-01',
        end_date: '2019-04-30',
        service_code: c,
      });
      expect(months.body.rows).to.deep.equal([
        { bucket: '2019-03-01T00:00:00-05:00', key: c, count: 1 },
        { bucket: '2019-04-01T00:00:00-04:00', key: c, count: 1 },
      ]);
      // A zone-less start_date is read in New York: 2019-04-01T00:00 there is 04:00Z.
      const april = await call('/stats', {
        interval: 'none',
        start_date: '2019-04-01T00:00:00',
        end_date: '2019-04-30',
        service_code: c,
      });
      expect(april.body.rows).to.deep.equal([{ bucket: null, key: c, count: 1 }]);
      const fromUtc = await call('/stats', {
        interval: 'none',
        start_date: '2019-04-01T00:00:00Z',
        end_date: '2019-04-30',
        service_code: c,
      });
      expect(fromUtc.body.rows).to.deep.equal([{ bucket: null, key: c, count: 2 }]);
    });

    it('groups by group, status, detailed_status and agency (null keys last)', async () => {
      const window = { interval: 'none', start_date: '2019-03-09', end_date: '2019-03-11', service_code: [a, b, c].join(',') };
      const byGroup = await call('/stats', { ...window, group_by: 'group' });
      expect(byGroup.body.rows).to.deep.equal([{ bucket: null, key: group, count: 6 }]);
      const byGroupWide = await call('/stats', { ...window, end_date: '2019-04-30', group_by: 'group' });
      expect(byGroupWide.body.rows).to.deep.equal([
        { bucket: null, key: group, count: 7 }, // with a's request of 2019-03-12
        { bucket: null, key: null, count: 2 },
      ]);
      const byStatus = await call('/stats', { ...window, group_by: 'status' });
      expect(byStatus.body.rows).to.deep.equal([
        { bucket: null, key: 'open', count: 4 },
        { bucket: null, key: 'closed', count: 2 },
      ]);
      const byDetailed = await call('/stats', { ...window, group_by: 'DETAILED_STATUS' });
      expect(byDetailed.body.rows).to.deep.equal([
        { bucket: null, key: 'submitted', count: 2 },
        { bucket: null, key: 'closed', count: 1 },
        { bucket: null, key: 'in_progress', count: 1 },
        { bucket: null, key: 'on_hold', count: 1 },
        { bucket: null, key: 'rejected', count: 1 },
      ]);
      const byAgency = await call('/stats', { ...window, group_by: 'agency' });
      expect(byAgency.body.rows).to.deep.equal([
        { bucket: null, key: 'Roads', count: 3 },
        { bucket: null, key: null, count: 2 },
        { bucket: null, key: 'Parks', count: 1 },
      ]);
      const byAgencyDay = await call('/stats', { ...window, interval: 'day', group_by: 'agency' });
      expect(byAgencyDay.body.rows).to.deep.equal([
        { bucket: '2019-03-09T00:00:00-05:00', key: 'Roads', count: 1 },
        { bucket: '2019-03-10T00:00:00-05:00', key: 'Roads', count: 2 },
        { bucket: '2019-03-10T00:00:00-05:00', key: null, count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: 'Parks', count: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', key: null, count: 1 },
      ]);
    });

    it('defaults to the last 30 days, per day, by service_code', async () => {
      const [d] = await newServices(['sd']);
      const now = Date.now();
      await insertRows(d!, [
        { requested: new Date(now - 2 * HOUR) },
        { requested: new Date(now - 29 * 24 * HOUR) },
        { requested: new Date(now - 31 * 24 * HOUR) },
      ]);
      const response = await call('/stats', { service_code: d! });
      expect(response.status, response.text).to.equal(200);
      assertDocumented('StatsCounts', response.body);
      expect(response.body).to.include({ group_by: 'service_code', interval: 'day', total: 2 });
      const span = Date.parse(response.body.end_date as string) - Date.parse(response.body.start_date as string);
      expect(span).to.equal(30 * 24 * HOUR);
      expect(Math.abs(Date.parse(response.body.end_date as string) - now)).to.be.below(60_000);
      expect((response.body.rows as Array<{ count: number }>).map((row) => row.count)).to.deep.equal([1, 1]);
    });

    it('answers empty rows when nothing matches', async () => {
      const response = await call('/stats', { start_date: '2001-01-01', end_date: '2001-01-31', service_code: a });
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ total: 0 });
      expect(response.body.rows).to.deep.equal([]);
    });
  });

  describe('GET /api/v1/stats/backlog', () => {
    it('counts the requests open at the end of each local day', async () => {
      const [code] = await newServices(['sbk']);
      await insertRows(code!, [
        { requested: '2019-03-08T10:00:00-05:00', closed: '2019-03-10T12:00:00-04:00' },
        { requested: '2019-03-09T10:00:00-05:00' },
        { requested: '2019-03-11T08:00:00-04:00', closed: '2019-03-11T20:00:00-04:00' },
        { requested: '2019-03-12T01:00:00-04:00', closed: '2019-03-13T09:00:00-04:00' },
        { requested: '2019-03-09T11:00:00-05:00', status: 'closed' }, // closed, date unknown: never counted
        { requested: '2019-03-13T01:00:00-04:00' }, // after the window
      ]);
      const response = await call('/stats/backlog', {
        interval: 'day',
        start_date: '2019-03-09',
        end_date: '2019-03-12',
        service_code: code!,
      });
      expect(response.status, response.text).to.equal(200);
      assertDocumented('StatsBacklog', response.body);
      expect(response.body).to.include({
        interval: 'day',
        start_date: '2019-03-09T00:00:00-05:00',
        end_date: '2019-03-12T23:59:59-04:00',
      });
      expect(response.body.rows).to.deep.equal([
        { bucket: '2019-03-09T00:00:00-05:00', at: '2019-03-10T00:00:00-05:00', open: 2 },
        { bucket: '2019-03-10T00:00:00-05:00', at: '2019-03-11T00:00:00-04:00', open: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', at: '2019-03-12T00:00:00-04:00', open: 1 },
        { bucket: '2019-03-12T00:00:00-04:00', at: '2019-03-12T23:59:59-04:00', open: 2 },
      ]);

      const weeks = await call('/stats/backlog', {
        interval: 'week',
        start_date: '2019-03-05',
        end_date: '2019-03-13T12:00:00',
        service_code: code!,
      });
      expect(weeks.body.rows).to.deep.equal([
        { bucket: '2019-03-04T00:00:00-05:00', at: '2019-03-11T00:00:00-04:00', open: 1 },
        { bucket: '2019-03-11T00:00:00-04:00', at: '2019-03-13T12:00:00-04:00', open: 2 },
      ]);

      const months = await call('/stats/backlog', {
        interval: 'month',
        start_date: '2019-02-01',
        end_date: '2019-04-30',
        service_code: code!,
      });
      expect(months.body.rows).to.deep.equal([
        { bucket: '2019-02-01T00:00:00-05:00', at: '2019-03-01T00:00:00-05:00', open: 0 },
        { bucket: '2019-03-01T00:00:00-05:00', at: '2019-04-01T00:00:00-04:00', open: 2 },
        { bucket: '2019-04-01T00:00:00-04:00', at: '2019-04-30T23:59:59-04:00', open: 2 },
      ]);
    });

    it('defaults to 31 daily buckets over the last 30 days', async () => {
      const [code] = await newServices(['sbd']);
      await insertRows(code!, [{ requested: new Date(Date.now() - 40 * 24 * HOUR) }]);
      const response = await call('/stats/backlog', { service_code: code! });
      expect(response.status, response.text).to.equal(200);
      const rows = response.body.rows as Array<{ open: number }>;
      expect(rows.length).to.be.within(30, 32);
      expect(rows.every((row) => row.open === 1)).to.equal(true);
    });
  });

  describe('GET /api/v1/stats/time-to-close', () => {
    it('gives the count, median, 90th percentile and mean hours per service and overall', async () => {
      const [e, f] = await newServices(['tce', 'tcf']);
      const requested = Date.parse('2019-06-10T08:00:00-04:00');
      const closedAfter = (hours: number) => ({ requested: new Date(requested), closed: new Date(requested + hours * HOUR) });
      await insertRows(e!, [
        closedAfter(1),
        closedAfter(2),
        closedAfter(3),
        closedAfter(4),
        closedAfter(10),
        { requested: '2019-04-01T00:00:00-04:00', closed: '2019-05-31T23:00:00-04:00' }, // closed before the window
        { requested: '2019-06-01T00:00:00-04:00' }, // open
        { requested: '2019-06-01T00:00:00-04:00', closed: '2019-06-02T00:00:00-04:00', status: 'open' }, // reopened
      ]);
      await insertRows(f!, [closedAfter(0.5), closedAfter(1.5)]);
      const response = await call('/stats/time-to-close', {
        start_date: '2019-06-01',
        end_date: '2019-06-30',
        service_code: `${e},${f}`,
      });
      expect(response.status, response.text).to.equal(200);
      assertDocumented('StatsTimeToClose', response.body);
      expect(response.body).to.include({ start_date: '2019-06-01T00:00:00-04:00', end_date: '2019-06-30T23:59:59-04:00' });
      // percentile_cont: e.g. p90 of 1,2,3,4,10 is at position 0.9 × 4 = 3.6, 4 + 0.6 × (10 − 4) = 7.6.
      expect(response.body.rows).to.deep.equal([
        { service_code: e, closed: 5, median_hours: 3, p90_hours: 7.6, mean_hours: 4 },
        { service_code: f, closed: 2, median_hours: 1, p90_hours: 1.4, mean_hours: 1 },
      ]);
      expect(response.body.overall).to.deep.equal({ closed: 7, median_hours: 2, p90_hours: 6.4, mean_hours: 3.14 });
    });

    it('answers zero and nulls when nothing closed', async () => {
      const [g] = await newServices(['tcg']);
      const response = await call('/stats/time-to-close', { service_code: g! });
      expect(response.status, response.text).to.equal(200);
      expect(response.body.rows).to.deep.equal([]);
      expect(response.body.overall).to.deep.equal({ closed: 0, median_hours: null, p90_hours: null, mean_hours: null });
    });
  });

  describe('GET /api/v1/stats/overdue', () => {
    it('counts open requests past expected_datetime by service, by agency and in all', async () => {
      const [g, h] = await newServices(['odg', 'odh']);
      const agency = unique('Roads agency');
      const now = Date.now();
      const past = new Date(now - HOUR);
      await insertRows(g!, [
        { requested: new Date(now - 5 * HOUR), expected: past, agency },
        { requested: new Date(now - 72 * HOUR), expected: new Date(now - 48 * HOUR), detailed_status: 'on_hold' },
        { requested: new Date(now - 5 * HOUR), expected: new Date(now + HOUR), agency }, // not yet due
        { requested: new Date(now - 5 * HOUR), expected: past, closed: new Date(now - 2 * HOUR), agency }, // closed
        { requested: new Date(now - 5 * HOUR), agency }, // no target
      ]);
      await insertRows(h!, [{ requested: '2018-01-01T00:00:00Z', expected: '2018-01-02T00:00:00Z', agency }]);
      const response = await call('/stats/overdue', { service_code: `${g},${h}` });
      expect(response.status, response.text).to.equal(200);
      assertDocumented('StatsOverdue', response.body);
      expect(response.body.total).to.equal(3);
      expect(response.body.by_service_code).to.deep.equal([
        { service_code: g, count: 2 },
        { service_code: h, count: 1 },
      ]);
      expect(response.body.by_agency).to.deep.equal([
        { agency, count: 2 },
        { agency: null, count: 1 },
      ]);
      expect(Math.abs(Date.parse(response.body.as_of as string) - now)).to.be.below(60_000);

      const onlyH = await call('/stats/overdue', { service_code: h! });
      expect(onlyH.body).to.deep.include({
        total: 1,
        by_service_code: [{ service_code: h, count: 1 }],
        by_agency: [{ agency, count: 1 }],
      });
    });

    it('answers zero when nothing is overdue', async () => {
      const [k] = await newServices(['odk']);
      const response = await call('/stats/overdue', { service_code: k! });
      expect(response.body).to.deep.include({ total: 0, by_service_code: [], by_agency: [] });
    });
  });

  describe('GET /api/v1/stats/hotspots', () => {
    const METRES_PER_DEGREE = 111_195;
    /** The centre of the grid cell holding (lat, long), computed like the server does. */
    function cellOf(lat: number, long: number, metres: number) {
      const dlat = metres / METRES_PER_DEGREE;
      const row = Math.floor(lat / dlat);
      const dlong = dlat / Math.max(Math.cos(((row + 0.5) * dlat * Math.PI) / 180), 0.01);
      const column = Math.floor(long / dlong);
      return { id: `${metres}m:${row}:${column}`, lat: (row + 0.5) * dlat, long: (column + 0.5) * dlong, dlat, dlong };
    }
    const inside = (ring: number[][], long: number, lat: number): boolean => {
      const longs = ring.map((point) => point[0]!);
      const lats = ring.map((point) => point[1]!);
      return long > Math.min(...longs) && long < Math.max(...longs) && lat > Math.min(...lats) && lat < Math.max(...lats);
    };

    it('counts requests per grid cell as GeoJSON polygons, busiest first', async () => {
      const [code, other] = await newServices(['hs', 'hso']);
      const one = cellOf(39.7131, -82.5995, 250);
      const two = cellOf(39.7131, -82.5995 + 0.012, 250); // about 1 km east
      const three = cellOf(39.7031, -82.5995, 250); // about 1.1 km south
      const near = (cell: typeof one, dy: number, dx: number) => ({
        lat: cell.lat + dy * cell.dlat * 0.4,
        long: cell.long + dx * cell.dlong * 0.4,
      });
      const when = '2019-07-10T12:00:00-04:00';
      await insertRows(code!, [
        { requested: when, ...near(one, 0, 0) },
        { requested: when, ...near(one, 1, 1) },
        { requested: when, ...near(one, -1, -1), closed: '2019-07-11T12:00:00-04:00' },
        { requested: when, ...near(two, 1, -1) },
        { requested: when, ...near(two, -1, 1) },
        { requested: when, ...near(three, 0, 0), closed: '2019-07-11T12:00:00-04:00' },
        { requested: '2019-08-10T12:00:00-04:00', ...near(three, 0, 0) }, // after the window
        { requested: when }, // no location
      ]);
      await insertRows(other!, [
        { requested: when, ...near(three, 0, 0) },
        { requested: when, ...near(three, 0, 0) },
      ]);

      const response = await call('/stats/hotspots', {
        start_date: '2019-07-01',
        end_date: '2019-07-31',
        cell: 250,
        service_code: code!,
      });
      expect(response.status, response.text).to.equal(200);
      expect(response.headers['content-type']).to.equal('application/geo+json; charset=utf-8');
      const body = JSON.parse(response.text) as {
        type: string;
        features: Array<{
          id: string;
          geometry: { type: string; coordinates: number[][][] };
          properties: { cell_id: string; count: number; open: number };
        }>;
        truncated: boolean;
      };
      assertDocumented('StatsHotspots', body);
      expect(body).to.deep.include({
        type: 'FeatureCollection',
        cell: 250,
        min_count: 2,
        limit: 500,
        truncated: false,
        start_date: '2019-07-01T00:00:00-04:00',
      });
      expect(body.features.map((feature) => feature.properties)).to.deep.equal([
        { cell_id: one.id, count: 3, open: 2 },
        { cell_id: two.id, count: 2, open: 2 },
      ]);
      const [first] = body.features;
      expect(first!.id).to.equal(one.id);
      expect(first!.geometry.type).to.equal('Polygon');
      const ring = first!.geometry.coordinates[0]!;
      expect(ring).to.have.length(5);
      expect(ring[0]).to.deep.equal(ring[4]);
      // Counter-clockwise: the shoelace sum is positive.
      let area = 0;
      for (let index = 0; index < 4; index++)
        area += ring[index]![0]! * ring[index + 1]![1]! - ring[index + 1]![0]! * ring[index]![1]!;
      expect(area).to.be.above(0);
      expect(inside(ring, one.long, one.lat)).to.equal(true);
      expect(inside(ring, two.long, two.lat)).to.equal(false);
      // About 250 m on each side.
      const heightMetres =
        (Math.max(...ring.map((point) => point[1]!)) - Math.min(...ring.map((point) => point[1]!))) * METRES_PER_DEGREE;
      const widthMetres =
        (Math.max(...ring.map((point) => point[0]!)) - Math.min(...ring.map((point) => point[0]!))) *
        METRES_PER_DEGREE *
        Math.cos((one.lat * Math.PI) / 180);
      expect(heightMetres).to.be.closeTo(250, 0.5);
      expect(widthMetres).to.be.closeTo(250, 0.5);

      const all = await call('/stats/hotspots', {
        start_date: '2019-07-01',
        end_date: '2019-07-31',
        service_code: `${code},${other}`,
        min_count: 1,
      });
      expect(JSON.parse(all.text).features.map((feature: { properties: unknown }) => feature.properties)).to.deep.equal([
        { cell_id: one.id, count: 3, open: 2 },
        { cell_id: three.id, count: 3, open: 2 },
        { cell_id: two.id, count: 2, open: 2 },
      ]); // equal counts: the northern cell first

      const capped = JSON.parse(
        (await call('/stats/hotspots', { start_date: '2019-07-01', end_date: '2019-07-31', service_code: code!, limit: 1 })).text,
      );
      expect(capped.truncated).to.equal(true);
      expect(capped.features.map((feature: { id: string }) => feature.id)).to.deep.equal([one.id]);

      // A coarser grid: 5 km cells, every located request of the window in some cell.
      const coarse = JSON.parse(
        (
          await call('/stats/hotspots', {
            start_date: '2019-07-01',
            end_date: '2019-07-31',
            service_code: code!,
            cell: 5000,
            min_count: 1,
          })
        ).text,
      );
      const cells = coarse.features as Array<{ id: string; properties: { count: number; open: number } }>;
      const expected = new Map<string, number>();
      for (const cell of [one, one, one, two, two, three]) {
        const id = cellOf(cell.lat, cell.long, 5000).id;
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
      expect(new Map(cells.map((feature) => [feature.id, feature.properties.count]))).to.deep.equal(expected);
      expect(cells.reduce((sum, feature) => sum + feature.properties.open, 0)).to.equal(4);
    });
  });
});
