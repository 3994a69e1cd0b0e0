// EXT extensions=true (digest §3.4, checklist 58): extended_attributes and notes, never private data; and
// the principle that a client sending no extension parameter sees exactly the standard response.
import { expect } from 'chai';
import { addServices, createRequest } from '../helpers/build.js';
import {
  assertSchema,
  BASE,
  ctx,
  FORMATS,
  get,
  unique,
  type Answer,
  type Format,
  STANDARD_REQUEST_FIELDS,
} from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const STANDARD_KEYS = STANDARD_REQUEST_FIELDS;
const EXTENDED_KEYS = ['channel', 'detailed_status', 'title', 'media_urls', 'duplicate', 'parent_service_request_id'];
const NOTE_KEYS = ['datetime', 'type', 'summary', 'description'];
const W3C = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;
const PAGING_HEADERS = ['x-result-count', 'x-page-count', 'x-page-size', 'x-next-page-url', 'x-previous-page-url', 'link'];

async function read(path: string): Promise<Answer> {
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  return answer;
}

/** Checks one extended request: the 17 standard keys in order, then extended_attributes and notes. */
function expectExtendedShape(row: Row, format: Format): void {
  expect(Object.keys(row)).to.deep.equal([...STANDARD_KEYS, 'extended_attributes', 'notes']);
  // The standard part alone is a valid standard request.
  const standard = Object.fromEntries(STANDARD_KEYS.map((key) => [key, row[key]]));
  assertSchema('service-requests.json', [standard]);
  const extended = row.extended_attributes as Row;
  expect(extended, 'extended_attributes').to.be.an('object');
  expect(Object.keys(extended)).to.deep.equal(EXTENDED_KEYS);
  expect(extended.media_urls).to.be.an('array');
  expect(extended.duplicate).to.be.a('boolean');
  const notes = row.notes as Row[];
  expect(notes).to.be.an('array');
  for (const note of notes) {
    expect(Object.keys(note), `${format} note`).to.deep.equal(NOTE_KEYS);
    expect(note.datetime).to.match(W3C);
    expect(note.type).to.be.a('string');
  }
}

describe('EXT extensions=true on GET requests and GET requests/{id} (checklist 58)', () => {
  const code = unique('EXTATTR').toUpperCase();
  const privateData = {
    email: `${unique('private-mail')}@example.org`,
    phone: `+1740${String(Date.now()).slice(-7)}`,
    first_name: unique('Privatefirst'),
    last_name: unique('Privatelast'),
    device_id: unique('private-device'),
    account_id: unique('private-account'),
  };
  const title = `${unique('Title')} <&> "quoted"`;
  const photo = `https://photos.example.org/${unique('photo')}.jpg`;
  const photo2 = `https://photos.example.org/${unique('photo')}.jpg`;
  let id: string;
  let plainId: string;

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Extensions test', description: 'Rows of the extensions tests.', type: 'realtime' },
    ]);
    id = await createRequest({
      service_code: code,
      title,
      ...privateData,
      media_url: [photo, photo2],
      address_string: unique('1 Test St'),
    });
    plainId = await createRequest({ service_code: code });
  });

  for (const format of FORMATS) {
    describe(format, () => {
      const paths = (): string[] => [
        `${BASE}/requests/${id}.${format}?extensions=true`,
        `${BASE}/requests.${format}?service_request_id=${id}&extensions=true`,
        `${BASE}/requests.${format}?service_code=${code}&extensions=true`,
      ];

      it('each request gains extended_attributes {channel, detailed_status, title, media_urls, duplicate, parent_service_request_id} and notes', async () => {
        for (const path of paths()) {
          const answer = await read(path);
          const rows = answer.body as Row[];
          const row = rows.find((item) => item.service_request_id === id);
          expect(row, path).to.exist;
          expectExtendedShape(row!, format);
          const extended = row!.extended_attributes as Row;
          expect(extended.channel, path).to.equal('api');
          expect(extended.detailed_status, path).to.equal('submitted');
          expect(extended.title, path).to.equal(title);
          expect(extended.media_urls, path).to.deep.equal([photo, photo2]);
          expect(extended.duplicate, path).to.equal(false);
          expect(extended.parent_service_request_id, path).to.equal(null);
          expect(row!.media_url, path).to.equal(photo);
        }
      });

      it('a new request has one note: opened, "Request received", at its requested_datetime', async () => {
        const answer = await read(`${BASE}/requests/${id}.${format}?extensions=true`);
        const row = (answer.body as Row[])[0]!;
        const notes = row.notes as Row[];
        expect(notes).to.have.length(1);
        expect(notes[0]!.type).to.equal('opened');
        expect(notes[0]!.summary).to.equal('Request received');
        // JSON writes the empty description as "", XML as an empty element.
        expect(notes[0]!.description).to.be.oneOf(['', null]);
        expect(Math.abs(Date.parse(notes[0]!.datetime as string) - Date.parse(row.requested_datetime as string))).to.be.below(
          2000,
        );
      });

      it('every request of a list gains the members (also one without title or media)', async () => {
        const answer = await read(`${BASE}/requests.${format}?service_code=${code}&extensions=true`);
        const rows = answer.body as Row[];
        expect(rows.map((row) => row.service_request_id)).to.include.members([id, plainId]);
        const plain = rows.find((row) => row.service_request_id === plainId)!;
        expectExtendedShape(plain, format);
        const extended = plain.extended_attributes as Row;
        expect(extended.title).to.equal(null);
        expect(extended.media_urls).to.deep.equal([]);
        expect(plain.media_url).to.equal(null);
      });

      it('the submitter’s private data never appears with extensions on', async () => {
        for (const path of paths()) {
          const answer = await read(path);
          for (const [name, value] of Object.entries(privateData)) {
            expect(answer.text, `${path} leaks ${name}`).not.to.include(value);
          }
          expect(answer.text).not.to.match(/"email"|<email>|"phone"|<phone>|first_name|last_name|device_id|account_id/);
        }
      });

      if (format === 'xml') {
        it('XML: nested elements after the standard ones, arrays as wrapper + singular child', async () => {
          const answer = await read(`${BASE}/requests/${id}.xml?extensions=true`);
          expect(answer.text).to.match(
            /<media_url>[^<]*<\/media_url><extended_attributes><channel>api<\/channel><detailed_status>submitted<\/detailed_status><title>[^<]*&lt;&amp;&gt;[^<]*<\/title><media_urls><media_url>[^<]+<\/media_url><media_url>[^<]+<\/media_url><\/media_urls><duplicate>false<\/duplicate><parent_service_request_id><\/parent_service_request_id><\/extended_attributes><notes><note><datetime>[^<]+<\/datetime><type>opened<\/type><summary>Request received<\/summary><description><\/description><\/note><\/notes><\/request>/,
          );
        });
      }

      it('a request flagged as a duplicate shows duplicate=true and its parent', async () => {
        const parent = await createRequest({ service_code: code });
        const child = await createRequest({ service_code: code });
        await ctx().db('service_requests').where({ id: child }).update({ duplicate_of: parent });
        const answer = await read(`${BASE}/requests/${child}.${format}?extensions=true`);
        const extended = (answer.body as Row[])[0]!.extended_attributes as Row;
        expect(extended.duplicate).to.equal(true);
        expect(extended.parent_service_request_id).to.equal(parent);
        const parentAnswer = await read(`${BASE}/requests/${parent}.${format}?extensions=true`);
        expect(((parentAnswer.body as Row[])[0]!.extended_attributes as Row).duplicate).to.equal(false);
      });

      for (const value of ['1', 'TRUE', 'yes']) {
        it(`extensions=${value} also turns them on`, async () => {
          const answer = await read(`${BASE}/requests/${id}.${format}?extensions=${value}`);
          expect((answer.body as Row[])[0]).to.have.property('extended_attributes');
        });
      }

      for (const query of ['', 'extensions=false', 'extensions=0', 'extensions=']) {
        it(`${query || 'no extensions parameter'}: exactly the 17 standard keys, on the list and the single request`, async () => {
          for (const path of [
            `${BASE}/requests/${id}.${format}${query ? `?${query}` : ''}`,
            `${BASE}/requests.${format}?service_code=${code}${query ? `&${query}` : ''}`,
            `${BASE}/requests.${format}?service_request_id=${id}${query ? `&${query}` : ''}`,
          ]) {
            const answer = await read(path);
            assertSchema('service-requests.json', answer.body);
            for (const row of answer.body as Row[]) expect(Object.keys(row), path).to.deep.equal(STANDARD_KEYS);
            expect(answer.text, path).not.to.match(/extended_attributes|"notes"|<notes>|media_urls|Request received/);
            for (const header of PAGING_HEADERS) expect(answer.headers, `${path} ${header}`).not.to.have.property(header);
            for (const value of Object.values(privateData)) expect(answer.text, path).not.to.include(value);
          }
        });
      }

      for (const value of ['maybe', '2', 'on?']) {
        it(`extensions=${value} → 400 naming extensions, on the list and the single request`, async () => {
          for (const path of [
            `${BASE}/requests.${format}?extensions=${encodeURIComponent(value)}`,
            `${BASE}/requests/${id}.${format}?extensions=${encodeURIComponent(value)}`,
          ]) {
            const answer = await get(path);
            expect(answer.status, `${path}: ${answer.text.slice(0, 300)}`).to.equal(400);
            assertSchema('errors.json', answer.body);
            expect((answer.body as Array<{ description: string }>)[0]!.description).to.include('extensions');
          }
        });
      }

      it('extensions=true on an unknown request → 404 errors body', async () => {
        const answer = await get(`${BASE}/requests/999999999999.${format}?extensions=true`);
        expect(answer.status).to.equal(404);
        assertSchema('errors.json', answer.body);
      });
    });
  }
});
