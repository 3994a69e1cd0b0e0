// Privacy (digest §1.11): the submitter's email, phone, first_name, last_name, device_id and account_id
// are stored but never appear in any public GET answer — lists with and without extensions, single
// requests, tokens, the update feed, GeoJSON, the bulk CSV, JSONP — in any format, body or header. API keys
// are stored hashed (never in clear) and no answer ever echoes one.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { expect } from 'chai';
import { createKey } from '../../src/store/api-keys-store.js';
import { LANCASTER } from '../helpers/build.js';
import { BASE, ctx, FORMATS, unique } from '../helpers/test-server.js';
import { listen, rawRequest, type Listening, type RawAnswer } from './support.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('hardening: privacy', function () {
  this.timeout(60_000);
  let server: Listening;
  const tag = randomBytes(5).toString('hex');
  const digits = [String(randomInt(200, 999)), String(randomInt(1000, 9999))] as const;
  const PRIVATE = {
    email: `p${tag}mail@example.org`,
    phone: `+1-740-${digits[0]}-${digits[1]}`,
    first_name: `Fn${tag}`,
    last_name: `Ln${tag}`,
    device_id: `dev-${tag}-device`,
    account_id: `acct-${tag}-account`,
  };
  // What must not appear, also partly or differently encoded (case-insensitive search).
  const NEEDLES = [
    ...Object.values(PRIVATE),
    `p${tag}mail`,
    `${digits[0]}-${digits[1]}`,
    `${digits[0]}${digits[1]}`,
    `fn${tag}`,
    `ln${tag}`,
    `dev-${tag}`,
    `acct-${tag}`,
  ];
  const ids: string[] = [];
  let token = '';
  const description = unique('privacy');

  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> =>
    rawRequest(server.port, { method, path, headers, ...(body === undefined ? {} : { body }) });

  function createdId(answer: RawAnswer): string {
    expect(answer.status, answer.text).to.equal(200);
    const created = (JSON.parse(answer.text) as Array<{ service_request_id?: string; token?: string }>)[0]!;
    return created.service_request_id ?? created.token!;
  }

  before(async () => {
    server = await listen(ctx().app);
    const fields = (serviceCode: string): Record<string, string> => ({
      api_key: ctx().apiKey,
      service_code: serviceCode,
      lat: String(LANCASTER.lat),
      long: String(LANCASTER.long),
      address_string: '120 E Main St',
      description,
      ...PRIVATE,
    });
    // urlencoded
    ids.push(createdId(await call('POST', `${BASE}/requests.json`, FORM, new URLSearchParams(fields('SIDEWALK')).toString())));
    // JSON
    ids.push(
      createdId(
        await call('POST', `${BASE}/requests.json`, { 'Content-Type': 'application/json' }, JSON.stringify(fields('GRAFFITI'))),
      ),
    );
    // multipart
    const boundary = `----privacy${tag}`;
    const multipart =
      Object.entries(fields('SIDEWALK'))
        .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
        .join('') + `--${boundary}--\r\n`;
    ids.push(
      createdId(
        await call('POST', `${BASE}/requests.json`, { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, multipart),
      ),
    );
    // batch: a token
    token = createdId(
      await call(
        'POST',
        `${BASE}/requests.json`,
        FORM,
        new URLSearchParams({ ...fields('MISSED_TRASH'), 'attribute[COLLECTION_TYPE][]': 'TRASH' }).toString(),
      ),
    );
    const resolved = await call('GET', `${BASE}/tokens/${token}.json`);
    const tokenId = (JSON.parse(resolved.text) as Array<{ service_request_id?: string }>)[0]?.service_request_id;
    if (tokenId) ids.push(tokenId);
    // a comment that also carries the private fields (they must be ignored, never published)
    const comment = await call(
      'POST',
      `${BASE}/servicerequestupdates.json`,
      FORM,
      new URLSearchParams({
        api_key: ctx().apiKey,
        service_request_id: ids[0]!,
        update_id: unique('privacy-update'),
        status: 'OPEN',
        updated_datetime: new Date().toISOString(),
        description: unique('privacy comment'),
        ...PRIVATE,
      }).toString(),
    );
    expect(comment.status, comment.text).to.equal(200);
  });

  after(async () => {
    await server.close();
  });

  it('the private values really are stored (so the scans below are not vacuous)', async () => {
    const rows = (await ctx()
      .db('service_request_submitters')
      .whereIn('service_request_id', ids)
      .select('email', 'phone', 'first_name', 'last_name', 'device_id', 'account_id')) as Array<Record<string, string>>;
    expect(rows.length).to.equal(ids.length);
    for (const row of rows) expect(row).to.deep.equal(PRIVATE);
  });

  function publicPaths(): string[] {
    const list = ids.join(',');
    const paths: string[] = [];
    for (const format of FORMATS) {
      paths.push(
        `${BASE}/discovery.${format}`,
        `${BASE}/services.${format}`,
        `${BASE}/requests.${format}`,
        `${BASE}/requests.${format}?extensions=true`,
        `${BASE}/requests.${format}?service_request_id=${list}`,
        `${BASE}/requests.${format}?service_request_id=${list}&extensions=true`,
        `${BASE}/requests.${format}?extensions=true&page_size=2`,
        `${BASE}/requests.${format}?service_code=SIDEWALK,GRAFFITI,MISSED_TRASH&status=open&extensions=true`,
        `${BASE}/requests.${format}?lat=${LANCASTER.lat}&long=${LANCASTER.long}&radius=100&extensions=true`,
        `${BASE}/tokens/${token}.${format}`,
        `${BASE}/servicerequestupdates.${format}`,
        ...ids.flatMap((id) => [`${BASE}/requests/${id}.${format}`, `${BASE}/requests/${id}.${format}?extensions=true`]),
      );
    }
    paths.push(
      `${BASE}/requests.geojson`,
      `${BASE}/requests.geojson?extensions=true`,
      `${BASE}/requests.geojson?service_request_id=${list}`,
      `${BASE}/requests/${ids[0]}.geojson?extensions=true`,
      '/open311/bulk/requests.csv',
      `/open311/bulk/requests.csv?service_request_id=${list}`,
      `${BASE}/requests.json?callback=cb&extensions=true`,
      `${BASE}/requests.json?callback=cb&service_request_id=${list}&extensions=true`,
      `${BASE}/requests/${ids[0]}.json?callback=jQuery_1.cb&extensions=true`,
      `${BASE}/tokens/${token}.json?callback=cb`,
      `${BASE}/servicerequestupdates.json?callback=cb`,
      '/metrics',
    );
    return paths;
  }

  it('no public GET answer (every endpoint, format, extensions on and off, JSONP, GeoJSON, CSV) carries a private value, in body or headers', async () => {
    let sawOurRequests = 0;
    for (const path of publicPaths()) {
      const answer = await call('GET', path);
      expect(answer.status, `${path}: ${answer.text.slice(0, 300)}`).to.equal(200);
      if (answer.text.includes(description)) sawOurRequests++;
      const haystack = `${answer.text}\n${JSON.stringify(answer.headers)}`.toLowerCase();
      for (const needle of NEEDLES) {
        expect(haystack.includes(needle.toLowerCase()), `${path} carries the private value ${needle}`).to.equal(false);
      }
    }
    // Our requests were in the answers that list them (lists, single requests, GeoJSON, CSV, JSONP).
    expect(sawOurRequests).to.be.greaterThan(30);
  });

  it('a public GET sent with a client key (query and Authorization) is still the public answer', async () => {
    const answer = await call(
      'GET',
      `${BASE}/requests/${ids[0]}.json?extensions=true&api_key=${encodeURIComponent(ctx().apiKey)}`,
      { Authorization: `Bearer ${ctx().apiKey}` },
    );
    expect(answer.status).to.equal(200);
    for (const needle of NEEDLES) expect(answer.text.toLowerCase().includes(needle.toLowerCase()), needle).to.equal(false);
  });

  describe('API keys', () => {
    it('are stored hashed: the api_keys row holds neither the key nor its secret part, and the hash is SHA-256 of the key', async () => {
      const { key, record } = await createKey(ctx().db, unique('privacy key'));
      const row = (await ctx().db('api_keys').where('id', record.id).first()) as Record<string, unknown>;
      const dump = JSON.stringify(row);
      expect(dump.includes(key)).to.equal(false);
      const secret = key.slice(12);
      for (let start = 0; start + 8 <= secret.length; start++)
        expect(dump.includes(secret.slice(start, start + 8)), 'a piece of the secret is stored').to.equal(false);
      expect(row.key_hash).to.equal(createHash('sha256').update(key, 'utf8').digest('hex'));
      // The whole table holds no clear key, the suite's included.
      const all = JSON.stringify(await ctx().db('api_keys').select('*'));
      expect(all.includes(ctx().apiKey)).to.equal(false);
      expect(all.includes(key)).to.equal(false);
    });

    it('a key that differs from a valid one only in its last character, or shares its prefix, is refused (403)', async () => {
      const valid = ctx().apiKey;
      const last = valid.at(-1) === 'A' ? 'B' : 'A';
      for (const guess of [valid.slice(0, -1) + last, valid.slice(0, 12), `${valid}x`, valid.toUpperCase()]) {
        if (guess === valid) continue;
        const answer = await call(
          'POST',
          `${BASE}/requests.json`,
          FORM,
          new URLSearchParams({ api_key: guess, service_code: 'SIDEWALK', address_string: 'x' }).toString(),
        );
        expect(answer.status, guess).to.equal(403);
      }
    });

    it('no answer echoes an API key: POSTs with the key in the body, the query or Authorization, succeeding or failing, valid or not', async () => {
      const wrong = `o311_${randomBytes(18).toString('base64url')}`;
      for (const key of [ctx().apiKey, wrong]) {
        for (const format of FORMATS) {
          for (const where of ['body', 'query', 'bearer'] as const) {
            for (const fields of <Array<Record<string, string>>>[
              { service_code: 'SIDEWALK', lat: String(LANCASTER.lat), long: String(LANCASTER.long), description: unique('echo') },
              { service_code: 'SIDEWALK' },
              { service_code: 'NO_SUCH_SERVICE', address_string: 'x' },
            ]) {
              const params = new URLSearchParams(fields);
              if (where === 'body') params.set('api_key', key);
              const path = `${BASE}/requests.${format}${where === 'query' ? `?api_key=${encodeURIComponent(key)}` : ''}`;
              const headers = { ...FORM, ...(where === 'bearer' ? { Authorization: `Bearer ${key}` } : {}) };
              const answer = await call('POST', path, headers, params.toString());
              expect(answer.status).to.be.below(500);
              const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`;
              expect(
                everything.includes(key),
                `${format}/${where}/${fields.service_code}: ${answer.status} echoes the key: ${everything.slice(0, 400)}`,
              ).to.equal(false);
            }
          }
        }
      }
    });

    it('no GET answer echoes an api_key sent in its query string (paging links included)', async () => {
      const key = ctx().apiKey;
      for (const format of FORMATS) {
        for (const path of [
          `${BASE}/requests.${format}?api_key=${encodeURIComponent(key)}&page_size=1&page=2`,
          `${BASE}/requests.${format}?page=1&page_size=1&api_key=${encodeURIComponent(key)}`,
          `${BASE}/services.${format}?api_key=${encodeURIComponent(key)}`,
          `${BASE}/requests/${ids[0]}.${format}?api_key=${encodeURIComponent(key)}`,
          `${BASE}/nowhere.${format}?api_key=${encodeURIComponent(key)}`,
          `${BASE}/requests.${format}?api_key=${encodeURIComponent(key)}&page_size=0`,
        ]) {
          const answer = await call('GET', path);
          expect(answer.status).to.be.below(500);
          const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`;
          expect(
            everything.includes(key),
            `${path}: ${answer.status} echoes the key: ${JSON.stringify(answer.headers)}`,
          ).to.equal(false);
        }
      }
    });
  });
});
