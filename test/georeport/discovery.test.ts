// Service discovery (digest §2.1; conformance checklist items 21–24).
import { expect } from 'chai';
import { addServices } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, unique, type Answer } from '../helpers/test-server.js';
import { childElementNames } from '../helpers/queries.js';

const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

interface Endpoint {
  specification: string;
  url: string;
  changeset: string;
  type: string;
  formats: string[];
}
interface Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: Endpoint[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function discovery(format: 'json' | 'xml'): Promise<Discovery> {
  const answer = await get(`${BASE}/discovery.${format}`);
  expect(answer.status).to.equal(200);
  assertSchema('discovery.json', answer.body);
  return answer.body as Discovery;
}

describe('service discovery (checklist 21–24)', () => {
  describe('21: the document', () => {
    it('discovery.xml has root <discovery> with changeset, contact, key_service, endpoints/endpoint in order', async () => {
      const answer = await get(`${BASE}/discovery.xml`);
      expect(answer.status).to.equal(200);
      expect(answer.headers['content-type']).to.equal('text/xml; charset=utf-8');
      const root = answer.text.replace(/^<\?xml[^>]*\?>\s*/, '');
      expect(root).to.match(/^<discovery>/);
      expect(root.trim()).to.match(/<\/discovery>$/);
      expect(childElementNames(answer.text, 'discovery')).to.deep.equal([['changeset', 'contact', 'key_service', 'endpoints']]);
      const endpoints = childElementNames(answer.text, 'endpoints');
      expect(endpoints).to.have.length(1);
      expect(endpoints[0]!.length).to.be.at.least(1);
      for (const child of endpoints[0]!) expect(child).to.equal('endpoint');
      for (const endpoint of childElementNames(answer.text, 'endpoint')) {
        expect(endpoint).to.deep.equal(['specification', 'url', 'changeset', 'type', 'formats']);
      }
      for (const formats of childElementNames(answer.text, 'formats')) {
        expect(formats.length).to.be.at.least(1);
        for (const child of formats) expect(child).to.equal('format');
      }
      assertSchema('discovery.json', answer.body);
    });

    it('discovery.json is the same data as an object, keys in the same order', async () => {
      const json = await get(`${BASE}/discovery.json`);
      expect(json.status).to.equal(200);
      expect(json.headers['content-type']).to.equal('application/json; charset=utf-8');
      const raw = JSON.parse(json.text) as Record<string, unknown>;
      expect(Array.isArray(raw)).to.equal(false);
      expect(Object.keys(raw)).to.deep.equal(['changeset', 'contact', 'key_service', 'endpoints']);
      for (const endpoint of raw.endpoints as Array<Record<string, unknown>>) {
        expect(Object.keys(endpoint)).to.deep.equal(['specification', 'url', 'changeset', 'type', 'formats']);
      }
      assertSchema('discovery.json', json.body);
      const xml = await get(`${BASE}/discovery.xml`);
      expect(json.body).to.deep.equal(xml.body);
    });

    for (const format of FORMATS) {
      it(`contact and key_service are non-empty human-readable text (${format})`, async () => {
        const document = await discovery(format);
        expect(document.contact.trim()).to.not.equal('');
        expect(document.key_service.trim()).to.not.equal('');
        expect(document.contact).to.equal(ctx().config.contact);
        expect(document.key_service).to.equal(ctx().config.keyService);
      });

      it(`ignores parameters (${format})`, async () => {
        const plain = await get(`${BASE}/discovery.${format}`);
        const withParameters = await get(`${BASE}/discovery.${format}?jurisdiction_id=elsewhere.example&api_key=nope&foo=bar`);
        expect(withParameters.status).to.equal(200);
        expect(withParameters.body).to.deep.equal(plain.body);
      });
    }
  });

  describe('22: the endpoints', () => {
    for (const format of FORMATS) {
      it(`each endpoint has the GeoReport v2 specification, a url, a changeset, a type and both formats as MIME types (${format})`, async () => {
        const document = await discovery(format);
        expect(document.endpoints).to.be.an('array').with.length.of.at.least(1);
        for (const endpoint of document.endpoints) {
          expect(endpoint.specification).to.equal(SPECIFICATION);
          expect(endpoint.url)
            .to.be.a('string')
            .and.match(/^https?:\/\/\S+$/);
          expect(endpoint.changeset).to.match(DATETIME);
          expect(endpoint.type).to.be.oneOf(['production', 'test']);
          expect(endpoint.formats).to.be.an('array');
          expect(endpoint.formats).to.include('text/xml');
          expect(endpoint.formats).to.include('application/json');
          for (const mime of endpoint.formats) expect(mime).to.match(/^[a-z]+\/[a-z0-9.+-]+$/);
        }
        expect(document.endpoints.some((endpoint) => endpoint.specification === SPECIFICATION)).to.equal(true);
      });
    }
  });

  describe('23: changeset', () => {
    for (const format of FORMATS) {
      it(`the changesets parse as datetimes that are not in the future (${format})`, async () => {
        const document = await discovery(format);
        for (const changeset of [document.changeset, ...document.endpoints.map((endpoint) => endpoint.changeset)]) {
          expect(changeset).to.match(DATETIME);
          const time = Date.parse(changeset);
          expect(Number.isNaN(time)).to.equal(false);
          expect(time).to.be.at.most(Date.now());
          expect(time).to.be.greaterThan(Date.UTC(2000, 0, 1));
        }
      });
    }

    it('changes when a service is added and when a service definition changes (both formats)', async function () {
      this.timeout(30_000);
      const code = unique('CHANGESET');
      const service = {
        service_code: code,
        service_name: 'Changeset probe',
        description: 'A service added to move the changeset.',
        type: 'realtime' as const,
        keywords: ['probe'],
        group: 'Tests',
      };
      const read = async (): Promise<{ json: Discovery; xml: Discovery }> => ({
        json: await discovery('json'),
        xml: await discovery('xml'),
      });
      const stamps = (document: Discovery): number[] =>
        [document.changeset, ...document.endpoints.map((endpoint) => endpoint.changeset)].map((text) => Date.parse(text));

      const before = await read();
      expect(before.xml.changeset).to.equal(before.json.changeset);
      await sleep(1100); // changesets have one-second resolution

      // A new service in the list.
      await addServices([service]);
      const added = await read();
      expect(added.xml.changeset).to.equal(added.json.changeset);
      for (const [index, stamp] of stamps(added.json).entries())
        expect(stamp, 'after adding a service').to.be.greaterThan(stamps(before.json)[index]!);
      for (const stamp of stamps(added.json)) expect(stamp).to.be.at.most(Date.now());
      await sleep(1100);

      // The same service gains an attribute: its definition changes.
      await addServices([
        {
          ...service,
          attributes: [
            {
              variable: true,
              code: 'NEW',
              datatype: 'string',
              required: false,
              datatype_description: null,
              order: 1,
              description: 'A new question',
            },
          ],
        },
      ]);
      const redefined = await read();
      for (const [index, stamp] of stamps(redefined.json).entries())
        expect(stamp, 'after changing a definition').to.be.greaterThan(stamps(added.json)[index]!);
      for (const [index, stamp] of stamps(redefined.xml).entries()) expect(stamp).to.be.greaterThan(stamps(added.xml)[index]!);
      await sleep(1100);

      // Only the wording changes (service name, question text).
      await addServices([
        {
          ...service,
          service_name: 'Changeset probe, renamed',
          attributes: [
            {
              variable: true,
              code: 'NEW',
              datatype: 'string',
              required: false,
              datatype_description: null,
              order: 1,
              description: 'A reworded question',
            },
          ],
        },
      ]);
      const reworded = await read();
      expect(Date.parse(reworded.json.changeset)).to.be.greaterThan(Date.parse(redefined.json.changeset));
      expect(Date.parse(reworded.xml.changeset)).to.be.greaterThan(Date.parse(redefined.xml.changeset));
      await sleep(1100);

      // The service is withdrawn from the list.
      await addServices([{ ...service, active: false }]);
      const withdrawn = await read();
      expect(Date.parse(withdrawn.json.changeset)).to.be.greaterThan(Date.parse(reworded.json.changeset));
      const list = (await get(`${BASE}/services.json`)).body as Array<{ service_code: string }>;
      expect(list.map((item) => item.service_code)).not.to.include(code);
    });
  });

  describe('24: endpoint.url + /services.xml works', () => {
    for (const format of FORMATS) {
      it(`the advertised url leads to the service list (${format})`, async () => {
        const document = await discovery(format);
        for (const endpoint of document.endpoints.filter((item) => item.specification === SPECIFICATION)) {
          const url = new URL(`${endpoint.url}/services.xml`);
          expect(`${url.protocol}//${url.host}`).to.equal(ctx().config.publicUrl);
          const answer: Answer = await get(`${url.pathname}${url.search}`);
          expect(answer.status, url.pathname).to.equal(200);
          expect(answer.headers['content-type']).to.equal('text/xml; charset=utf-8');
          assertSchema('services.json', answer.body);
          expect((answer.body as unknown[]).length).to.be.greaterThan(0);
          const json = await get(`${new URL(`${endpoint.url}/services.json`).pathname}`);
          expect(json.status).to.equal(200);
          expect(json.body).to.deep.equal(answer.body);
        }
      });
    }
  });
});
