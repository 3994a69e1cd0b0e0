// The resident site over plain HTTP (the suite's app: no geocoder configured): content negotiation at /, the
// report flow as form POSTs through the same intake as the API, the honeypot, blackbox and batch services,
// HTML error pages, languages, the numbers and their CSV, and the server-side geocoder against a fake
// Nominatim-compatible server on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { Geocoder } from '../../src/http/pages/site/geocoder.js';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { BASE, ctx, testConfig, unique } from '../helpers/test-server.js';
import { createRequest, insertRequest } from '../helpers/build.js';

type Pairs = Array<[string, string]>;

const flowOf = (text: string): string => /name="flow" value="([A-Za-z0-9_-]+)"/.exec(text)?.[1] ?? '';

type App = ReturnType<typeof createApp>['app'];

async function post(step: string, flow: string, pairs: Pairs, headers: Record<string, string> = {}, app: App = ctx().app) {
  const body = new URLSearchParams([['flow', flow], ['step', step], ...pairs]).toString();
  return request(app).post(`/report/${step}`).set(headers).type('form').send(body);
}

/** Walks the flow to the review page with these answers; returns the review page's state. */
async function toReview(
  options: { address: string; service: string; details?: Pairs; contact?: Pairs },
  app: App = ctx().app,
): Promise<string> {
  const start = await request(app).get('/report?map=off');
  expect(start.status).to.equal(200);
  let page = await post('where', flowOf(start.text), [['address', options.address]], {}, app);
  expect(page.text).to.include('What is the problem?');
  page = await post('what', flowOf(page.text), [['service_code', options.service]], {}, app);
  expect(page.status, page.text).to.equal(200);
  page = await post('details', flowOf(page.text), options.details ?? [], {}, app);
  expect(page.status, page.text).to.equal(200);
  if (page.text.includes('Has it already been reported?')) page = await post('duplicates', flowOf(page.text), [], {}, app);
  page = await post('contact', flowOf(page.text), options.contact ?? [], {}, app);
  expect(page.text).to.include('Check your answers before sending your report');
  return flowOf(page.text);
}

describe('resident site over HTTP', () => {
  it('answers GET / with the JSON index to API clients and the site to browsers', async () => {
    const json = await request(ctx().app).get('/').set('Accept', 'application/json');
    expect(json.status).to.equal(200);
    expect(json.headers['content-type']).to.match(/^application\/json/);
    expect(json.body.georeport_v2).to.match(/\/open311\/v2$/);
    expect((await request(ctx().app).get('/')).body.name).to.equal('open311-server');
    const page = await request(ctx().app).get('/').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'").and.include("style-src 'self'");
    expect(page.headers.vary).to.include('Accept');
    expect(page.text).to.include('Start a report');
    // No inline scripts or styles anywhere on the page.
    expect(page.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.to.match(/\sstyle=|\son[a-z]+=/);
  });

  it('files an address-only report through the intake: the API shows it with the address and no point', async () => {
    const description = unique('site report');
    const flow = await toReview({
      address: '400 Site Avenue',
      service: 'SIDEWALK',
      details: [['description', description]],
      contact: [['email', 'private@example.com']],
    });
    const sent = await post('review', flow, [
      ['action', 'send'],
      ['website', ''],
    ]);
    expect(sent.status).to.equal(303);
    const id = /request=(\d+)/.exec(sent.headers.location ?? '')?.[1];
    expect(id).to.be.a('string');
    const api = await request(ctx().app).get(`${BASE}/requests/${id}.json?extensions=true`);
    expect(api.body[0].description).to.equal(description);
    expect(api.body[0].address).to.equal('400 Site Avenue');
    expect(api.body[0].lat).to.equal(null);
    expect(api.body[0].extended_attributes.channel).to.equal('web');
    const row = await ctx().db('service_requests').where({ id }).first('api_key_id');
    const submitter = await ctx().db('service_request_submitters').where({ service_request_id: id }).first('email');
    expect(submitter.email).to.equal('private@example.com');
    const key = await ctx().db('api_keys').where({ id: row.api_key_id }).first('name');
    expect(key.name).to.equal('resident site');
    const confirmation = await request(ctx().app).get(sent.headers.location!);
    expect(confirmation.text).to.include(`<strong class="request-number">${id}</strong>`);
  });

  it('refuses a filled honeypot and creates nothing', async () => {
    const description = unique('robot');
    const flow = await toReview({ address: '1 Robot Road', service: 'SIDEWALK', details: [['description', description]] });
    const sent = await post('review', flow, [
      ['action', 'send'],
      ['website', 'http://spam.example'],
    ]);
    expect(sent.status).to.equal(400);
    expect(sent.text).to.include('Your report could not be sent');
    expect(await ctx().db('service_requests').where({ description }).first()).to.equal(undefined);
  });

  it("applies the API's per-address rate limit, with a message on the review page that keeps the report", async () => {
    const { app } = createApp({
      config: testConfig({ RATE_LIMIT_PER_ADDRESS: '1' }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    const first = unique('first of the minute');
    const second = unique('second of the minute');
    const send = async (description: string) =>
      post(
        'review',
        await toReview({ address: '9 Busy Street', service: 'SIDEWALK', details: [['description', description]] }, app),
        [
          ['action', 'send'],
          ['website', ''],
        ],
        {},
        app,
      );
    expect((await send(first)).status).to.equal(303);
    const refused = await send(second);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
    expect(refused.text).to.include('Too many reports have been sent from your connection');
    // Still the review page, with the report in it, ready to be sent again.
    expect(refused.text).to.include('Check your answers before sending your report').and.include(second);
    expect(await ctx().db('service_requests').where({ description: second }).first()).to.equal(undefined);
  });

  it('answers a photo too large or too many on the photo field, keeping the rest of the form', async () => {
    const { app } = createApp({
      config: testConfig({ MEDIA_MAX_BYTES: '2048', MEDIA_MAX_FILES: '2' }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    const start = await request(app).get('/report?map=off');
    let page = await post('where', flowOf(start.text), [['address', '3 Upload Lane']], {}, app);
    page = await post('what', flowOf(page.text), [['service_code', 'SIDEWALK']], {}, app);
    expect(page.text).to.include('Tell us about the problem');
    const flow = flowOf(page.text);
    const pixel = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPY2fkfAAPXAmUqv1CzAAAAAElFTkSuQmCC',
      'base64',
    );
    const details = (files: Array<[string, Buffer]>) => {
      let upload = request(app)
        .post('/report/details')
        .field('flow', flow)
        .field('step', 'details')
        .field('description', 'Slab lifted by a root');
      for (const [name, bytes] of files) upload = upload.attach('photo', bytes, { filename: name, contentType: 'image/png' });
      return upload;
    };
    const large = await details([['large.png', Buffer.concat([pixel, Buffer.alloc(5000)])]]);
    expect(large.status).to.be.below(500).and.not.equal(413);
    expect(large.text).to.include('Each photo can be at most 2 KB').and.include('Slab lifted by a root');
    expect(large.text).to.include('Tell us about the problem');
    const many = await details([
      ['one.png', pixel],
      ['two.png', pixel],
      ['three.png', pixel],
    ]);
    expect(many.status).to.be.below(500).and.not.equal(413);
    expect(many.text).to.include('You can add up to 2 photos').and.include('Slab lifted by a root');
  });

  it('validates the questions like the API: a required one missing and a bad number come back on their fields', async () => {
    const start = await request(ctx().app).get('/report?map=off');
    let page = await post('where', flowOf(start.text), [['address', '2 Check Street']]);
    page = await post('what', flowOf(page.text), [['service_code', 'POTHOLE']]);
    page = await post('details', flowOf(page.text), [
      ['attribute[DEPTH]', 'deep'],
      ['description', 'kept'],
    ]);
    expect(page.status).to.equal(400);
    expect(page.text).to.include('href="#field-attribute-SIZE-"').and.include('href="#field-attribute-DEPTH-"');
    expect(page.text).to.include('value="deep"').and.include('>kept</textarea>');
  });

  it('lets a blackbox service be reported, but never shows its requests', async () => {
    const description = unique('blackbox');
    const flow = await toReview({ address: '3 Quiet Lane', service: 'DEAD_ANIMAL', details: [['description', description]] });
    const sent = await post('review', flow, [['action', 'send']]);
    expect(sent.status).to.equal(303);
    expect(sent.headers.location).to.equal('/report/sent');
    const row = await ctx().db('service_requests').where({ description }).first('id');
    expect(row).to.not.equal(undefined);
    const track = await request(ctx().app).get(`/requests/${row.id}`);
    expect(track.status).to.equal(404);
    expect(track.headers['content-type']).to.match(/^text\/html/);
    const map = await request(ctx().app).get('/map');
    expect(map.text).not.to.include(`Request ${row.id}<`);
  });

  it("resolves a batch service's token to the request number on the confirmation page", async () => {
    const flow = await toReview({
      address: '4 Bin Street',
      service: 'MISSED_TRASH',
      details: [['attribute[COLLECTION_TYPE][]', 'TRASH']],
    });
    const sent = await post('review', flow, [['action', 'send']]);
    expect(sent.status, sent.text).to.equal(303);
    expect(sent.headers.location).to.match(/^\/report\/sent\?token=/);
    const page = await request(ctx().app).get(sent.headers.location!);
    const id = /<strong class="request-number">(\d+)<\/strong>/.exec(page.text)?.[1];
    expect(id, page.text).to.be.a('string');
    expect(page.text).to.include(`href="/requests/${id}"`);
  });

  it('answers HTML error pages on site paths and errors documents on the API', async () => {
    const page = await request(ctx().app).get('/requests/999999999');
    expect(page.status).to.equal(404);
    expect(page.text).to.include('Page not found');
    const api = await request(ctx().app).get(`${BASE}/requests/999999999.json`);
    expect(api.status).to.equal(404);
    expect(api.headers['content-type']).to.match(/^application\/json/);
  });

  it('picks the language from Accept-Language, and the cookie wins', async () => {
    const spanish = await request(ctx().app).get('/report').set('Accept-Language', 'es-MX,es;q=0.9,en;q=0.5');
    expect(spanish.text).to.include('<html lang="es">').and.include('¿Dónde está el problema?');
    const english = await request(ctx().app).get('/report').set('Accept-Language', 'es').set('Cookie', 'lang=en');
    expect(english.text).to.include('Where is the problem?');
    const switched = await request(ctx().app).get('/language/es?next=/map');
    expect(switched.status).to.equal(303);
    expect(switched.headers.location).to.equal('/map');
    expect(switched.headers['set-cookie']?.[0]).to.match(/^lang=es;/);
    const outside = await request(ctx().app).get('/language/es?next=//evil.example/');
    expect(outside.headers.location).to.equal('/');
  });

  it('shows the track page and the public list without scripts, with filters', async () => {
    const id = await createRequest({ service_code: 'SIDEWALK', description: unique('listed') });
    const track = await request(ctx().app).get(`/requests/${id}`);
    expect(track.status).to.equal(200);
    expect(track.text).to.include(`Request ${id}`).and.include('Report received');
    const list = await request(ctx().app).get('/map?service_code=SIDEWALK&status=open');
    expect(list.text).to.include(`href="/requests/${id}"`);
    const closed = await request(ctx().app).get('/map?service_code=SIDEWALK&status=closed');
    expect(closed.text).not.to.include(`href="/requests/${id}"`);
    const fragment = await request(ctx().app).get('/map?fragment=list&service_code=SIDEWALK');
    expect(fragment.text.startsWith('<div id="map-results"')).to.equal(true);
  });

  it('offers "follow by e-mail" on the track page when notifications are configured, through their own route', async () => {
    const id = await createRequest({ service_code: 'SIDEWALK', description: unique('followed') });
    expect((await request(ctx().app).get(`/requests/${id}`)).text).not.to.include('/follow"');
    const { app } = createApp({
      config: testConfig({ SMTP_URL: 'smtp://127.0.0.1:25999' }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    const track = await request(app).get(`/requests/${id}`);
    expect(track.text).to.include(`action="/requests/${id}/follow"`);
    const followed = await request(app)
      .post(`/requests/${id}/follow`)
      .type('form')
      .send({ email: 'follower@example.com', locale: 'en' });
    expect(followed.status).to.equal(200);
    expect(followed.text).to.include('Check your e-mail');
  });

  it('publishes the city numbers from the staff trends, with CSV', async () => {
    const closedAt = new Date(Date.now() - 3600 * 1000);
    const id = await insertRequest({
      service_code: 'GRAFFITI',
      status: 'closed',
      requested_datetime: new Date(Date.now() - 5 * 3600 * 1000),
    });
    await ctx().db('service_requests').where({ id }).update({ closed_datetime: closedAt });
    // An app of its own: the shared one may hold numbers computed (for a minute) before this request existed.
    const { app } = createApp({ config: testConfig(), db: ctx().db, logger: createLogger('silent') });
    const page = await request(app).get('/numbers');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Median time to close').and.include('<th scope="row">Graffiti</th>');
    const csv = await request(app).get('/numbers/time-to-close.csv');
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).to.equal('service_code,service_name,closed,median_hours');
    expect(csv.text).to.match(/\r\nGRAFFITI,Graffiti,\d+,[\d.]+\r\n/);
    const weekly = await request(app).get('/numbers/weekly.csv');
    expect(weekly.text.split('\r\n')[0]).to.equal('week_start,requests');
  });
});

describe('server-side geocoder (fake Nominatim on loopback)', () => {
  let server: http.Server;
  let url: string;
  const calls: Array<{ q: string; at: number; agent: string | undefined }> = [];
  let failing = false;

  before(async () => {
    server = http.createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      calls.push({ q: query.get('q') ?? '', at: Date.now(), agent: req.headers['user-agent'] });
      if (failing) {
        res.writeHead(503).end();
        return;
      }
      const found = query.get('q') === 'Town Hall' ? [{ lat: '39.71', lon: '-82.6', display_name: 'Town Hall, Lancaster' }] : [];
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(found));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/search`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('asks at most once per second, caches answers and names itself', async () => {
    const geocoder = new Geocoder({ url, userAgent: 'open311-server test' });
    const found = await geocoder.search('Town Hall', 'en');
    expect(found).to.deep.equal({ lat: 39.71, long: -82.6, display_name: 'Town Hall, Lancaster' });
    expect(await geocoder.search('  town   hall ', 'en')).to.deep.equal(found);
    expect(calls).to.have.length(1);
    expect(calls[0]!.agent).to.equal('open311-server test');
    expect(await geocoder.search('Nowhere at all', 'en')).to.equal(null);
    expect(calls).to.have.length(2);
    // The next call starts a second after the previous one ended, so the server sees them at least a second apart.
    expect(calls[1]!.at - calls[0]!.at).to.be.at.least(1000);
  });

  it('keeps the address as typed when the provider fails (undefined, not an error)', async () => {
    failing = true;
    try {
      const geocoder = new Geocoder({ url, userAgent: 'open311-server test', intervalMs: 0 });
      expect(await geocoder.search('Somewhere', 'en')).to.equal(undefined);
    } finally {
      failing = false;
    }
  });
});
