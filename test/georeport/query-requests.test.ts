// GET Service Requests (digest §2.6, §1.5, §1.6; conformance checklist items 46–51 and 53).
import { expect } from 'chai';
import { addServices, createRequest, insertRequest } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, unique, type Format } from '../helpers/test-server.js';
import { refusedQuery as refused } from '../helpers/queries.js';

type Row = Record<string, unknown>;

const DAY = 24 * 3600 * 1000;
const BULK_ROWS = 1100;

// Dedicated services, so the rows made here do not mix with other tests' rows.
const S = {
  bulk: 'QR_BULK',
  window: 'QR_WINDOW',
  status: 'QR_STATUS',
  a: 'QR_A',
  b: 'QR_B',
  c: 'QR_C',
  dates: 'QR_DATES',
  zone: 'QR_ZONE',
} as const;

/** GET requests.{format}?query → 200, checked against the schema; the rows. */
async function list(format: Format, query: string): Promise<Row[]> {
  const path = `${BASE}/requests.${format}${query ? `?${query}` : ''}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  assertSchema('service-requests.json', answer.body);
  return answer.body as Row[];
}

const idsOf = (rows: Row[]): string[] => rows.map((row) => row.service_request_id as string);
const sorted = (ids: string[]): string[] => [...ids].sort();

/** Requested datetimes are non-increasing (newest first). */
function expectNewestFirst(rows: Row[]): void {
  for (let index = 1; index < rows.length; index++) {
    const previous = Date.parse(rows[index - 1]!.requested_datetime as string);
    const current = Date.parse(rows[index]!.requested_datetime as string);
    expect(current, `row ${index} (${String(rows[index]!.requested_datetime)}) is newer than row ${index - 1}`).to.be.at.most(
      previous,
    );
  }
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000) * 1000;

describe('GET requests (checklist 46–51, 53)', () => {
  let bulkServiceId: string;

  before(async () => {
    await addServices(
      Object.values(S).map((code) => ({
        service_code: code,
        service_name: `Query test ${code}`,
        description: 'Rows of the query tests.',
        type: 'realtime' as const,
        group: 'Tests',
      })),
    );
    const { db, config } = ctx();
    const service = (await db('services')
      .where({ jurisdiction_id: config.jurisdictionId, service_code: S.bulk })
      .first('id')) as { id: string | number };
    bulkServiceId = String(service.id);
    // 1100 requests inside the default window, all older than anything the other tests create (89 days
    // ago, one second apart), in one statement.
    await db.raw(
      `INSERT INTO service_requests (jurisdiction_id, service_id, status, description, requested_datetime, updated_datetime)
       SELECT ?, ?, 'open', 'bulk ' || g, ?::timestamptz - g * interval '1 second', ?::timestamptz - g * interval '1 second'
       FROM generate_series(1, ${BULK_ROWS}) AS g`,
      [config.jurisdictionId, bulkServiceId, new Date(Date.now() - 89 * DAY), new Date(Date.now() - 89 * DAY)],
    );
  });

  after(async () => {
    await ctx().db('service_requests').where({ service_id: bulkServiceId }).delete();
  });

  describe('46: the default list', () => {
    let recent: string;
    let old: string;
    let inside: string;
    let tooOld: string;
    before(async () => {
      recent = await insertRequest({ service_code: S.window, requested_datetime: new Date(Date.now() - 3600 * 1000) });
      inside = await insertRequest({ service_code: S.window, requested_datetime: new Date(Date.now() - 89.5 * DAY) });
      tooOld = await insertRequest({ service_code: S.window, requested_datetime: new Date(Date.now() - 91 * DAY) });
      old = await insertRequest({ service_code: S.window, requested_datetime: new Date(Date.now() - 400 * DAY) });
    });

    for (const format of FORMATS) {
      it(`no parameters: only the last 90 days, at most 1000, newest first (${format})`, async () => {
        const now = Date.now();
        const rows = await list(format, '');
        // More than 1000 requests lie in the window (the bulk rows), so the cap is reached exactly.
        expect(rows).to.have.length(1000);
        expectNewestFirst(rows);
        for (const row of rows) {
          expect(
            Date.parse(row.requested_datetime as string),
            `${String(row.service_request_id)} is older than 90 days`,
          ).to.be.at.least(now - 90 * DAY - 60_000);
        }
        const ids = idsOf(rows);
        expect(ids).not.to.include(tooOld);
        expect(ids).not.to.include(old);
        expect(new Set(ids).size, 'no duplicates').to.equal(ids.length);
      });

      it(`the 90-day window applies when only service_code is given (${format})`, async () => {
        const rows = await list(format, `service_code=${S.window}`);
        expect(idsOf(rows)).to.deep.equal([recent, inside]);
      });

      it(`at most 1000, the newest 1000 in order (requested_datetime, then id, descending) (${format})`, async () => {
        const rows = await list(format, `service_code=${S.bulk}`);
        expect(rows).to.have.length(1000);
        expectNewestFirst(rows);
        const expected = (await ctx()
          .db('service_requests')
          .where({ service_id: bulkServiceId })
          .orderBy([
            { column: 'requested_datetime', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(1000)
          .select(ctx().db.raw('id::text AS id'))) as Array<{ id: string }>;
        expect(idsOf(rows)).to.deep.equal(expected.map((row) => row.id));
      });

      it(`status=open with the bulk rows still caps at 1000 (${format})`, async () => {
        const rows = await list(format, 'status=open');
        expect(rows).to.have.length(1000);
        expectNewestFirst(rows);
      });
    }
  });

  describe('47, 53: status', () => {
    let open: string;
    let closed: string;
    const closedAt = new Date(Date.now() - 30 * 60 * 1000);
    before(async () => {
      open = await insertRequest({
        service_code: S.status,
        status: 'open',
        requested_datetime: new Date(Date.now() - 2 * 3600 * 1000),
      });
      closed = await insertRequest({
        service_code: S.status,
        status: 'closed',
        requested_datetime: new Date(Date.now() - 3 * 3600 * 1000),
        updated_datetime: closedAt,
      });
    });

    for (const format of FORMATS) {
      it(`no status: both (${format})`, async () => {
        expect(idsOf(await list(format, `service_code=${S.status}`))).to.deep.equal([open, closed]);
      });

      it(`status=open returns only open requests, status=closed only closed ones (${format})`, async () => {
        const opened = await list(format, `service_code=${S.status}&status=open`);
        expect(idsOf(opened)).to.deep.equal([open]);
        const closedRows = await list(format, `service_code=${S.status}&status=closed`);
        expect(idsOf(closedRows)).to.deep.equal([closed]);
      });

      it(`status=open filters the whole list: every row is open (${format})`, async () => {
        const rows = await list(format, 'status=open');
        expect(rows.length).to.be.greaterThan(0);
        for (const row of rows) expect(row.status).to.equal('open');
        const closedRows = await list(format, 'status=closed');
        expect(idsOf(closedRows)).to.include(closed);
        for (const row of closedRows) expect(row.status).to.equal('closed');
      });

      it(`status=open,closed and status=open&status=closed return both (${format})`, async () => {
        expect(idsOf(await list(format, `service_code=${S.status}&status=open,closed`))).to.deep.equal([open, closed]);
        expect(idsOf(await list(format, `service_code=${S.status}&status=open&status=closed`))).to.deep.equal([open, closed]);
        expect(idsOf(await list(format, `service_code=${S.status}&status=closed,open`))).to.deep.equal([open, closed]);
      });

      it(`status=pending → 400 (also in a list) (${format})`, async () => {
        expect(await refused(format, 'status=pending')).to.include('status');
        expect(await refused(format, 'status=open,pending')).to.include('status');
        expect(await refused(format, 'status=open&status=pending')).to.include('status');
      });

      it(`53: each status is exactly open or closed; a closed request's updated_datetime is the closing time (${format})`, async () => {
        const rows = await list(format, `service_request_id=${open},${closed}`);
        const byId = new Map(rows.map((row) => [row.service_request_id as string, row]));
        expect(byId.get(open)!.status).to.equal('open');
        expect(byId.get(closed)!.status).to.equal('closed');
        expect(Date.parse(byId.get(closed)!.updated_datetime as string)).to.equal(seconds(closedAt));
        for (const row of await list(format, '')) expect(row.status).to.be.oneOf(['open', 'closed']);
        if (format === 'xml') {
          const raw = await get(`${BASE}/requests.xml?service_request_id=${closed}`);
          expect(raw.text).to.include('<status>closed</status>');
        }
      });
    }
  });

  describe('48: service_code', () => {
    let a: string;
    let b: string;
    let c: string;
    before(async () => {
      a = await insertRequest({ service_code: S.a, requested_datetime: new Date(Date.now() - 3 * 60 * 1000) });
      b = await insertRequest({ service_code: S.b, requested_datetime: new Date(Date.now() - 2 * 60 * 1000) });
      c = await insertRequest({ service_code: S.c, requested_datetime: new Date(Date.now() - 60 * 1000) });
    });

    for (const format of FORMATS) {
      it(`service_code=A,B returns only those types (comma list, repeated, with blanks) (${format})`, async () => {
        for (const query of [
          `service_code=${S.a},${S.b}`,
          `service_code=${S.a}&service_code=${S.b}`,
          `service_code=${S.b},%20${S.a},`,
        ]) {
          const rows = await list(format, query);
          expect(idsOf(rows), query).to.deep.equal([b, a]);
          for (const row of rows) expect(row.service_code).to.be.oneOf([S.a, S.b]);
        }
        const one = await list(format, `service_code=${S.c}`);
        expect(idsOf(one)).to.deep.equal([c]);
        expect(one[0]!.service_code).to.equal(S.c);
      });

      it(`an unknown code returns an empty list with 200 (${format})`, async () => {
        expect(await list(format, `service_code=${unique('NO_SUCH')}`)).to.deep.equal([]);
        expect(idsOf(await list(format, `service_code=${S.a},${unique('NO_SUCH')}`))).to.deep.equal([a]);
        if (format === 'xml') {
          const raw = await get(`${BASE}/requests.xml?service_code=${unique('NO_SUCH')}`);
          expect(raw.text).to.match(/<service_requests\s*(\/>|>\s*<\/service_requests>)/);
        } else {
          const raw = await get(`${BASE}/requests.json?service_code=${unique('NO_SUCH')}`);
          expect(raw.text.trim()).to.equal('[]');
        }
      });
    }
  });

  describe('49: start_date and end_date', () => {
    const at = (iso: string): Date => new Date(iso);
    const ids: Record<string, string> = {};
    before(async () => {
      for (const [name, iso] of [
        ['before', '2024-03-01T09:59:59Z'],
        ['start', '2024-03-01T10:00:00Z'],
        ['middle', '2024-03-05T12:00:00Z'],
        ['end', '2024-03-10T10:00:00Z'],
        ['after', '2024-03-10T10:00:01Z'],
      ] as const) {
        ids[name] = await insertRequest({ service_code: S.dates, requested_datetime: at(iso) });
      }
    });

    for (const format of FORMATS) {
      it(`filter on requested_datetime, both bounds inclusive (${format})`, async () => {
        const rows = await list(format, `service_code=${S.dates}&start_date=2024-03-01T10:00:00Z&end_date=2024-03-10T10:00:00Z`);
        expect(idsOf(rows)).to.deep.equal([ids.end, ids.middle, ids.start]);
      });

      it(`the same instants written with a negative offset (${format})`, async () => {
        const rows = await list(
          format,
          `service_code=${S.dates}&start_date=2024-03-01T05:00:00-05:00&end_date=2024-03-10T06:00:00-04:00`,
        );
        expect(idsOf(rows)).to.deep.equal([ids.end, ids.middle, ids.start]);
      });

      it(`start_date after end_date → 400 (${format})`, async () => {
        expect(await refused(format, 'start_date=2024-03-10T00:00:00Z&end_date=2024-03-01T00:00:00Z')).to.match(
          /start_date|end_date/,
        );
      });

      it(`a span over 90 days → 400 with a clear description; exactly 90 days is accepted (${format})`, async () => {
        const description = await refused(format, 'start_date=2024-01-01T00:00:00Z&end_date=2024-04-15T00:00:00Z');
        expect(description).to.include('90');
        expect(await refused(format, 'start_date=2024-01-01T00:00:00Z&end_date=2024-03-31T00:00:01Z')).to.include('90');
        await list(format, `service_code=${S.dates}&start_date=2024-01-01T00:00:00Z&end_date=2024-03-31T00:00:00Z`);
      });

      it(`90 calendar days across a daylight-saving change are accepted, 91 are not (${format})`, async () => {
        // 2024-09-04 to 2024-12-02 inclusive in New York: 90 local days, 90 × 24 h plus the hour of 3 November.
        await list(format, `service_code=${S.dates}&start_date=2024-09-04&end_date=2024-12-02`);
        expect(await refused(format, 'start_date=2024-09-04&end_date=2024-12-03')).to.include('90');
        expect(await refused(format, 'start_date=2024-09-04T00:00:00-04:00&end_date=2024-12-03T00:00:01-05:00')).to.include('90');
      });
    }
  });

  describe('50: an unencoded "+" in a zone offset', () => {
    const ids: Record<string, string> = {};
    before(async () => {
      for (const [name, iso] of [
        ['before', '2024-04-30T22:59:59Z'],
        ['boundary', '2024-04-30T23:00:00Z'], // 2024-05-01T00:00:00+01:00
        ['inside', '2024-04-30T23:30:00Z'],
        ['end', '2024-05-01T11:00:00Z'], // 2024-05-01T12:00:00+01:00
        ['after', '2024-05-01T11:00:01Z'],
      ] as const) {
        ids[name] = await insertRequest({ service_code: S.zone, requested_datetime: new Date(iso) });
      }
    });

    for (const format of FORMATS) {
      it(`start_date=2024-05-01T00:00:00+01:00 sent with a raw "+" is read as +01:00 (${format})`, async () => {
        const rows = await list(
          format,
          `service_code=${S.zone}&start_date=2024-05-01T00:00:00+01:00&end_date=2024-05-01T12:00:00+01:00`,
        );
        expect(idsOf(rows)).to.deep.equal([ids.end, ids.inside, ids.boundary]);
      });

      it(`the same with the "+" percent-encoded (${format})`, async () => {
        const rows = await list(
          format,
          `service_code=${S.zone}&start_date=2024-05-01T00:00:00%2B01:00&end_date=2024-05-01T12:00:00%2B01:00`,
        );
        expect(idsOf(rows)).to.deep.equal([ids.end, ids.inside, ids.boundary]);
      });
    }
  });

  describe('51: service_request_id', () => {
    let old: string;
    let closed: string;
    let other: string;
    let fresh: string;
    before(async () => {
      old = await insertRequest({ service_code: 'SIDEWALK', requested_datetime: new Date(Date.now() - 200 * DAY) });
      closed = await insertRequest({
        service_code: 'TALL_GRASS',
        status: 'closed',
        requested_datetime: new Date(Date.now() - 5 * DAY),
      });
      other = await insertRequest({ service_code: S.c, requested_datetime: new Date(Date.now() - 100 * DAY) });
      fresh = await createRequest({ description: unique('by-id') });
    });

    for (const format of FORMATS) {
      it(`returns exactly the existing ones among the ids, ignoring dates, status, service_code and the 90 days (${format})`, async () => {
        const wanted = [old, closed, other, fresh];
        const queries = [
          `service_request_id=${wanted.join(',')},999999999999`,
          `service_request_id=${wanted.join('&service_request_id=')}&service_request_id=999999999999`,
          `service_request_id=${wanted.join(',')}&status=open&service_code=POTHOLE&start_date=2024-01-01T00:00:00Z&end_date=2024-01-02T00:00:00Z`,
          `service_request_id=${wanted.join(',')}&status=closed&service_code=${S.a}`,
        ];
        for (const query of queries) {
          const rows = await list(format, query);
          expect(sorted(idsOf(rows)), query).to.deep.equal(sorted(wanted));
        }
      });

      it(`unknown or non-numeric ids are simply absent; only unknown ids → empty list (${format})`, async () => {
        expect(idsOf(await list(format, `service_request_id=abc,${old},999999999998`))).to.deep.equal([old]);
        expect(await list(format, 'service_request_id=999999999997,999999999996')).to.deep.equal([]);
      });
    }
  });
});
