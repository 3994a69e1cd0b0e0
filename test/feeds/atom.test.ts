// Atom feeds (RFC 4287 + GeoRSS): structure read back with xml2js, filters, public fields only, ETag 304.
import { expect } from 'chai';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { createKey } from '../../src/store/api-keys-store.js';
import { createRequest } from '../helpers/build.js';
import { ctx, unique } from '../helpers/test-server.js';

type Node = Record<string, unknown> & { $?: Record<string, string>; _?: string };
const text = (node: unknown): string => (typeof node === 'string' ? node : ((node as Node)?._ ?? ''));

async function readFeed(path: string) {
  const answer = await request(ctx().app).get(path);
  expect(answer.status, answer.text).to.equal(200);
  expect(answer.headers['content-type']).to.match(/^application\/atom\+xml/);
  const parsed = (await parseStringPromise(answer.text)) as { feed: Node };
  return { answer, feed: parsed.feed };
}

/** The RFC 4287 must-haves of a feed and of each entry. */
function checkStructure(feed: Node): Array<Node> {
  expect(feed.$).to.include({ xmlns: 'http://www.w3.org/2005/Atom', 'xmlns:georss': 'http://www.georss.org/georss' });
  for (const name of ['id', 'title', 'updated', 'author']) expect(feed, name).to.have.property(name);
  const links = (feed.link as Node[]).map((link) => link.$!);
  expect(links.some((link) => link.rel === 'self' && link.type === 'application/atom+xml')).to.equal(true);
  expect(new Date(text((feed.updated as unknown[])[0])).getTime()).to.not.be.NaN;
  const entries = (feed.entry as Node[] | undefined) ?? [];
  const ids = new Set<string>();
  for (const entry of entries) {
    for (const name of ['id', 'title', 'updated']) expect(entry, name).to.have.property(name);
    const id = text((entry.id as unknown[])[0]);
    expect(ids.has(id), `entry id ${id} twice`).to.equal(false);
    ids.add(id);
    expect(text((entry.updated as unknown[])[0])).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
  return entries;
}

const entryFor = (entries: Node[], id: string): Node | undefined =>
  entries.find((entry) => text((entry.id as unknown[])[0]).endsWith(`/requests/${id}`));

describe('Atom feeds', () => {
  it('city-wide: new and changed requests with GeoRSS points, public fields only', async () => {
    const email = `${unique('private')}@example.org`;
    const description = unique('Streetlight out');
    const id = await createRequest({
      service_code: 'GRAFFITI',
      description,
      email,
      first_name: 'Hidden',
      lat: '39.7141',
      long: '-82.6001',
    });
    const { answer, feed } = await readFeed('/feeds/requests.atom');
    const entries = checkStructure(feed);
    const entry = entryFor(entries, id);
    expect(entry, 'the new request').to.not.equal(undefined);
    expect(text((entry!['georss:point'] as unknown[])[0])).to.equal('39.7141 -82.6001');
    expect(text((entry!.content as unknown[])[0])).to.include(description);
    expect(((entry!.link as Node[])[0]!.$ as Record<string, string>).href).to.equal(`http://311.test.example/requests/${id}`);
    expect(answer.text).to.not.include(email).and.not.include('Hidden');
  });

  it('per service, per status, per bbox: only matching requests', async () => {
    const graffiti = await createRequest({ service_code: 'GRAFFITI', lat: '39.7201', long: '-82.6101' });
    const sidewalk = await createRequest({ service_code: 'SIDEWALK', lat: '39.7201', long: '-82.6101' });
    const byService = checkStructure((await readFeed('/feeds/requests.atom?service_code=GRAFFITI')).feed);
    expect(entryFor(byService, graffiti)).to.not.equal(undefined);
    expect(entryFor(byService, sidewalk)).to.equal(undefined);
    const closed = checkStructure((await readFeed('/feeds/requests.atom?status=closed')).feed);
    expect(entryFor(closed, graffiti)).to.equal(undefined);
    const inBox = checkStructure((await readFeed('/feeds/requests.atom?bbox=-82.6102,39.7200,-82.6100,39.7202')).feed);
    expect(entryFor(inBox, graffiti)).to.not.equal(undefined);
    const elsewhere = checkStructure((await readFeed('/feeds/requests.atom?bbox=-82.50,39.60,-82.49,39.61')).feed);
    expect(entryFor(elsewhere, graffiti)).to.equal(undefined);
    const bad = await request(ctx().app).get('/feeds/requests.atom?bbox=1,2,3');
    expect(bad.status).to.equal(400);
    const unknownArea = await request(ctx().app).get('/feeds/requests.atom?service_area=NO-SUCH-AREA');
    expect(unknownArea.status).to.equal(404);
  });

  it('per request: its public history, never internal notes', async () => {
    const id = await createRequest({});
    const staff = (await createKey(ctx().db, unique('feed staff'), 'staff')).key;
    const current = await request(ctx().app).get(`/api/v1/requests/${id}`).set('Authorization', `Bearer ${staff}`);
    const patched = await request(ctx().app)
      .patch(`/api/v1/requests/${id}`)
      .set('Authorization', `Bearer ${staff}`)
      .set('If-Match', String(current.headers.etag))
      .send({ status: 'in_progress', status_notes: 'Crew on the way', internal_note: 'secret internal remark' });
    expect(patched.status, patched.text).to.equal(200);
    const { answer, feed } = await readFeed(`/feeds/requests/${id}.atom`);
    const entries = checkStructure(feed);
    expect(entries).to.have.length(2);
    expect(text((entries[0]!.content as unknown[])[0])).to.equal('Crew on the way');
    expect(answer.text).to.not.include('secret internal remark');
    expect((await request(ctx().app).get('/feeds/requests/999999999999.atom')).status).to.equal(404);
  });

  it('is linked from discovery (Link: rel=alternate) and from the index', async () => {
    for (const format of ['json', 'xml']) {
      const discovery = await request(ctx().app).get(`/open311/v2/discovery.${format}`);
      expect(discovery.headers.link).to.equal(
        '<http://311.test.example/feeds/requests.atom>; rel="alternate"; type="application/atom+xml"',
      );
    }
    const index = await request(ctx().app).get('/');
    expect(index.body.feeds).to.equal('http://311.test.example/feeds/requests.atom');
  });

  it('is linked from the resident site: every page offers the city-wide feed, a request page its own', async () => {
    const id = await createRequest({ description: unique('Feed link') });
    const alternates = (page: string): string[] =>
      [...page.matchAll(/<link rel="alternate" type="application\/atom\+xml" title="[^"]+" href="([^"]+)">/g)].map(
        (match) => match[1]!,
      );
    for (const path of ['/report', '/map', '/numbers', '/about']) {
      const page = await request(ctx().app).get(path).set('Accept', 'text/html');
      expect(page.status, path).to.equal(200);
      expect(alternates(page.text), path).to.deep.equal(['/feeds/requests.atom']);
    }
    const track = await request(ctx().app).get(`/requests/${id}`);
    expect(track.status).to.equal(200);
    const links = alternates(track.text);
    expect(links).to.deep.equal(['/feeds/requests.atom', `/feeds/requests/${id}.atom`]);
    // The links lead to feeds.
    for (const link of links) expect((await request(ctx().app).get(link)).status, link).to.equal(200);
  });

  it('answers 304 to a conditional GET with the ETag, and a new body once something changed', async () => {
    const first = await request(ctx().app).get('/feeds/requests.atom?service_code=GRAFFITI');
    const etag = first.headers.etag;
    expect(etag).to.match(/^"[^"]+"$/);
    const again = await request(ctx().app).get('/feeds/requests.atom?service_code=GRAFFITI').set('If-None-Match', etag!);
    expect(again.status).to.equal(304);
    expect(again.text).to.equal('');
    await createRequest({ service_code: 'GRAFFITI', description: unique('New tag') });
    const changed = await request(ctx().app).get('/feeds/requests.atom?service_code=GRAFFITI').set('If-None-Match', etag!);
    expect(changed.status).to.equal(200);
    expect(changed.headers.etag).to.not.equal(etag);
  });
});
