// Framing and formats (digest §1.1–§1.4, §1.9; conformance checklist items 1–14).
import { expect } from 'chai';
import type { SchemaId } from '../../src/validate/validate.js';
import { addServices, createRequest, insertRequest, LANCASTER, submit } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, postForm, unique, type Answer, type Format } from '../helpers/test-server.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const CONTENT_TYPE: Record<Format, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' };
const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;
// Characters XML 1.0 forbids anywhere in a document.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

type Row = Record<string, unknown>;

/** The raw XML framing every response must have: declaration at byte 0, no namespace, no attributes. */
function assertXmlFraming(answer: Answer): void {
  expect(answer.headers['content-type']).to.equal(CONTENT_TYPE.xml);
  expect(answer.text.startsWith(XML_DECLARATION), `XML must start with the declaration: ${answer.text.slice(0, 80)}`).to.equal(
    true,
  );
  const rest = answer.text.slice(XML_DECLARATION.length);
  expect(rest).not.to.match(/xmlns/);
  expect(rest, 'no XML attributes').not.to.match(/<[A-Za-z_][\w.:-]*\s+[^>]*=/);
  expect(rest, 'no processing instruction or doctype after the declaration').not.to.match(/<[?!](?!\[CDATA\[)/);
  expect(answer.text, 'no character XML 1.0 forbids').not.to.match(XML_FORBIDDEN);
  const withoutCdata = answer.text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  expect(withoutCdata, '"]]>" may not appear in character data').not.to.include(']]>');
  expect(answer.body, 'parsed by a strict XML parser').not.to.equal(undefined);
}

/** The JSON framing: exact content type, and the body is the top-level shape the digest asks for. */
function assertJsonFraming(answer: Answer, shape: 'array' | 'object'): void {
  expect(answer.headers['content-type']).to.equal(CONTENT_TYPE.json);
  const parsed = JSON.parse(answer.text) as unknown;
  if (shape === 'array') expect(Array.isArray(parsed), `top-level array expected: ${answer.text.slice(0, 200)}`).to.equal(true);
  else {
    expect(parsed).to.be.an('object');
    expect(Array.isArray(parsed), `top-level object expected: ${answer.text.slice(0, 200)}`).to.equal(false);
  }
}

function assertFraming(answer: Answer, format: Format, shape: 'array' | 'object'): void {
  if (format === 'xml') assertXmlFraming(answer);
  else assertJsonFraming(answer, shape);
}

/** Values of every *datetime / changeset field in a JSON-shaped body. */
function datetimesIn(node: unknown, found: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (Array.isArray(node)) for (const item of node) datetimesIn(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (/(datetime|changeset)$/.test(key)) found.push([key, value]);
      else datetimesIn(value, found);
    }
  }
  return found;
}

/** Text of every element with the given name in raw XML (no nesting inside these elements). */
function elementTexts(xml: string, name: string): string[] {
  const texts: string[] = [];
  for (const match of xml.matchAll(new RegExp(`<${name}(?:\\s*/>|>([^<]*)</${name}>)`, 'g'))) texts.push(match[1] ?? '');
  return texts;
}

let counter = 0;
/** A service code made of digits with leading zeros, unique for the run. */
const zeroCode = (): string => `00${String(Date.now()).slice(-7)}${counter++}`;

describe('framing and formats (checklist 1–14)', () => {
  const ZERO = zeroCode();
  const DOTTED = `A.B.${unique('DOT')}`;
  const SPACED = `Street Light ${unique('SP')}`;

  before(async () => {
    await addServices([
      {
        service_code: ZERO,
        service_name: 'Zero-prefixed test service',
        description: 'Leading zeros in every identifier.',
        type: 'realtime',
        keywords: ['zero'],
        group: 'Tests',
        attributes: [
          {
            variable: true,
            code: '007',
            datatype: 'singlevaluelist',
            required: false,
            datatype_description: null,
            order: 1,
            description: 'One choice only',
            values: [{ key: '01', name: 'The only value' }],
          },
        ],
      },
      { service_code: DOTTED, service_name: 'Dotted code', type: 'realtime' },
      { service_code: SPACED, service_name: 'Spaced code', type: 'realtime' },
    ]);
  });

  // Every endpoint of the standard, for one format: how to call it, its schema, its top-level JSON shape.
  async function endpoints(
    format: Format,
  ): Promise<Array<{ name: string; answer: Answer; schema: SchemaId; shape: 'array' | 'object' }>> {
    const id = await createRequest();
    const batch = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' });
    expect(batch.status, JSON.stringify(batch.body)).to.equal(200);
    const token = (batch.body as Array<{ token: string }>)[0]!.token;
    return [
      { name: 'discovery', answer: await get(`${BASE}/discovery.${format}`), schema: 'discovery.json', shape: 'object' },
      { name: 'services', answer: await get(`${BASE}/services.${format}`), schema: 'services.json', shape: 'array' },
      {
        name: 'definition',
        answer: await get(`${BASE}/services/POTHOLE.${format}`),
        schema: 'service-definition.json',
        shape: 'object',
      },
      {
        name: 'definition without attributes',
        answer: await get(`${BASE}/services/SIDEWALK.${format}`),
        schema: 'service-definition.json',
        shape: 'object',
      },
      { name: 'POST requests', answer: await submit({}, format), schema: 'created-requests.json', shape: 'array' },
      {
        name: 'POST requests (batch)',
        answer: await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' }, format),
        schema: 'created-requests.json',
        shape: 'array',
      },
      {
        name: 'POST requests (blackbox)',
        answer: await submit({ service_code: 'DEAD_ANIMAL' }, format),
        schema: 'created-requests.json',
        shape: 'array',
      },
      { name: 'tokens', answer: await get(`${BASE}/tokens/${token}.${format}`), schema: 'tokens.json', shape: 'array' },
      { name: 'requests', answer: await get(`${BASE}/requests.${format}`), schema: 'service-requests.json', shape: 'array' },
      {
        name: 'one request',
        answer: await get(`${BASE}/requests/${id}.${format}`),
        schema: 'service-requests.json',
        shape: 'array',
      },
    ];
  }

  describe('1–5, 14: every endpoint answers both formats with the right framing', () => {
    for (const format of FORMATS) {
      it(`every endpoint answers .${format} with 200, ${CONTENT_TYPE[format]}, the schema and the top-level shape (${format})`, async () => {
        for (const { name, answer, schema, shape } of await endpoints(format)) {
          expect(answer.status, `${name}: ${answer.text.slice(0, 300)}`).to.equal(200);
          assertFraming(answer, format, shape);
          assertSchema(schema, answer.body);
        }
      });

      it(`error bodies are framed like the rest: top-level array, content type, declaration (${format})`, async () => {
        for (const path of [
          `${BASE}/services/NO_SUCH_${unique('S')}.${format}`,
          `${BASE}/requests/999999999999.${format}`,
          `${BASE}/tokens/${unique('t')}.${format}`,
        ]) {
          const answer = await get(path);
          expect(answer.status, path).to.equal(404);
          assertFraming(answer, format, 'array');
          assertSchema('errors.json', answer.body);
        }
        const forbidden = await postForm(`${BASE}/requests.${format}`, [
          ['service_code', 'SIDEWALK'],
          ['address_string', '1 Main St'],
        ]);
        expect(forbidden.status).to.equal(403);
        assertFraming(forbidden, format, 'array');
        assertSchema('errors.json', forbidden.body);
      });
    }

    it('XML responses carry no namespace and no XML attribute, raw text checked (4)', async () => {
      for (const { name, answer } of await endpoints('xml')) {
        expect(answer.text, name).not.to.match(/xmlns/);
        expect(answer.text.slice(XML_DECLARATION.length), name).not.to.match(/<[A-Za-z_][^>]*\s[A-Za-z_:][\w.:-]*\s*=/);
      }
    });

    it('XML starts with the declaration at byte 0 (no BOM, no blank) (2)', async () => {
      const answer = await get(`${BASE}/services.xml`);
      const bytes = Buffer.from(answer.text, 'utf8');
      expect(bytes.subarray(0, XML_DECLARATION.length).toString('latin1')).to.equal(XML_DECLARATION);
    });

    const UNKNOWN: Array<[string, string]> = [
      ['GET', `${BASE}/discovery.csv`],
      ['GET', `${BASE}/services.html`],
      ['GET', `${BASE}/services/POTHOLE.csv`],
      ['GET', `${BASE}/requests.txt`],
      ['GET', `${BASE}/requests/1.yaml`],
      ['GET', `${BASE}/tokens/abc.pdf`],
      ['POST', `${BASE}/requests.csv`],
    ];
    for (const [method, path] of UNKNOWN) {
      it(`an unknown extension gives 404 with an XML errors body: ${method} ${path} (1)`, async () => {
        const answer =
          method === 'GET'
            ? await get(path)
            : await postForm(path, [
                ['api_key', ctx().apiKey],
                ['service_code', 'SIDEWALK'],
                ['address_string', '1 Main St'],
              ]);
        expect(answer.status).to.equal(404);
        assertXmlFraming(answer);
        expect(answer.text).to.match(/<errors>\s*<error>/);
        assertSchema('errors.json', answer.body);
        expect((answer.body as Array<{ code: number }>)[0]!.code).to.equal(404);
      });
    }
  });

  describe('6: single-element lists are still arrays', () => {
    for (const format of FORMATS) {
      it(`one attribute with one value, one endpoint, one request: all lists (${format})`, async () => {
        const definition = await get(`${BASE}/services/${ZERO}.${format}`);
        expect(definition.status).to.equal(200);
        assertSchema('service-definition.json', definition.body);
        const attributes = (definition.body as { attributes: Row[] }).attributes;
        expect(attributes).to.be.an('array').with.length(1);
        expect(attributes[0]!.values).to.be.an('array').with.length(1);

        const discovery = await get(`${BASE}/discovery.${format}`);
        const endpoints = (discovery.body as { endpoints: Row[] }).endpoints;
        expect(endpoints).to.be.an('array').with.length.of.at.least(1);
        expect(endpoints[0]!.formats).to.be.an('array');

        const id = await createRequest();
        const one = await get(`${BASE}/requests/${id}.${format}`);
        expect(one.body).to.be.an('array').with.length(1);
        const filtered = await get(`${BASE}/requests.${format}?service_request_id=${id}`);
        expect(filtered.body).to.be.an('array').with.length(1);

        if (format === 'json') {
          expect(definition.text).to.match(/"attributes":\[\{/);
          expect(definition.text).to.match(/"values":\[\{/);
          expect(discovery.text).to.match(/"endpoints":\[\{/);
          expect(discovery.text).to.match(/"formats":\["/);
          expect(one.text.startsWith('[{')).to.equal(true);
          expect(filtered.text.startsWith('[{')).to.equal(true);
        } else {
          expect(definition.text).to.match(/<attributes>\s*<attribute>/);
          expect(definition.text).to.match(/<values>\s*<value>\s*<key>01<\/key>/);
          expect(discovery.text).to.match(/<endpoints>\s*<endpoint>/);
          expect(discovery.text).to.match(/<formats>\s*<format>/);
          expect(one.text).to.match(/<service_requests>\s*<request>/);
        }
      });
    }
  });

  describe('7: booleans', () => {
    it('metadata, variable and required are JSON booleans', async () => {
      const services = (await get(`${BASE}/services.json`)).body as Row[];
      expect(services.length).to.be.greaterThan(0);
      for (const service of services) expect(service.metadata, String(service.service_code)).to.be.a('boolean');
      expect(services.some((service) => service.metadata === true)).to.equal(true);
      expect(services.some((service) => service.metadata === false)).to.equal(true);
      for (const code of ['POTHOLE', ZERO]) {
        const definition = (await get(`${BASE}/services/${code}.json`)).body as { attributes: Row[] };
        for (const attribute of definition.attributes) {
          expect(attribute.variable).to.be.a('boolean');
          expect(attribute.required).to.be.a('boolean');
        }
      }
      const text = (await get(`${BASE}/services/POTHOLE.json`)).text;
      expect(text).to.include('"variable":false');
      expect(text).to.include('"required":true');
    });

    it('XML booleans are the lowercase text true / false', async () => {
      const services = await get(`${BASE}/services.xml`);
      const metadata = elementTexts(services.text, 'metadata');
      expect(metadata.length).to.be.greaterThan(0);
      for (const value of metadata) expect(value).to.be.oneOf(['true', 'false']);
      expect(metadata).to.include('true');
      expect(metadata).to.include('false');
      const definition = await get(`${BASE}/services/POTHOLE.xml`);
      const flags = [...elementTexts(definition.text, 'variable'), ...elementTexts(definition.text, 'required')];
      expect(flags.length).to.be.greaterThan(0);
      for (const value of flags) expect(value).to.be.oneOf(['true', 'false']);
    });
  });

  describe('8: identifiers are strings and keep their leading zeros', () => {
    for (const format of FORMATS) {
      it(`service_code, service_request_id, token, attribute code, value key (${format})`, async () => {
        const services = await get(`${BASE}/services.${format}`);
        const listed = (services.body as Row[]).find((service) => service.service_code === ZERO);
        expect(listed, `${ZERO} in the service list`).to.not.equal(undefined);
        for (const service of services.body as Row[]) expect(service.service_code).to.be.a('string');

        const definition = await get(`${BASE}/services/${ZERO}.${format}`);
        const body = definition.body as {
          service_code: unknown;
          attributes: Array<{ code: unknown; values: Array<{ key: unknown }> }>;
        };
        expect(body.service_code).to.equal(ZERO);
        expect(body.attributes[0]!.code).to.equal('007');
        expect(body.attributes[0]!.values[0]!.key).to.equal('01');

        const created = await submit({ service_code: ZERO, 'attribute[007]': '01' }, format);
        expect(created.status, created.text).to.equal(200);
        const id = (created.body as Array<{ service_request_id: unknown }>)[0]!.service_request_id;
        expect(id).to.be.a('string');
        const one = await get(`${BASE}/requests/${String(id)}.${format}`);
        const request = (one.body as Row[])[0]!;
        expect(request.service_request_id).to.equal(id);
        expect(request.service_code).to.equal(ZERO);

        const batch = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' }, format);
        const token = (batch.body as Array<{ token: unknown }>)[0]!.token;
        expect(token).to.be.a('string');
        const lookup = await get(`${BASE}/tokens/${String(token)}.${format}`);
        expect((lookup.body as Row[])[0]!.token).to.equal(token);

        if (format === 'json') {
          expect(services.text).to.include(`"service_code":"${ZERO}"`);
          expect(definition.text).to.include(`"service_code":"${ZERO}"`);
          expect(definition.text).to.include('"code":"007"');
          expect(definition.text).to.include('"key":"01"');
          expect(created.text).to.match(/"service_request_id":"[^"]+"/);
          expect(one.text).to.include(`"service_code":"${ZERO}"`);
          expect(batch.text).to.match(/"token":"[^"]+"/);
        } else {
          expect(services.text).to.include(`<service_code>${ZERO}</service_code>`);
          expect(definition.text).to.include('<code>007</code>');
          expect(definition.text).to.include('<key>01</key>');
          expect(one.text).to.include(`<service_code>${ZERO}</service_code>`);
        }
      });
    }
  });

  describe('9: lat/long are numbers (or null); order is an integer', () => {
    for (const format of FORMATS) {
      it(`a request with a location has numeric lat/long, one without has null (${format})`, async () => {
        const located = await createRequest({ lat: '39.71367', long: '-82.59932' });
        const unlocated = await createRequest({ lat: '', long: '', address_string: `${unique('addr')} Main St` });
        const answer = await get(`${BASE}/requests.${format}?service_request_id=${located},${unlocated}`);
        expect(answer.status).to.equal(200);
        assertSchema('service-requests.json', answer.body);
        const byId = new Map((answer.body as Row[]).map((row) => [row.service_request_id, row]));
        const withLocation = byId.get(located)!;
        expect(withLocation.lat).to.be.a('number');
        expect(withLocation.long).to.be.a('number');
        expect(withLocation.lat as number).to.be.closeTo(LANCASTER.lat, 1e-6);
        expect(withLocation.long as number).to.be.closeTo(LANCASTER.long, 1e-6);
        const withoutLocation = byId.get(unlocated)!;
        expect(withoutLocation.lat).to.equal(null);
        expect(withoutLocation.long).to.equal(null);
        if (format === 'json') {
          expect(answer.text).to.match(/"lat":-?\d+(\.\d+)?[,}]/);
          expect(answer.text).to.match(/"long":-?\d+(\.\d+)?[,}]/);
          expect(answer.text).to.match(/"lat":null/);
        } else {
          for (const value of [...elementTexts(answer.text, 'lat'), ...elementTexts(answer.text, 'long')]) {
            expect(value).to.match(/^(-?\d+(\.\d+)?([eE][+-]?\d+)?)?$/);
          }
        }
      });

      it(`attribute order values are integers (${format})`, async () => {
        const answer = await get(`${BASE}/services/POTHOLE.${format}`);
        for (const attribute of (answer.body as { attributes: Row[] }).attributes) {
          expect(Number.isInteger(attribute.order), String(attribute.order)).to.equal(true);
        }
        if (format === 'json') expect(answer.text).to.match(/"order":\d+[,}]/);
        else for (const value of elementTexts(answer.text, 'order')) expect(value).to.match(/^\d+$/);
      });
    }
  });

  describe('10: every datetime has whole seconds and a zone', () => {
    for (const format of FORMATS) {
      it(`discovery, request lists and single requests (${format})`, async () => {
        const created = await createRequest();
        const day = 24 * 3600 * 1000;
        const winter = new Date(Date.UTC(new Date().getUTCFullYear(), 0, 15, 10, 20, 30, 123));
        const closed = await insertRequest({
          status: 'closed',
          requested_datetime: new Date(Date.now() - 40 * day + 987),
          updated_datetime: new Date(Date.now() - 2 * day + 456),
        });
        const old = await insertRequest({ requested_datetime: winter, updated_datetime: new Date(winter.getTime() + 1500) });
        const answers = [
          await get(`${BASE}/discovery.${format}`),
          await get(`${BASE}/requests.${format}`),
          await get(`${BASE}/requests.${format}?service_request_id=${created},${closed},${old}`),
          await get(`${BASE}/requests/${closed}.${format}`),
          await get(`${BASE}/requests/${old}.${format}`),
        ];
        let checked = 0;
        for (const answer of answers) {
          expect(answer.status).to.equal(200);
          for (const [key, value] of datetimesIn(answer.body)) {
            if (value === null && key !== 'requested_datetime' && key !== 'changeset') continue;
            expect(value, `${key} in ${answer.text.slice(0, 120)}`)
              .to.be.a('string')
              .and.match(DATETIME);
            checked++;
          }
          if (format === 'xml') {
            for (const name of ['changeset', 'requested_datetime', 'updated_datetime', 'expected_datetime']) {
              for (const text of elementTexts(answer.text, name)) if (text !== '') expect(text, name).to.match(DATETIME);
            }
          } else {
            for (const match of answer.text.matchAll(/"(\w*(?:datetime|changeset))":"([^"]*)"/g))
              expect(match[2], match[1]).to.match(DATETIME);
          }
        }
        expect(checked).to.be.greaterThan(8);
        const rows = answers[2]!.body as Row[];
        const oldRow = rows.find((row) => row.service_request_id === old)!;
        expect(Date.parse(oldRow.requested_datetime as string)).to.equal(Math.floor(winter.getTime() / 1000) * 1000);
      });
    }
  });

  describe('11: XML stays well-formed whatever the description holds', () => {
    const NASTY = 'Tom & Jerry <script> ]]> end\u000Bvertical tab > done';
    for (const format of FORMATS) {
      it(`a description with &, <, ]]> and U+000B, posted as .${format}, is served as well-formed XML`, async () => {
        const marker = unique('nasty');
        const description = `${marker} ${NASTY}`;
        const created = await submit({ description }, format);
        expect(created.status, created.text).to.equal(200);
        if (format === 'xml') assertXmlFraming(created);
        const id = (created.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
        for (const path of [
          `${BASE}/requests/${id}.xml`,
          `${BASE}/requests.xml?service_request_id=${id}`,
          `${BASE}/requests.xml`,
        ]) {
          const answer = await get(path);
          expect(answer.status, path).to.equal(200);
          assertXmlFraming(answer);
          assertSchema('service-requests.json', answer.body);
          const row = (answer.body as Array<{ service_request_id: string; description: string }>).find(
            (item) => item.service_request_id === id,
          );
          expect(row, path).to.not.equal(undefined);
          expect(row!.description).to.include(`${marker} Tom & Jerry <script> ]]> end`);
          expect(row!.description).to.include('vertical tab > done');
          expect(row!.description).not.to.include('\u000B');
        }
        const json = await get(`${BASE}/requests/${id}.json`);
        const jsonDescription = (json.body as Array<{ description: string }>)[0]!.description;
        expect(jsonDescription).to.include(`${marker} Tom & Jerry <script> ]]> end`);
        expect(jsonDescription).to.include('vertical tab > done');
      });
    }
  });

  describe('12: non-ASCII text round-trips', () => {
    const TEXT = 'Café ü 東京';
    for (const contentType of ['application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded']) {
      for (const format of FORMATS) {
        it(`"${TEXT}" posted as ${contentType} comes back unchanged in XML and JSON (POST .${format})`, async () => {
          const description = `${TEXT} ${unique('utf8')}`;
          const address = `${TEXT} ${unique('addr')}`;
          const created = await postForm(
            `${BASE}/requests.${format}`,
            [
              ['api_key', ctx().apiKey],
              ['service_code', 'SIDEWALK'],
              ['lat', String(LANCASTER.lat)],
              ['long', String(LANCASTER.long)],
              ['address_string', address],
              ['description', description],
            ],
            { 'Content-Type': contentType },
          );
          expect(created.status, created.text).to.equal(200);
          const id = (created.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
          for (const readFormat of FORMATS) {
            const answer = await get(`${BASE}/requests/${id}.${readFormat}`);
            const row = (answer.body as Array<{ description: string; address: string }>)[0]!;
            expect(row.description).to.equal(description);
            expect(row.address).to.equal(address);
            expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[readFormat]);
          }
        });
      }
    }
  });

  describe('13: the format suffix is split at the last dot and paths are percent-decoded', () => {
    for (const format of FORMATS) {
      it(`/services/A.B.${format} looks up the code A.B (${format})`, async () => {
        const answer = await get(`${BASE}/services/${DOTTED}.${format}`);
        expect(answer.status, answer.text).to.equal(200);
        expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
        assertSchema('service-definition.json', answer.body);
        expect((answer.body as { service_code: string }).service_code).to.equal(DOTTED);
      });

      it(`/services/Street%20Light.${format} looks up "Street Light" (${format})`, async () => {
        const answer = await get(`${BASE}/services/${SPACED.replace(/ /g, '%20')}.${format}`);
        expect(answer.status, answer.text).to.equal(200);
        assertSchema('service-definition.json', answer.body);
        expect((answer.body as { service_code: string }).service_code).to.equal(SPACED);
        const encoded = await get(`${BASE}/services/${encodeURIComponent(DOTTED)}.${format}`);
        expect((encoded.body as { service_code: string }).service_code).to.equal(DOTTED);
      });

      it(`a dotted code is not mistaken for a format: /services/POTHOLE.xml.${format} is unknown code POTHOLE.xml (${format})`, async () => {
        const answer = await get(`${BASE}/services/POTHOLE.xml.${format}`);
        expect(answer.status).to.equal(404);
        expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
        assertSchema('errors.json', answer.body);
      });
    }
  });

  describe('14: every success is 200, also POST; empty results are 200 with an empty list', () => {
    for (const format of FORMATS) {
      it(`POST creation for realtime, batch and blackbox services answers 200 (${format})`, async () => {
        const cases: Array<Record<string, string>> = [
          {},
          { service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' },
          { service_code: 'DEAD_ANIMAL' },
        ];
        for (const fields of cases) {
          const answer = await submit(fields, format);
          expect(answer.status, answer.text).to.equal(200);
          assertSchema('created-requests.json', answer.body);
        }
      });

      it(`empty results are 200 with an empty list (${format})`, async () => {
        const paths = [
          `${BASE}/requests.${format}?service_code=${unique('NO_SUCH_CODE')}`,
          `${BASE}/requests.${format}?service_request_id=999999999999`,
          `${BASE}/requests.${format}?start_date=2001-01-01T00:00:00Z&end_date=2001-01-02T00:00:00Z`,
        ];
        for (const path of paths) {
          const answer = await get(path);
          expect(answer.status, path).to.equal(200);
          expect(answer.body, path).to.deep.equal([]);
          assertSchema('service-requests.json', answer.body);
          if (format === 'json') expect(answer.text.trim()).to.equal('[]');
          else {
            assertXmlFraming(answer);
            expect(answer.text.slice(XML_DECLARATION.length).trim()).to.match(
              /^<service_requests\s*(\/>|>\s*<\/service_requests>)$/,
            );
          }
        }
      });
    }
  });
});
