// EXT servicerequestupdates (FixMyStreet / mySociety, digest §3.6, checklist 63–64): the public update
// feed (GET) and clients' comments (POST).
import { expect } from 'chai';
import request from 'supertest';
import { createKey } from '../../src/store/api-keys-store.js';
import { addServices, createRequest, insertRequest } from '../helpers/build.js';
import {
  assertSchema,
  BASE,
  ctx,
  FORMATS,
  get,
  postForm,
  postMultipart,
  unique,
  type Answer,
  type Format,
  expectErrors,
} from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UPDATE_KEYS = ['update_id', 'service_request_id', 'status', 'updated_datetime', 'description', 'media_url'];

/** A whole-second instant `ms` before now. */
const ago = (ms: number): Date => new Date(Math.floor((Date.now() - ms) / SECOND) * SECOND);
const q = (date: Date): string => encodeURIComponent(date.toISOString());

async function feed(format: Format, query: string): Promise<Row[]> {
  const path = `${BASE}/servicerequestupdates.${format}${query ? `?${query}` : ''}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  assertSchema('service-request-updates.json', answer.body);
  for (const item of answer.body as Row[]) expect(Object.keys(item)).to.deep.equal(UPDATE_KEYS);
  return answer.body as Row[];
}

/** The feed around now (a minute either side). */
const recentFeed = (format: Format): Promise<Row[]> =>
  feed(format, `start_date=${q(ago(MINUTE))}&end_date=${q(new Date(Date.now() + MINUTE))}`);

const forRequest = (items: Row[], id: string): Row[] => items.filter((item) => item.service_request_id === id);

function comment(id: string, overrides: Record<string, string | undefined> = {}): Array<[string, string]> {
  const fields: Record<string, string | undefined> = {
    api_key: ctx().apiKey,
    service_request_id: id,
    update_id: unique('fms'),
    status: 'OPEN',
    updated_datetime: new Date().toISOString(),
    description: unique('Still there'),
    ...overrides,
  };
  return Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
}

async function postComment(
  format: Format,
  pairs: Array<[string, string]>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return postForm(`${BASE}/servicerequestupdates.${format}`, pairs, headers);
}

function createdUpdateId(answer: Answer): string {
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  assertSchema('created-updates.json', answer.body);
  expect(answer.headers['cache-control']).to.equal('no-store');
  return (answer.body as Array<{ update_id: string }>)[0]!.update_id;
}

async function readRequest(id: string, format: Format, extensions = false): Promise<Row> {
  const answer = await get(`${BASE}/requests/${id}.${format}${extensions ? '?extensions=true' : ''}`);
  expect(answer.status).to.equal(200);
  return (answer.body as Row[])[0]!;
}

/** Inserts a public history entry directly (a staff activity), at a chosen instant. */
async function insertUpdate(
  requestId: string,
  at: Date,
  values: { is_public?: boolean; description?: string } = {},
): Promise<string> {
  const { db, config } = ctx();
  const [row] = (await db('service_request_updates')
    .insert({
      service_request_id: requestId,
      jurisdiction_id: config.jurisdictionId,
      note_type: 'activity',
      status: 'open',
      detailed_status: 'in_progress',
      summary: 'In progress',
      description: values.description ?? unique('crew assigned'),
      updated_datetime: at,
      is_public: values.is_public ?? true,
    })
    .returning('id')) as Array<{ id: string | number }>;
  return String(row!.id);
}

describe('EXT servicerequestupdates (checklist 63, 64)', () => {
  const code = unique('UPDATES').toUpperCase();

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Updates test', description: 'Rows of the update tests.', type: 'realtime' },
    ]);
  });

  describe('GET servicerequestupdates: the window on updated_datetime', () => {
    let requestId: string;
    let at: Date;
    let atId: string;
    let twoHoursId: string;
    let thirtyHoursId: string;
    let privateId: string;

    before(async () => {
      at = ago(3 * HOUR);
      requestId = await insertRequest({ service_code: code, requested_datetime: ago(2 * DAY) });
      atId = await insertUpdate(requestId, at);
      twoHoursId = await insertUpdate(requestId, ago(2 * HOUR), { description: '' });
      thirtyHoursId = await insertUpdate(requestId, ago(30 * HOUR));
      privateId = await insertUpdate(requestId, ago(90 * MINUTE), { is_public: false });
    });

    for (const format of FORMATS) {
      describe(format, () => {
        it('items carry update_id, service_request_id, status, updated_datetime, description, media_url, in that order', async () => {
          const items = forRequest(await feed(format, `start_date=${q(ago(4 * HOUR))}&end_date=${q(new Date())}`), requestId);
          expect(items.map((item) => item.update_id)).to.deep.equal([atId, twoHoursId]);
          const first = items[0]!;
          expect(first.service_request_id).to.equal(requestId);
          expect(first.status).to.equal('open');
          expect(Date.parse(first.updated_datetime as string)).to.equal(at.getTime());
          expect(first.description)
            .to.be.a('string')
            .and.match(/^crew assigned/);
          // No media: JSON writes "", XML an empty element.
          expect(first.media_url).to.be.oneOf(['', null]);
          expect(items[1]!.description).to.be.oneOf(['', null]);
        });

        if (format === 'xml') {
          it('XML: <service_request_updates><request_update> with the fields in order', async () => {
            const answer = await get(`${BASE}/servicerequestupdates.xml?start_date=${q(at)}&end_date=${q(at)}`);
            expect(answer.headers['content-type']).to.equal('text/xml; charset=utf-8');
            expect(answer.text).to.match(/^<\?xml version="1.0" encoding="utf-8"\?>\s*<service_request_updates>/);
            expect(answer.text).to.match(
              new RegExp(
                `<request_update><update_id>${atId}</update_id><service_request_id>${requestId}</service_request_id><status>open</status><updated_datetime>[^<]+</updated_datetime><description>crew assigned[^<]*</description><media_url></media_url></request_update>`,
              ),
            );
          });
        }

        it('the window is inclusive at both ends', async () => {
          const exact = forRequest(await feed(format, `start_date=${q(at)}&end_date=${q(at)}`), requestId);
          expect(exact.map((item) => item.update_id)).to.deep.equal([atId]);
          expect(
            forRequest(
              await feed(format, `start_date=${q(new Date(at.getTime() + SECOND))}&end_date=${q(ago(HOUR))}`),
              requestId,
            ).map((item) => item.update_id),
          ).to.deep.equal([twoHoursId]);
          expect(
            forRequest(
              await feed(format, `start_date=${q(ago(4 * HOUR))}&end_date=${q(new Date(at.getTime() - SECOND))}`),
              requestId,
            ),
          ).to.deep.equal([]);
        });

        it('with neither date: the last 24 hours, oldest first', async () => {
          const items = forRequest(await feed(format, ''), requestId);
          expect(items.map((item) => item.update_id)).to.deep.equal([atId, twoHoursId]);
        });

        it('start_date alone runs to now; end_date alone spans the 24 hours before it', async () => {
          expect(
            forRequest(await feed(format, `start_date=${q(ago(31 * HOUR))}`), requestId).map((item) => item.update_id),
          ).to.deep.equal([thirtyHoursId, atId, twoHoursId]);
          expect(
            forRequest(await feed(format, `end_date=${q(ago(29 * HOUR))}`), requestId).map((item) => item.update_id),
          ).to.deep.equal([thirtyHoursId]);
        });

        it('update_ids are stable across calls', async () => {
          const query = `start_date=${q(ago(31 * HOUR))}&end_date=${q(new Date())}`;
          const first = forRequest(await feed(format, query), requestId);
          const second = forRequest(await feed(format, query), requestId);
          expect(second).to.deep.equal(first);
          const other = format === 'json' ? 'xml' : 'json';
          expect(forRequest(await feed(other, query), requestId).map((item) => item.update_id)).to.deep.equal(
            first.map((item) => item.update_id),
          );
        });

        it('private history entries are not in the feed', async () => {
          const items = await feed(format, `start_date=${q(ago(31 * HOUR))}`);
          expect(items.map((item) => item.update_id)).not.to.include(privateId);
        });

        it('the creation entry ("opened") of a new request is not in the feed', async () => {
          const created = await createRequest({ service_code: code });
          expect(forRequest(await recentFeed(format), created)).to.deep.equal([]);
          expect(forRequest(await feed(format, ''), created)).to.deep.equal([]);
        });

        it('an api_key on the GET is accepted and ignored', async () => {
          const items = forRequest(
            await feed(format, `start_date=${q(at)}&end_date=${q(at)}&api_key=${unique('whatever')}`),
            requestId,
          );
          expect(items.map((item) => item.update_id)).to.deep.equal([atId]);
        });

        it('start_date after end_date → 400', async () => {
          expect(
            expectErrors(
              await get(`${BASE}/servicerequestupdates.${format}?start_date=${q(ago(HOUR))}&end_date=${q(ago(2 * HOUR))}`),
              400,
            ),
          ).to.match(/start_date/);
        });

        for (const [name, value] of [
          ['start_date', 'yesterday'],
          ['end_date', '2026-02-31T10:00:00Z'],
        ] as const) {
          it(`${name}=${value} → 400 naming ${name}`, async () => {
            expect(expectErrors(await get(`${BASE}/servicerequestupdates.${format}?${name}=${value}`), 400)).to.include(name);
          });
        }
      });
    }
  });

  describe('POST servicerequestupdates: clients’ comments', () => {
    for (const format of FORMATS) {
      describe(format, () => {
        it('stores the comment: 200 [{update_id}], then in the feed and in the extensions=true notes', async () => {
          const id = await createRequest({ service_code: code });
          const description = unique('Still there, getting worse');
          const updateId = createdUpdateId(await postComment(format, comment(id, { description })));
          if (format === 'xml') {
            const raw = await postComment(format, comment(id));
            expect(raw.text).to.match(
              /<service_request_updates><request_update><update_id>[^<]+<\/update_id><\/request_update><\/service_request_updates>/,
            );
          }
          const items = forRequest(await recentFeed(format), id);
          const item = items.find((entry) => entry.update_id === updateId);
          expect(item, JSON.stringify(items)).to.exist;
          expect(item!.description).to.equal(description);
          expect(item!.status).to.equal('open');
          const notes = (await readRequest(id, format, true)).notes as Row[];
          expect(notes[0]!.type).to.equal('opened');
          const note = notes.find((entry) => entry.description === description);
          expect(note, JSON.stringify(notes)).to.exist;
          expect(note!.type).to.equal('comment');
        });

        for (const status of ['FIXED', 'CLOSED', 'fixed', 'Closed']) {
          it(`status ${status} from a client is recorded but leaves the request open`, async () => {
            const id = await createRequest({ service_code: code });
            createdUpdateId(await postComment(format, comment(id, { status })));
            const row = await readRequest(id, format, true);
            expect(row.status).to.equal('open');
            expect((row.extended_attributes as Row).detailed_status).to.equal('submitted');
            const items = forRequest(await recentFeed(format), id);
            expect(items).to.have.length(1);
            expect(items[0]!.status).to.equal('open');
          });
        }

        for (const status of ['open', 'Open', 'IN_PROGRESS', 'in progress', 'Action_Scheduled', 'REOPEN', 'no_further_action']) {
          it(`status ${status} is accepted (case-insensitive, spaces as underscores)`, async () => {
            const id = await createRequest({ service_code: code });
            createdUpdateId(await postComment(format, comment(id, { status })));
          });
        }

        it('bumps the request’s updated_datetime (change-window pollers see it)', async () => {
          const id = await insertRequest({ service_code: code, requested_datetime: ago(10 * DAY) });
          const before = await readRequest(id, format);
          expect(Date.now() - Date.parse(before.updated_datetime as string)).to.be.above(9 * DAY);
          const start = ago(2 * SECOND);
          createdUpdateId(await postComment(format, comment(id)));
          const after = await readRequest(id, format);
          expect(Date.parse(after.updated_datetime as string)).to.be.at.least(start.getTime());
          expect(after.requested_datetime).to.equal(before.requested_datetime);
          const changed = await get(`${BASE}/requests.${format}?service_code=${code}&updated_after=${q(ago(MINUTE))}`);
          expect((changed.body as Row[]).map((row) => row.service_request_id)).to.include(id);
        });

        it('the same update_id from the same key returns the same update_id and stores nothing new', async () => {
          const id = await createRequest({ service_code: code });
          const pairs = comment(id, { update_id: unique('fms-retry') });
          const first = createdUpdateId(await postComment(format, pairs));
          const second = createdUpdateId(await postComment(format, pairs));
          expect(second).to.equal(first);
          const other = format === 'json' ? 'xml' : 'json';
          expect(createdUpdateId(await postComment(other, pairs))).to.equal(first);
          expect(forRequest(await recentFeed(format), id).map((item) => item.update_id)).to.deep.equal([first]);
          const notes = (await readRequest(id, format, true)).notes as Row[];
          expect(notes.filter((note) => note.type === 'comment')).to.have.length(1);
        });

        it('the same update_id from another key is another update; another update_id from the same key too', async () => {
          const id = await createRequest({ service_code: code });
          const clientUpdateId = unique('fms-shared');
          const first = createdUpdateId(await postComment(format, comment(id, { update_id: clientUpdateId })));
          const { key } = await createKey(ctx().db, unique('second client'));
          const second = createdUpdateId(await postComment(format, comment(id, { update_id: clientUpdateId, api_key: key })));
          const third = createdUpdateId(await postComment(format, comment(id)));
          expect(new Set([first, second, third]).size).to.equal(3);
          expect(forRequest(await recentFeed(format), id).map((item) => item.update_id)).to.have.members([first, second, third]);
        });

        it('the key may come as Authorization: Bearer (no api_key field)', async () => {
          const id = await createRequest({ service_code: code });
          createdUpdateId(
            await postComment(format, comment(id, { api_key: undefined }), { Authorization: `Bearer ${ctx().apiKey}` }),
          );
        });

        it('a photo sent as a file part becomes the update’s media_url, stripped of EXIF', async () => {
          const id = await createRequest({ service_code: code });
          const jpeg = Buffer.from(
            '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
            'base64',
          );
          const exif = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'latin1'), Buffer.from('GPSLatitude 39.7137', 'latin1')]);
          const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, exif.length + 2]), exif]);
          const updateId = createdUpdateId(
            await postMultipart(`${BASE}/servicerequestupdates.${format}`, comment(id, { description: '' }), [
              {
                field: 'photo1',
                content: Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]),
                filename: 'p.jpg',
                contentType: 'image/jpeg',
              },
            ]),
          );
          const item = forRequest(await recentFeed(format), id).find((entry) => entry.update_id === updateId)!;
          expect(item.media_url).to.match(/^http:\/\/311\.test\.example\/media\//);
          const served = await request(ctx().app)
            .get(new URL(item.media_url as string).pathname)
            .buffer(true)
            .parse((res, done) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => done(null, Buffer.concat(chunks)));
            });
          expect(served.status).to.equal(200);
          expect((served.body as Buffer).includes(Buffer.from('GPS'))).to.equal(false);
          expect((served.body as Buffer).equals(jpeg)).to.equal(true);
        });

        it('a media_url field is kept as the update’s media_url', async () => {
          const id = await createRequest({ service_code: code });
          const url = `https://photos.example.org/${unique('update')}.jpg`;
          const updateId = createdUpdateId(await postComment(format, [...comment(id), ['media_url', url]]));
          const item = forRequest(await recentFeed(format), id).find((entry) => entry.update_id === updateId)!;
          expect(item.media_url).to.equal(url);
        });

        it('an unknown service_request_id → 404', async () => {
          for (const id of ['999999999999', 'not-a-number']) {
            expectErrors(await postComment(format, comment(id)), 404);
          }
        });

        it('no key → 403; an unknown key → 403; nothing is stored', async () => {
          const id = await createRequest({ service_code: code });
          expectErrors(await postComment(format, comment(id, { api_key: undefined })), 403);
          expectErrors(await postComment(format, comment(id, { api_key: unique('not-a-key') })), 403);
          expectErrors(
            await postComment(format, comment(id, { api_key: undefined }), { Authorization: `Bearer ${unique('not-a-key')}` }),
            403,
          );
          expect(forRequest(await recentFeed(format), id)).to.deep.equal([]);
        });

        for (const missing of ['service_request_id', 'update_id', 'status', 'updated_datetime']) {
          it(`missing ${missing} → 400 naming it`, async () => {
            const id = await createRequest({ service_code: code });
            expect(expectErrors(await postComment(format, comment(id, { [missing]: undefined })), 400)).to.include(missing);
            expect(expectErrors(await postComment(format, comment(id, { [missing]: '' })), 400)).to.include(missing);
          });
        }

        for (const [name, value] of [
          ['status', 'DONE'],
          ['status', 'open please'],
          ['updated_datetime', 'yesterday'],
        ] as const) {
          it(`${name}=${value} → 400 naming ${name}`, async () => {
            const id = await createRequest({ service_code: code });
            expect(expectErrors(await postComment(format, comment(id, { [name]: value })), 400)).to.include(name);
            expect(forRequest(await recentFeed(format), id)).to.deep.equal([]);
          });
        }
      });
    }
  });
});
