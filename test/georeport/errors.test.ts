// Errors (digest §1.1, §1.8, §1.10; conformance checklist items 15–20).
import { expect } from 'chai';
import request from 'supertest';
import { createRequest, LANCASTER, submit } from '../helpers/build.js';
import {
  assertSchema,
  BASE,
  ctx,
  FORMATS,
  get,
  postForm,
  postJson,
  postMultipart,
  send,
  unique,
  xmlToJsonShape,
  type Answer,
  type Format,
  expectErrors,
} from '../helpers/test-server.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const CONTENT_TYPE: Record<Format, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' };

type ErrorItem = { code: number; description: string };

/** POST with any content type and raw body (the helpers always send well-formed bodies). */
async function postRaw(path: string, contentType: string | undefined, body: string | Buffer): Promise<Answer> {
  let call = request(ctx().app).post(path);
  if (contentType !== undefined) call = call.set('Content-Type', contentType);
  const response = await call.send(body);
  return parse(response);
}

/** GET a path exactly as written (no client-side normalisation), with optional headers. */
async function getRaw(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  let call = request(ctx().app).get(path);
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return parse(await call);
}

async function parse(response: request.Response): Promise<Answer> {
  const text = response.text ?? '';
  const type = String(response.headers['content-type'] ?? '');
  let body: unknown;
  if (type.startsWith('application/json') && text) body = JSON.parse(text);
  else if (type.startsWith('text/xml') && text) body = await xmlToJsonShape(text);
  return { status: response.status, headers: response.headers as Record<string, string>, text, body };
}

// What must never reach a client: stack frames, source paths, SQL, driver or framework internals.
const LEAKS = [
  /\bat\s+\S+\s+\(/, // stack frame "at fn (file:line)"
  /\bat\s+(file|node):/,
  /\w\.\w+:\d+:\d+/, // file.js:line:column
  /\.(ts|mjs|cjs)\b/,
  /node_modules/,
  /\/work\/|\/src\/|\/home\/|\/usr\//,
  /\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where)\b/i,
  /\bsyntax error\b/i,
  /\b(postgres|postgresql|pglite|knex|sqlstate|relation|column)\b/i,
  /\b(TypeError|RangeError|ReferenceError|SyntaxError|URIError|Error:)/,
  /\bstack\b/i,
  /\bundefined\b|\bnull\b|NaN|\[object Object\]/,
];

/** An error answer in the expected format, schema-valid, every code = status, descriptions plain. */
function assertErrorBody(answer: Answer, status: number, format: Format): ErrorItem[] {
  expectErrors(answer, status);
  expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
  const items = answer.body as ErrorItem[];
  assertNoLeak(answer);
  return items;
}

function assertNoLeak(answer: Answer): void {
  for (const leak of LEAKS) expect(answer.text, `error body leaks internals (${String(leak)})`).not.to.match(leak);
}

const key = (): string => ctx().apiKey;
const located = (): Array<[string, string]> => [
  ['api_key', key()],
  ['lat', String(LANCASTER.lat)],
  ['long', String(LANCASTER.long)],
];

describe('errors (checklist 15–20)', () => {
  describe('15: the errors document', () => {
    for (const format of FORMATS) {
      it(`<errors><error><code/><description/></error></errors> / [{code, description}] with a numeric code (${format})`, async () => {
        const answer = await get(`${BASE}/services/${unique('NO_SUCH')}.${format}`);
        const items = assertErrorBody(answer, 404, format);
        expect(items).to.have.length.of.at.least(1);
        if (format === 'json') {
          const raw = JSON.parse(answer.text) as Array<Record<string, unknown>>;
          expect(Array.isArray(raw)).to.equal(true);
          for (const item of raw) {
            expect(Object.keys(item)).to.deep.equal(['code', 'description']);
            expect(item.code).to.be.a('number');
            expect(Number.isInteger(item.code)).to.equal(true);
            expect(item.description).to.be.a('string');
          }
          expect(answer.text).to.match(/^\[\{"code":404,"description":"[^"]+"\}/);
        } else {
          expect(answer.text.startsWith(XML_DECLARATION)).to.equal(true);
          const compact = answer.text.slice(XML_DECLARATION.length).replace(/>\s+</g, '><').trim();
          expect(compact).to.match(/^<errors>(<error><code>\d+<\/code><description>[^<]+<\/description><\/error>)+<\/errors>$/);
        }
      });
    }
  });

  describe('16: several problems in one 400', () => {
    for (const format of FORMATS) {
      it(`POST with a bad lat, a 4001-character description and a missing required attribute lists each (${format})`, async () => {
        const answer = await postForm(`${BASE}/requests.${format}`, [
          ['api_key', key()],
          ['service_code', 'POTHOLE'],
          ['lat', '95'],
          ['long', String(LANCASTER.long)],
          ['description', 'x'.repeat(4001)],
        ]);
        const items = assertErrorBody(answer, 400, format);
        expect(items.length).to.be.at.least(3);
        const all = items.map((item) => item.description).join('\n');
        expect(all).to.match(/\blat\b/);
        expect(all).to.match(/description/);
        expect(all).to.match(/SIZE/);
      });

      it(`POST without service_code and without a location reports both (${format})`, async () => {
        const answer = await postForm(`${BASE}/requests.${format}`, [
          ['api_key', key()],
          ['description', unique('nothing')],
        ]);
        const items = assertErrorBody(answer, 400, format);
        expect(items.length).to.be.at.least(2);
        const all = items.map((item) => item.description).join('\n');
        expect(all).to.match(/service_code/);
        expect(all).to.match(/location|lat|address/i);
      });

      it(`GET requests with a bad status and a bad start_date reports both (${format})`, async () => {
        const answer = await get(`${BASE}/requests.${format}?status=pending&start_date=yesterday`);
        const items = assertErrorBody(answer, 400, format);
        expect(items.length).to.be.at.least(2);
        const all = items.map((item) => item.description).join('\n');
        expect(all).to.match(/status/);
        expect(all).to.match(/start_date/);
      });
    }
  });

  describe('17: no 5xx and no internals for bad input', () => {
    const long = (length: number, char = 'A'): string => char.repeat(length);
    const manyIds = Array.from({ length: 2000 }, (_, index) => String(index + 1)).join(',');
    // [label, call]. Each may answer 200 (harmlessly ignored) or 4xx, never 5xx; a 4xx carries an errors body.
    const cases = (format: Format): Array<[string, () => Promise<Answer>]> => [
      ['bad percent-encoding in a request id', () => getRaw(`${BASE}/requests/%E0%A4%A.${format}`)],
      ['a lone % in a service code', () => getRaw(`${BASE}/services/%.${format}`)],
      ['%ZZ in a service code', () => getRaw(`${BASE}/services/%ZZ.${format}`)],
      ['overlong UTF-8 in a token', () => getRaw(`${BASE}/tokens/%C0%AF.${format}`)],
      ['an encoded lone surrogate in a service code', () => getRaw(`${BASE}/services/%ED%A0%80.${format}`)],
      [
        'bad percent-encoding in the query',
        () => getRaw(`${BASE}/requests.${format}?service_code=%ZZ&status=%&start_date=%E0%A4%A`),
      ],
      ['NUL in a service code', () => getRaw(`${BASE}/services/A%00B.${format}`)],
      ['NUL in a token', () => getRaw(`${BASE}/tokens/abc%00def.${format}`)],
      ['NUL in a request id', () => getRaw(`${BASE}/requests/1%00.${format}`)],
      ['NUL in service_code filter', () => getRaw(`${BASE}/requests.${format}?service_code=A%00B`)],
      ['NUL in service_request_id filter', () => getRaw(`${BASE}/requests.${format}?service_request_id=1%002`)],
      ['NUL in jurisdiction_id', () => getRaw(`${BASE}/services.${format}?jurisdiction_id=x%00y`)],
      ['NUL in start_date', () => getRaw(`${BASE}/requests.${format}?start_date=2024-01-01%00`)],
      ['a huge request id', () => getRaw(`${BASE}/requests/99999999999999999999999999999.${format}`)],
      [
        'a huge service_request_id filter',
        () => getRaw(`${BASE}/requests.${format}?service_request_id=99999999999999999999999999999`),
      ],
      ['a negative request id', () => getRaw(`${BASE}/requests/-1.${format}`)],
      ['an exponent request id', () => getRaw(`${BASE}/requests/1e999.${format}`)],
      ['a hex request id', () => getRaw(`${BASE}/requests/0x1F.${format}`)],
      ['request id 0', () => getRaw(`${BASE}/requests/0.${format}`)],
      ['2000 ids', () => getRaw(`${BASE}/requests.${format}?service_request_id=${manyIds}`)],
      ['a 5000-character service_code filter', () => getRaw(`${BASE}/requests.${format}?service_code=${long(5000)}`)],
      ['a 5000-character jurisdiction_id', () => getRaw(`${BASE}/services.${format}?jurisdiction_id=${long(5000)}`)],
      ['a 5000-character service code path', () => getRaw(`${BASE}/services/${long(5000)}.${format}`)],
      ['a 5000-character token', () => getRaw(`${BASE}/tokens/${long(5000, 'f')}.${format}`)],
      ['an impossible date', () => getRaw(`${BASE}/requests.${format}?start_date=2024-13-45`)],
      ['a word as date', () => getRaw(`${BASE}/requests.${format}?start_date=garbage&end_date=never`)],
      ['a far-future date', () => getRaw(`${BASE}/requests.${format}?start_date=9999-12-31T23:59:59Z`)],
      ['year zero', () => getRaw(`${BASE}/requests.${format}?end_date=0000-01-01`)],
      ['an out-of-range offset', () => getRaw(`${BASE}/requests.${format}?start_date=2024-01-01T00:00:00%2B99:99`)],
      ['a six-digit year', () => getRaw(`${BASE}/requests.${format}?start_date=275760-09-13`)],
      ['repeated dates', () => getRaw(`${BASE}/requests.${format}?start_date=2024-01-01&start_date=2024-02-01`)],
      ['status=pending', () => getRaw(`${BASE}/requests.${format}?status=open&status=pending`)],
      ['bracketed keys', () => getRaw(`${BASE}/requests.${format}?status[]=open&service_code[0]=X&jurisdiction_id[a]=b`)],
      ['a huge path depth', () => getRaw(`${BASE}/${'a/'.repeat(300)}b.${format}`)],
      ['bad JSON', () => postRaw(`${BASE}/requests.${format}`, 'application/json', '{"api_key": "x", bad')],
      ['JSON array', () => postJson(`${BASE}/requests.${format}`, [1, 2, 3])],
      ['JSON null', () => postRaw(`${BASE}/requests.${format}`, 'application/json', 'null')],
      ['JSON string', () => postRaw(`${BASE}/requests.${format}`, 'application/json', '"api_key"')],
      [
        'JSON with objects as values',
        () => postJson(`${BASE}/requests.${format}`, { api_key: key(), service_code: { $ne: 1 }, lat: [1, 2], long: { a: 1 } }),
      ],
      [
        'JSON with wrong types',
        () =>
          postJson(`${BASE}/requests.${format}`, { api_key: key(), service_code: 123, lat: 'abc', long: true, description: 42 }),
      ],
      [
        'JSON with a deep nesting',
        () => postRaw(`${BASE}/requests.${format}`, 'application/json', `${'['.repeat(5000)}${']'.repeat(5000)}`),
      ],
      [
        'JSON with a wrong key type',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/json',
            JSON.stringify({ api_key: [key(), key()], service_code: ['SIDEWALK', 'POTHOLE'], address_string: 'x' }),
          ),
      ],
      [
        'XML body',
        () =>
          postRaw(`${BASE}/requests.${format}`, 'application/xml', '<request><service_code>SIDEWALK</service_code></request>'),
      ],
      ['text/csv body', () => postRaw(`${BASE}/requests.${format}`, 'text/csv', 'a,b,c\n1,2,3')],
      ['a made-up content type', () => postRaw(`${BASE}/requests.${format}`, 'application/x-nonsense', 'whatever')],
      ['a malformed content type', () => postRaw(`${BASE}/requests.${format}`, ';;;===', 'whatever')],
      ['multipart without boundary', () => postRaw(`${BASE}/requests.${format}`, 'multipart/form-data', 'garbage')],
      [
        'multipart with a garbage body',
        () =>
          postRaw(`${BASE}/requests.${format}`, 'multipart/form-data; boundary=XYZ', '--XYZ\r\nnonsense without headers\r\n--X'),
      ],
      [
        'binary body as a form',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/x-www-form-urlencoded',
            Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x3d, 0x26]),
          ),
      ],
      [
        'urlencoded garbage',
        () => postRaw(`${BASE}/requests.${format}`, 'application/x-www-form-urlencoded', '%%%&&&===&=&%ZZ=%ZZ'),
      ],
      [
        'bad percent-encoding in a form',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/x-www-form-urlencoded',
            `api_key=${key()}&service_code=%ZZ&address_string=%E0%A4%A`,
          ),
      ],
      [
        'lat=abc',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', 'abc'],
            ['long', '-82'],
          ]),
      ],
      [
        'lat=1e400',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '1e400'],
            ['long', '-82'],
          ]),
      ],
      [
        'lat=NaN',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', 'NaN'],
            ['long', 'Infinity'],
          ]),
      ],
      [
        'lat=1e-400',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '1e-400'],
            ['long', '-0'],
          ]),
      ],
      [
        'lat/long 1e308',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '1e308'],
            ['long', '1e308'],
          ]),
      ],
      [
        'repeated lat',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '39'],
            ['lat', 'x'],
            ['long', '-82'],
          ]),
      ],
      [
        'NUL in a description',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'SIDEWALK'],
            ['description', 'before\u0000after'],
          ]),
      ],
      [
        'NUL in an address',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['address_string', 'Main\u0000St'],
          ]),
      ],
      ['NUL in a service_code', () => postForm(`${BASE}/requests.${format}`, [...located(), ['service_code', 'SIDE\u0000WALK']])],
      [
        'NUL in an unknown attribute code',
        () => postForm(`${BASE}/requests.${format}`, [...located(), ['service_code', 'SIDEWALK'], ['attribute[a\u0000b]', 'x']]),
      ],
      [
        'NUL in an unknown attribute value',
        () =>
          postForm(`${BASE}/requests.${format}`, [...located(), ['service_code', 'SIDEWALK'], ['attribute[EXTRA]', 'x\u0000y']]),
      ],
      [
        'NUL in private fields',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'SIDEWALK'],
            ['email', 'a\u0000@b.c'],
            ['first_name', '\u0000'],
            ['phone', '1\u00002'],
          ]),
      ],
      [
        'NUL in the api_key',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', 'bad\u0000key'],
            ['service_code', 'SIDEWALK'],
            ['address_string', 'x'],
          ]),
      ],
      [
        'a lone surrogate in JSON',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/json',
            `{"api_key":"${key()}","service_code":"SIDEWALK","address_string":"x","description":"\\ud800 lone"}`,
          ),
      ],
      [
        'a 10000-character api_key',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ['api_key', long(10000)],
            ['service_code', 'SIDEWALK'],
            ['address_string', 'x'],
          ]),
      ],
      [
        'a 5000-character service_code',
        () => postForm(`${BASE}/requests.${format}`, [...located(), ['service_code', long(5000)]]),
      ],
      [
        'a 100000-character attribute value',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'NOISE'],
            ['attribute[NOISE_SOURCE]', long(100000)],
          ]),
      ],
      [
        'a 300-character unknown attribute code',
        () =>
          postForm(`${BASE}/requests.${format}`, [...located(), ['service_code', 'SIDEWALK'], [`attribute[${long(300)}]`, 'x']]),
      ],
      [
        '300 unknown attributes',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'SIDEWALK'],
            ...Array.from({ length: 300 }, (_, index): [string, string] => [`attribute[X${index}]`, 'v']),
          ]),
      ],
      [
        'a huge number attribute',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'POTHOLE'],
            ['attribute[SIZE]', 'SMALL'],
            ['attribute[DEPTH]', '1e400'],
          ]),
      ],
      [
        'a year-99999 datetime attribute',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'NOISE'],
            ['attribute[NOISE_SOURCE]', 'BUSINESS'],
            ['attribute[STARTED_AT]', '99999-01-01T00:00:00Z'],
          ]),
      ],
      [
        'a far datetime attribute',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'NOISE'],
            ['attribute[NOISE_SOURCE]', 'BUSINESS'],
            ['attribute[STARTED_AT]', '9999-12-31T23:59:59-14:00'],
          ]),
      ],
      [
        'a not-a-URL media_url',
        () =>
          postForm(`${BASE}/requests.${format}`, [
            ...located(),
            ['service_code', 'SIDEWALK'],
            ['media_url', 'javascript:alert(1)'],
          ]),
      ],
      [
        'a 2 MB body',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/x-www-form-urlencoded',
            `api_key=${key()}&service_code=SIDEWALK&description=${long(2 * 1024 * 1024)}`,
          ),
      ],
      [
        '5000 form fields',
        () =>
          postRaw(
            `${BASE}/requests.${format}`,
            'application/x-www-form-urlencoded',
            Array.from({ length: 5000 }, (_, index) => `f${index}=1`).join('&'),
          ),
      ],
      [
        'multipart with NUL and a bogus file',
        () =>
          postMultipart(
            `${BASE}/requests.${format}`,
            [
              ['api_key', key()],
              ['service_code', 'SIDEWALK'],
              ['address_string', 'a\u0000b'],
            ],
            [{ field: 'media', content: Buffer.from('not an image'), filename: '../../etc/passwd', contentType: 'image/png' }],
          ),
      ],
    ];

    for (const format of FORMATS) {
      it(`a battery of bad inputs never gives a 5xx nor leaks internals (${format})`, async () => {
        const failures: string[] = [];
        for (const [label, call] of cases(format)) {
          let answer: Answer;
          try {
            answer = await call();
          } catch (error) {
            failures.push(`${label}: the response could not be parsed (${(error as Error).message.slice(0, 200)})`);
            continue;
          }
          if (answer.status >= 500) failures.push(`${label}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
          if (answer.status >= 400) {
            try {
              expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
              assertSchema('errors.json', answer.body);
              for (const item of answer.body as ErrorItem[]) expect(item.code).to.equal(answer.status);
              assertNoLeak(answer);
            } catch (error) {
              failures.push(`${label}: HTTP ${answer.status}: ${(error as Error).message.slice(0, 300)}`);
            }
          } else {
            expect(answer.status, label).to.equal(200);
          }
        }
        expect(failures, failures.join('\n')).to.deep.equal([]);
      });
    }

    it('validation problems are 400, not 5xx: lat=95, lat without long, missing service_code', async () => {
      for (const format of FORMATS) {
        const cases: Array<Array<[string, string]>> = [
          [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '95'],
            ['long', '-82'],
          ],
          [
            ['api_key', key()],
            ['service_code', 'SIDEWALK'],
            ['lat', '39'],
          ],
          [
            ['api_key', key()],
            ['address_string', '1 Main St'],
          ],
        ];
        for (const form of cases) assertErrorBody(await postForm(`${BASE}/requests.${format}`, form), 400, format);
      }
    });
  });

  describe('18: api_key on POST', () => {
    for (const format of FORMATS) {
      const fields: Array<[string, string]> = [
        ['service_code', 'SIDEWALK'],
        ['lat', String(LANCASTER.lat)],
        ['long', String(LANCASTER.long)],
        ['description', 'key test'],
      ];
      it(`missing api_key → 403 (${format})`, async () => {
        assertErrorBody(await postForm(`${BASE}/requests.${format}`, fields), 403, format);
        assertErrorBody(await postMultipart(`${BASE}/requests.${format}`, fields), 403, format);
        assertErrorBody(await postJson(`${BASE}/requests.${format}`, Object.fromEntries(fields)), 403, format);
      });

      it(`empty or blank api_key → 403 (${format})`, async () => {
        assertErrorBody(await postForm(`${BASE}/requests.${format}`, [['api_key', ''], ...fields]), 403, format);
        assertErrorBody(await postForm(`${BASE}/requests.${format}`, [['api_key', '   '], ...fields]), 403, format);
        assertErrorBody(await postMultipart(`${BASE}/requests.${format}`, [['api_key', ''], ...fields]), 403, format);
      });

      it(`unknown api_key → 403, in the body, the query string or a Bearer header (${format})`, async () => {
        assertErrorBody(await postForm(`${BASE}/requests.${format}`, [['api_key', unique('not-a-key')], ...fields]), 403, format);
        assertErrorBody(await postForm(`${BASE}/requests.${format}?api_key=${unique('not-a-key')}`, fields), 403, format);
        assertErrorBody(
          await postForm(`${BASE}/requests.${format}`, fields, { Authorization: `Bearer ${unique('not-a-key')}` }),
          403,
          format,
        );
        assertErrorBody(
          await postMultipart(`${BASE}/requests.${format}`, [['api_key', unique('not-a-key')], ...fields]),
          403,
          format,
        );
      });

      it(`a bad key is 403 even when the rest of the request is also wrong (${format})`, async () => {
        assertErrorBody(await postForm(`${BASE}/requests.${format}`, [['service_code', unique('NO_SUCH')]]), 403, format);
      });
    }
  });

  describe('19: unknown resources → 404', () => {
    for (const format of FORMATS) {
      it(`unknown service_code in a definition (${format})`, async () => {
        const items = assertErrorBody(await get(`${BASE}/services/${unique('NO_SUCH')}.${format}`), 404, format);
        expect(items[0]!.description).to.match(/service_code/);
      });

      it(`unknown service_code in a POST (${format})`, async () => {
        const answer = await submit({ service_code: unique('NO_SUCH') }, format);
        const items = assertErrorBody(answer, 404, format);
        expect(items[0]!.description).to.match(/service_code/);
      });

      it(`unknown service_request_id (${format})`, async () => {
        const id = await createRequest();
        const unknownId = String(BigInt(id) + 1_000_000_000n);
        assertErrorBody(await get(`${BASE}/requests/${unknownId}.${format}`), 404, format);
        assertErrorBody(await get(`${BASE}/requests/not-an-id.${format}`), 404, format);
      });

      it(`unknown token (${format})`, async () => {
        assertErrorBody(await get(`${BASE}/tokens/${unique('no-such-token')}.${format}`), 404, format);
        assertErrorBody(await get(`${BASE}/tokens/0123456789abcdef01234567.${format}`), 404, format);
      });
    }
  });

  describe('20: unknown paths and wrong verbs', () => {
    for (const format of FORMATS) {
      it(`an unknown path → 404 with an errors body (${format})`, async () => {
        for (const path of [
          `${BASE}/nothing.${format}`,
          `${BASE}/services/POTHOLE/extra.${format}`,
          `${BASE}/requests/1/2.${format}`,
          `${BASE}/servicerequests.${format}`,
        ]) {
          const answer = await get(path);
          expect(answer.status, path).to.equal(404);
          assertErrorBody(answer, 404, format);
        }
      });

      const WRONG: Array<[string, string, string[]]> = [
        ['DELETE', 'requests', ['GET', 'POST']],
        ['PUT', 'requests', ['GET', 'POST']],
        ['PATCH', 'services', ['GET']],
        ['POST', 'services', ['GET']],
        ['DELETE', 'services/POTHOLE', ['GET']],
        ['POST', 'services/POTHOLE', ['GET']],
        ['POST', 'requests/1', ['GET']],
        ['DELETE', 'requests/1', ['GET']],
        ['PUT', 'tokens/abc', ['GET']],
        ['POST', 'discovery', ['GET']],
      ];
      for (const [method, path, allowed] of WRONG) {
        it(`${method} ${path}.${format} → 405 with Allow and an errors body`, async () => {
          const answer = await send(method, `${BASE}/${path}.${format}`);
          assertErrorBody(answer, 405, format);
          const allow = String(answer.headers.allow ?? '');
          const verbs = allow.split(',').map((verb) => verb.trim().toUpperCase());
          for (const verb of allowed) expect(verbs, `Allow: ${allow}`).to.include(verb);
          expect(verbs).not.to.include(method);
        });
      }
    }

    it('an unknown path outside the GeoReport base still answers 404 with an Open311 errors body', async () => {
      const answer = await get('/no/such/thing');
      expect(answer.status).to.equal(404);
      assertSchema('errors.json', answer.body);
    });
  });
});
