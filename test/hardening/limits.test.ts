// Every limit answers with a clear Open311 errors document in the request's format: body size (413),
// number of parameters (413), nesting depth, description length (400), page_size (400), media size and
// count (413), request timeout (503), POST rate limits per address and per API key (429 + Retry-After).
import http from 'node:http';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { ConfigError } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKey } from '../../src/store/api-keys-store.js';
import { LANCASTER } from '../helpers/build.js';
import { BASE, ctx, FORMATS, testConfig, unique, type Format } from '../helpers/test-server.js';
import {
  captureUncaught,
  checkErrorsBody,
  expectNoUncaught,
  listen,
  rawRequest,
  type Listening,
  type RawAnswer,
} from './support.js';

const MIB = 1024 * 1024;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

const urlencoded = (pairs: Array<[string, string]>): string => new URLSearchParams(pairs).toString();

/** The fields of a valid request, with a unique description, plus `extra`. */
function validPairs(extra: Array<[string, string]> = [], key = ctx().apiKey): Array<[string, string]> {
  return [
    ['api_key', key],
    ['service_code', 'SIDEWALK'],
    ['lat', String(LANCASTER.lat)],
    ['long', String(LANCASTER.long)],
    ['description', unique('limits')],
    ...extra,
  ];
}

function multipart(
  fields: Array<[string, string]>,
  files: Array<{ field: string; bytes: Buffer; type: string }> = [],
): { body: Buffer; contentType: string } {
  const boundary = `----limits${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of fields)
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="photo"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// A valid minimal JPEG, padded with an APP2 segment to an exact size (as in test/extensions/media.test.ts).
const BASE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);
function jpegOfSize(size: number): Buffer {
  const payload = Buffer.alloc(size - BASE_JPEG.length - 4, 0x20);
  const header = Buffer.from([0xff, 0xe2, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  const jpeg = Buffer.concat([BASE_JPEG.subarray(0, 2), header, payload, BASE_JPEG.subarray(2)]);
  expect(jpeg.length).to.equal(size);
  return jpeg;
}

async function expectError(answer: RawAnswer, status: number, format: Format, mentions?: RegExp): Promise<void> {
  expect(answer.status, answer.text.slice(0, 300)).to.equal(status);
  const errors = await checkErrorsBody(answer, format, `${status}`);
  expect(errors[0]!.code).to.equal(status);
  if (mentions) expect(errors.map((error) => error.description).join(' ')).to.match(mentions);
}

function separateApp(overrides: NodeJS.ProcessEnv): ReturnType<typeof createApp>['app'] {
  return createApp({ config: testConfig(overrides), db: ctx().db, logger: createLogger('silent') }).app;
}

describe('hardening: limits', function () {
  this.timeout(60_000);
  let server: Listening;
  let uncaught: ReturnType<typeof captureUncaught>;
  const post = (path: string, headers: Record<string, string>, body: string | Buffer): Promise<RawAnswer> =>
    rawRequest(server.port, { method: 'POST', path, headers, body });

  before(async () => {
    server = await listen(ctx().app);
    uncaught = captureUncaught();
  });
  afterEach(async function () {
    await expectNoUncaught(uncaught, this.currentTest?.title ?? '');
  });
  after(async () => {
    uncaught.restore();
    await server.close();
  });

  describe('body size: more than 1 MiB → 413', () => {
    for (const format of FORMATS) {
      it(`urlencoded body over 1 MiB (.${format})`, async () => {
        const body = urlencoded(validPairs([['title', 'a'.repeat(MIB)]]));
        await expectError(await post(`${BASE}/requests.${format}`, FORM, body), 413, format, /larger than/);
      });

      it(`JSON body over 1 MiB (.${format})`, async () => {
        const body = JSON.stringify({ ...Object.fromEntries(validPairs()), title: 'a'.repeat(MIB) });
        await expectError(
          await post(`${BASE}/requests.${format}`, { 'Content-Type': 'application/json' }, body),
          413,
          format,
          /larger than/,
        );
      });

      it(`multipart field over 1 MiB (.${format})`, async () => {
        const { body, contentType } = multipart(validPairs([['title', 'a'.repeat(MIB + 1)]]));
        await expectError(
          await post(`${BASE}/requests.${format}`, { 'Content-Type': contentType }, body),
          413,
          format,
          /larger than/,
        );
      });
    }

    it('urlencoded body over 1 MiB sent chunked (no Content-Length) → 413 once the limit is crossed', async () => {
      const answer = await new Promise<RawAnswer>((resolve, reject) => {
        const call = http.request(
          {
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: `${BASE}/requests.json`,
            headers: { ...FORM, 'Transfer-Encoding': 'chunked' },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const bytes = Buffer.concat(chunks);
              resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes, text: bytes.toString('utf8') });
            });
          },
        );
        call.on('error', reject);
        call.write(urlencoded(validPairs()) + '&title=');
        const piece = 'b'.repeat(64 * 1024);
        for (let index = 0; index < 20; index++) call.write(piece);
        call.end();
      });
      await expectError(answer, 413, 'json', /larger than/);
    });

    it('multipart text fields that together exceed 1 MiB → 413 (the form limit is for the whole form, files aside)', async () => {
      const chunk = 'c'.repeat(400 * 1024);
      // Parameters the server ignores, so that no validation rule answers first.
      const { body, contentType } = multipart(
        validPairs([
          ['x1', chunk],
          ['x2', chunk],
          ['x3', chunk],
        ]),
      );
      expect(body.length).to.be.greaterThan(MIB);
      await expectError(await post(`${BASE}/requests.json`, { 'Content-Type': contentType }, body), 413, 'json');
    });
  });

  describe('number of parameters: more than 1000 → 413', () => {
    const filler = (count: number): Array<[string, string]> =>
      Array.from({ length: count }, (_, index) => [`x${index}`, '1'] as [string, string]);

    for (const format of FORMATS) {
      it(`1001 urlencoded fields (.${format})`, async () => {
        const pairs = validPairs();
        const body = urlencoded([...pairs, ...filler(1001 - pairs.length)]);
        await expectError(await post(`${BASE}/requests.${format}`, FORM, body), 413, format, /1000 fields/);
      });

      it(`1001 multipart fields (.${format})`, async () => {
        const pairs = validPairs();
        const { body, contentType } = multipart([...pairs, ...filler(1001 - pairs.length)]);
        await expectError(
          await post(`${BASE}/requests.${format}`, { 'Content-Type': contentType }, body),
          413,
          format,
          /1000 (fields|parts)/,
        );
      });

      it(`a JSON body with 1001 parameters (.${format})`, async () => {
        const pairs = validPairs();
        const body = JSON.stringify(Object.fromEntries([...pairs, ...filler(1001 - pairs.length)]));
        await expectError(
          await post(`${BASE}/requests.${format}`, { 'Content-Type': 'application/json' }, body),
          413,
          format,
          /1000/,
        );
      });
    }

    it('a JSON array value of 100 000 items counts as 100 000 parameters → 413', async () => {
      const body = JSON.stringify({ ...Object.fromEntries(validPairs()), x: Array.from({ length: 100_000 }, () => 1) });
      await expectError(await post(`${BASE}/requests.json`, { 'Content-Type': 'application/json' }, body), 413, 'json', /1000/);
    });

    it('exactly 1000 urlencoded fields is accepted (200)', async () => {
      const pairs = validPairs();
      const answer = await post(`${BASE}/requests.json`, FORM, urlencoded([...pairs, ...filler(1000 - pairs.length)]));
      expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
    });
  });

  describe('nesting: a deeply nested JSON body is a 4xx, never a 5xx', () => {
    for (const depth of [1_000, 100_000]) {
      it(`attribute nested ${depth} arrays deep`, async () => {
        const body = `{"api_key":${JSON.stringify(ctx().apiKey)},"service_code":"SIDEWALK","lat":${LANCASTER.lat},"long":${LANCASTER.long},"attribute":{"X":${'['.repeat(depth)}"x"${']'.repeat(depth)}}}`;
        const answer = await post(`${BASE}/requests.json`, { 'Content-Type': 'application/json' }, body);
        expect(answer.status, answer.text.slice(0, 300)).to.be.within(400, 499);
        await checkErrorsBody(answer, 'json', 'nested');
      });
    }
  });

  describe('description: at most 4000 characters', () => {
    for (const format of FORMATS) {
      it(`4001 characters → 400 naming description (.${format})`, async () => {
        const body = urlencoded([...validPairs().filter(([key]) => key !== 'description'), ['description', 'd'.repeat(4001)]]);
        await expectError(await post(`${BASE}/requests.${format}`, FORM, body), 400, format, /description/);
      });
    }

    it('4001 non-ASCII characters → 400; 4000 → 200', async () => {
      const over = urlencoded([...validPairs().filter(([key]) => key !== 'description'), ['description', '道'.repeat(4001)]]);
      await expectError(await post(`${BASE}/requests.json`, FORM, over), 400, 'json', /description/);
      const at = urlencoded([
        ...validPairs().filter(([key]) => key !== 'description'),
        ['description', `${unique('d')} ${'道'.repeat(3980)}`.slice(0, 4000)],
      ]);
      const answer = await post(`${BASE}/requests.json`, FORM, at);
      expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
    });
  });

  describe('page_size: at most 1000', () => {
    for (const format of FORMATS) {
      it(`page_size=1001 → 400 naming page_size (.${format})`, async () => {
        await expectError(
          await rawRequest(server.port, { path: `${BASE}/requests.${format}?page_size=1001` }),
          400,
          format,
          /page_size/,
        );
      });
    }

    it('page_size=1000 → 200; page_size=0 and page_size=1e9 → 400', async () => {
      expect((await rawRequest(server.port, { path: `${BASE}/requests.json?page_size=1000` })).status).to.equal(200);
      await expectError(await rawRequest(server.port, { path: `${BASE}/requests.json?page_size=0` }), 400, 'json', /page_size/);
      await expectError(
        await rawRequest(server.port, { path: `${BASE}/requests.xml?page_size=1000000000` }),
        400,
        'xml',
        /page_size/,
      );
    });
  });

  describe('media: MEDIA_MAX_BYTES and MEDIA_MAX_FILES', () => {
    let media: Listening;
    before(async () => {
      media = await listen(separateApp({ MEDIA_MAX_BYTES: '2048' }));
    });
    after(async () => {
      await media.close();
    });

    for (const format of FORMATS) {
      it(`a file of MEDIA_MAX_BYTES + 1 → 413 (.${format}); exactly MEDIA_MAX_BYTES → 200`, async () => {
        const over = multipart(validPairs(), [{ field: 'media', bytes: jpegOfSize(2049), type: 'image/jpeg' }]);
        await expectError(
          await rawRequest(media.port, {
            method: 'POST',
            path: `${BASE}/requests.${format}`,
            headers: { 'Content-Type': over.contentType },
            body: over.body,
          }),
          413,
          format,
          /2048 bytes/,
        );
        const at = multipart(validPairs(), [{ field: 'media', bytes: jpegOfSize(2048), type: 'image/jpeg' }]);
        const answer = await rawRequest(media.port, {
          method: 'POST',
          path: `${BASE}/requests.${format}`,
          headers: { 'Content-Type': at.contentType },
          body: at.body,
        });
        expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
      });
    }

    it('more files than MEDIA_MAX_FILES (5) → 413', async () => {
      const files = Array.from({ length: 6 }, () => ({ field: 'media', bytes: jpegOfSize(1024), type: 'image/jpeg' }));
      const { body, contentType } = multipart(validPairs(), files);
      await expectError(
        await rawRequest(media.port, {
          method: 'POST',
          path: `${BASE}/requests.xml`,
          headers: { 'Content-Type': contentType },
          body,
        }),
        413,
        'xml',
        /5 media files/,
      );
    });
  });

  describe('request timeout (REQUEST_TIMEOUT_MS)', () => {
    let slow: Listening;
    before(async () => {
      slow = await listen(separateApp({ REQUEST_TIMEOUT_MS: '100' }));
    });
    after(async () => {
      await slow.close();
    });

    for (const format of FORMATS) {
      it(`a multipart upload that stalls past the timeout → 503 errors document with Retry-After (.${format})`, async () => {
        const { body, contentType } = multipart(validPairs(), [{ field: 'media', bytes: jpegOfSize(4096), type: 'image/jpeg' }]);
        const started = Date.now();
        const answer = await new Promise<RawAnswer>((resolve, reject) => {
          const call = http.request(
            {
              host: '127.0.0.1',
              port: slow.port,
              method: 'POST',
              path: `${BASE}/requests.${format}`,
              headers: { 'Content-Type': contentType, 'Content-Length': String(body.length) },
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () => {
                const bytes = Buffer.concat(chunks);
                resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes, text: bytes.toString('utf8') });
                call.destroy();
              });
            },
          );
          call.on('error', (error) => (Date.now() - started < 5000 ? reject(error) : undefined));
          // Part of the body, then silence: the client is slow, the server must not wait forever.
          call.write(body.subarray(0, Math.floor(body.length / 2)));
          setTimeout(() => call.destroy(), 3000).unref();
        });
        const elapsed = Date.now() - started;
        await expectError(answer, 503, format, /too long/);
        expect(answer.headers['retry-after']).to.match(/^\d+$/);
        expect(elapsed).to.be.below(1000);
      });
    }

    it('a fast request on the same app is unaffected (200)', async () => {
      const answer = await rawRequest(slow.port, { path: `${BASE}/services.json` });
      expect(answer.status).to.equal(200);
    });
  });

  describe('rate limits on POST (429 + Retry-After), GETs never limited', () => {
    for (const format of FORMATS) {
      it(`RATE_LIMIT_PER_ADDRESS=3: the 4th POST within a minute is 429 with Retry-After and an errors body in .${format}; GETs still 200`, async () => {
        const limited = await listen(separateApp({ RATE_LIMIT_PER_ADDRESS: '3', RATE_LIMIT_PER_KEY: '0' }));
        try {
          for (let index = 0; index < 3; index++) {
            const answer = await rawRequest(limited.port, {
              method: 'POST',
              path: `${BASE}/requests.${format}`,
              headers: FORM,
              body: urlencoded(validPairs()),
            });
            expect(answer.status, answer.text).to.equal(200);
          }
          const fourth = await rawRequest(limited.port, {
            method: 'POST',
            path: `${BASE}/requests.${format}`,
            headers: FORM,
            body: urlencoded(validPairs()),
          });
          expect(fourth.status, fourth.text).to.equal(429);
          expect(fourth.headers['retry-after']).to.match(/^\d+$/);
          expect(Number(fourth.headers['retry-after'])).to.be.at.least(1);
          // A POST without any key is limited too: the address limit runs before the body is read.
          const anonymous = await rawRequest(limited.port, {
            method: 'POST',
            path: `${BASE}/servicerequestupdates.${format}`,
            headers: FORM,
            body: '',
          });
          expect(anonymous.status).to.equal(429);
          for (let index = 0; index < 20; index++) {
            const answer = await rawRequest(limited.port, { path: `${BASE}/${index % 2 ? 'services' : 'requests'}.${format}` });
            expect(answer.status).to.equal(200);
          }
          await expectError(fourth, 429, format, /Too many requests/);
          await expectError(anonymous, 429, format, /Too many requests/);
        } finally {
          await limited.close();
        }
      });
    }

    it('RATE_LIMIT_PER_KEY=2 (per address off): the 3rd POST with the same key is 429; another key is still 200', async () => {
      const limited = await listen(separateApp({ RATE_LIMIT_PER_KEY: '2', RATE_LIMIT_PER_ADDRESS: '0' }));
      try {
        const { key } = await createKey(ctx().db, unique('rate-limited client'));
        for (let index = 0; index < 2; index++) {
          const answer = await rawRequest(limited.port, {
            method: 'POST',
            path: `${BASE}/requests.json`,
            headers: FORM,
            body: urlencoded(validPairs([], key)),
          });
          expect(answer.status, answer.text).to.equal(200);
        }
        const third = await rawRequest(limited.port, {
          method: 'POST',
          path: `${BASE}/requests.xml`,
          headers: { Authorization: `Bearer ${key}`, ...FORM },
          body: urlencoded(validPairs().slice(1)),
        });
        await expectError(third, 429, 'xml', /API key/);
        expect(Number(third.headers['retry-after'])).to.be.at.least(1);
        expect(third.text.includes(key)).to.equal(false);
        const other = await rawRequest(limited.port, {
          method: 'POST',
          path: `${BASE}/requests.json`,
          headers: FORM,
          body: urlencoded(validPairs()),
        });
        expect(other.status, other.text).to.equal(200);
        expect((await rawRequest(limited.port, { path: `${BASE}/requests.json` })).status).to.equal(200);
      } finally {
        await limited.close();
      }
    });

    it('the limits are configuration: a bad value stops start-up with a message', () => {
      expect(() => testConfig({ RATE_LIMIT_PER_KEY: 'many' })).to.throw(ConfigError, /RATE_LIMIT_PER_KEY/);
      expect(() => testConfig({ REQUEST_TIMEOUT_MS: '5' })).to.throw(ConfigError, /REQUEST_TIMEOUT_MS/);
      expect(testConfig({ RATE_LIMIT_PER_ADDRESS: '7' }).rateLimitPerAddress).to.equal(7);
    });
  });
});
