// Service list and service definitions (digest §2.2, §2.3, §1.7; conformance checklist items 25–32 and 56).
import { expect } from 'chai';
import type { CatalogService } from '../../src/store/catalog-store.js';
import { addServices, createRequest, submit } from '../helpers/build.js';
import { assertSchema, BASE, ctx, FORMATS, get, unique, type Answer, type Format } from '../helpers/test-server.js';
import { childElementNames } from '../helpers/queries.js';

const SERVICE_FIELDS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'];
const DEFINITION_FIELDS = ['service_code', 'attributes'];
const ATTRIBUTE_FIELDS = ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description'];
const VALUE_FIELDS = ['key', 'name'];
const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'];
const LIST_TYPES = ['singlevaluelist', 'multivaluelist'];
const CONTENT_TYPE: Record<Format, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' };

interface Service {
  service_code: string;
  service_name: string;
  description: string | null;
  metadata: boolean;
  type: string;
  keywords: string | null;
  group: string | null;
}
interface Attribute {
  variable: boolean;
  code: string;
  datatype: string;
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values?: Array<{ key: string; name: string }>;
}
interface Definition {
  service_code: string;
  attributes: Attribute[];
}

async function serviceList(format: Format, query = ''): Promise<{ answer: Answer; services: Service[] }> {
  const answer = await get(`${BASE}/services.${format}${query}`);
  expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
  expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
  assertSchema('services.json', answer.body);
  return { answer, services: answer.body as Service[] };
}

async function definition(code: string, format: Format, query = ''): Promise<{ answer: Answer; definition: Definition }> {
  const answer = await get(`${BASE}/services/${encodeURIComponent(code)}.${format}${query}`);
  expect(answer.status, `${code}: ${answer.text.slice(0, 300)}`).to.equal(200);
  expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
  assertSchema('service-definition.json', answer.body);
  return { answer, definition: answer.body as Definition };
}

describe('services and definitions (checklist 25–32, 56)', () => {
  const uid = unique('svc');
  const PLAIN = `PLAIN-${uid}`;
  const ORDERED = `ORDERED-${uid}`;
  const fixtures: CatalogService[] = [
    {
      service_code: PLAIN,
      service_name: 'Plain test service',
      description: 'A service without attributes.',
      type: 'batch',
      keywords: ['alpha', 'beta', 'gamma'],
      group: 'Test Group',
    },
    {
      service_code: ORDERED,
      service_name: 'Ordered test service',
      description: 'Attributes given out of order, one of each datatype.',
      type: 'blackbox',
      keywords: ['single'],
      group: null,
      attributes: [
        {
          variable: true,
          code: 'MULTI',
          datatype: 'multivaluelist',
          required: false,
          datatype_description: 'Several',
          order: 30,
          description: 'Pick several',
          values: [
            { key: 'A', name: 'Apple' },
            { key: 'B', name: 'Banana' },
          ],
        },
        {
          variable: false,
          code: 'NOTE',
          datatype: 'string',
          required: false,
          datatype_description: null,
          order: 5,
          description: 'Read me',
        },
        {
          variable: true,
          code: 'WHEN',
          datatype: 'datetime',
          required: false,
          datatype_description: null,
          order: 50,
          description: 'When?',
        },
        {
          variable: true,
          code: 'SINGLE',
          datatype: 'singlevaluelist',
          required: true,
          datatype_description: null,
          order: 20,
          description: 'Pick one',
          values: [{ key: '1', name: 'One' }],
        },
        {
          variable: true,
          code: 'COUNT',
          datatype: 'number',
          required: false,
          datatype_description: 'How many',
          order: 40,
          description: 'Count',
        },
        {
          variable: true,
          code: 'LONG',
          datatype: 'text',
          required: false,
          datatype_description: null,
          order: 60,
          description: 'Tell us more',
        },
      ],
    },
  ];

  before(async () => {
    await addServices(fixtures);
  });

  describe('25, 28, 56: the service list', () => {
    for (const format of FORMATS) {
      it(`every service has exactly the seven fields, in order, with a valid type (${format})`, async () => {
        const { answer, services } = await serviceList(format);
        expect(services.length).to.be.at.least(10);
        for (const service of services) {
          expect(service.type).to.be.oneOf(['realtime', 'batch', 'blackbox']);
          expect(service.service_code).to.be.a('string').and.not.equal('');
          expect(service.service_name).to.be.a('string').and.not.equal('');
        }
        if (format === 'json') {
          for (const raw of JSON.parse(answer.text) as Array<Record<string, unknown>>)
            expect(Object.keys(raw), String(raw.service_code)).to.deep.equal(SERVICE_FIELDS);
        } else {
          const roots = childElementNames(answer.text, 'services');
          expect(roots).to.have.length(1);
          for (const child of roots[0]!) expect(child).to.equal('service');
          const items = childElementNames(answer.text, 'service');
          expect(items).to.have.length(services.length);
          for (const children of items) expect(children).to.deep.equal(SERVICE_FIELDS);
        }
      });

      it(`keywords is one comma-separated string and group one string (${format})`, async () => {
        const { answer, services } = await serviceList(format);
        for (const service of services) {
          if (service.keywords !== null) expect(service.keywords).to.be.a('string');
          if (service.group !== null) expect(service.group).to.be.a('string');
        }
        const plain = services.find((service) => service.service_code === PLAIN)!;
        expect(plain.keywords).to.equal('alpha,beta,gamma');
        expect(plain.group).to.equal('Test Group');
        const ordered = services.find((service) => service.service_code === ORDERED)!;
        expect(ordered.keywords).to.equal('single');
        expect(ordered.group).to.equal(null);
        const pothole = services.find((service) => service.service_code === 'POTHOLE')!;
        expect(pothole.keywords).to.equal('pothole,road,street,hole,pavement');
        expect(pothole.group).to.equal('Streets');
        if (format === 'xml') {
          expect(answer.text).to.include('<keywords>alpha,beta,gamma</keywords>');
          expect(answer.text).to.include('<group>Test Group</group>');
          // no child elements inside keywords or group
          expect(childElementNames(answer.text, 'keywords').every((children) => children.length === 0)).to.equal(true);
          expect(childElementNames(answer.text, 'group').every((children) => children.length === 0)).to.equal(true);
        } else {
          expect(answer.text).to.include('"keywords":"alpha,beta,gamma"');
          expect(answer.text).to.include('"group":"Test Group"');
        }
      });

      it(`the fixtures are listed with their data (${format})`, async () => {
        const { services } = await serviceList(format);
        expect(services.find((service) => service.service_code === PLAIN)).to.deep.equal({
          service_code: PLAIN,
          service_name: 'Plain test service',
          description: 'A service without attributes.',
          metadata: false,
          type: 'batch',
          keywords: 'alpha,beta,gamma',
          group: 'Test Group',
        });
        expect(services.find((service) => service.service_code === ORDERED)).to.deep.include({
          metadata: true,
          type: 'blackbox',
        });
      });
    }
  });

  describe('26: metadata is true exactly for services with attributes', () => {
    for (const format of FORMATS) {
      it(`every listed service's metadata matches its definition (${format})`, async () => {
        const { services } = await serviceList(format);
        for (const service of services) {
          const { definition: found } = await definition(service.service_code, format);
          expect(service.metadata, service.service_code).to.equal(found.attributes.length > 0);
        }
        expect(services.find((service) => service.service_code === PLAIN)!.metadata).to.equal(false);
        expect(services.find((service) => service.service_code === ORDERED)!.metadata).to.equal(true);
        expect(services.find((service) => service.service_code === 'SIDEWALK')!.metadata).to.equal(false);
        expect(services.find((service) => service.service_code === 'POTHOLE')!.metadata).to.equal(true);
      });
    }

    it('metadata follows a service gaining and losing its attributes', async () => {
      const code = unique('FLIP');
      const base: CatalogService = { service_code: code, service_name: 'Flip', type: 'realtime' };
      const metadataOf = async (format: Format): Promise<boolean | undefined> =>
        (await serviceList(format)).services.find((service) => service.service_code === code)?.metadata;
      await addServices([base]);
      for (const format of FORMATS) expect(await metadataOf(format)).to.equal(false);
      await addServices([
        {
          ...base,
          attributes: [
            {
              variable: true,
              code: 'X',
              datatype: 'string',
              required: false,
              datatype_description: null,
              order: 1,
              description: 'X?',
            },
          ],
        },
      ]);
      for (const format of FORMATS) expect(await metadataOf(format)).to.equal(true);
      await addServices([{ ...base, attributes: [] }]);
      for (const format of FORMATS) expect(await metadataOf(format)).to.equal(false);
    });
  });

  describe('27: services.xml and services.json list the same services', () => {
    it('the same services, in the same order, with the same values', async () => {
      const json = await serviceList('json');
      const xml = await serviceList('xml');
      expect(xml.services).to.deep.equal(json.services);
      expect(json.services.map((service) => service.service_code)).to.include.members([PLAIN, ORDERED, 'POTHOLE']);
    });

    it('definitions are the same in both formats', async () => {
      for (const code of [ORDERED, PLAIN, 'POTHOLE', 'MISSED_TRASH']) {
        expect((await definition(code, 'xml')).definition).to.deep.equal((await definition(code, 'json')).definition);
      }
    });
  });

  describe('28–31: definitions', () => {
    for (const format of FORMATS) {
      it(`the definition of a service without attributes has service_code and an empty attributes list (${format})`, async () => {
        for (const code of [PLAIN, 'SIDEWALK']) {
          const { answer, definition: found } = await definition(code, format);
          expect(found).to.deep.equal({ service_code: code, attributes: [] });
          if (format === 'json') expect(answer.text).to.equal(`{"service_code":${JSON.stringify(code)},"attributes":[]}`);
          else {
            expect(childElementNames(answer.text, 'service_definition')).to.deep.equal([['service_code', 'attributes']]);
            expect(answer.text).to.match(/<attributes\s*(\/>|>\s*<\/attributes>)/);
          }
        }
      });

      it(`every definition: service_code equals the path code, exact keys in order (${format})`, async () => {
        const { services } = await serviceList(format);
        for (const service of services) {
          const { answer, definition: found } = await definition(service.service_code, format);
          expect(found.service_code).to.equal(service.service_code);
          if (format === 'json') {
            const raw = JSON.parse(answer.text) as Record<string, unknown>;
            expect(Object.keys(raw)).to.deep.equal(DEFINITION_FIELDS);
            for (const attribute of raw.attributes as Array<Record<string, unknown>>) {
              const expected = LIST_TYPES.includes(attribute.datatype as string)
                ? [...ATTRIBUTE_FIELDS, 'values']
                : ATTRIBUTE_FIELDS;
              expect(Object.keys(attribute), `${service.service_code}/${String(attribute.code)}`).to.deep.equal(expected);
              for (const value of (attribute.values ?? []) as Array<Record<string, unknown>>)
                expect(Object.keys(value)).to.deep.equal(VALUE_FIELDS);
            }
          } else {
            expect(childElementNames(answer.text, 'service_definition')).to.deep.equal([DEFINITION_FIELDS]);
            const attributes = childElementNames(answer.text, 'attribute');
            expect(attributes).to.have.length(found.attributes.length);
            for (const [index, children] of attributes.entries()) {
              const datatype = found.attributes[index]!.datatype;
              expect(children).to.deep.equal(LIST_TYPES.includes(datatype) ? [...ATTRIBUTE_FIELDS, 'values'] : ATTRIBUTE_FIELDS);
            }
            for (const children of childElementNames(answer.text, 'value')) expect(children).to.deep.equal(VALUE_FIELDS);
            for (const children of childElementNames(answer.text, 'values'))
              for (const child of children) expect(child).to.equal('value');
          }
        }
      });

      it(`every attribute: a known datatype, unique positive integer orders in ascending order, values only for lists (${format})`, async () => {
        const { services } = await serviceList(format);
        let lists = 0;
        for (const service of services) {
          const { definition: found } = await definition(service.service_code, format);
          const orders = found.attributes.map((attribute) => attribute.order);
          for (const order of orders)
            expect(Number.isInteger(order) && order > 0, `${service.service_code}: order ${order}`).to.equal(true);
          expect(new Set(orders).size, `${service.service_code}: unique orders`).to.equal(orders.length);
          expect(orders, `${service.service_code}: sorted by order`).to.deep.equal([...orders].sort((a, b) => a - b));
          expect(new Set(found.attributes.map((attribute) => attribute.code)).size).to.equal(found.attributes.length);
          for (const attribute of found.attributes) {
            expect(attribute.datatype).to.be.oneOf(DATATYPES);
            expect(attribute.variable).to.be.a('boolean');
            expect(attribute.required).to.be.a('boolean');
            expect(attribute.description).to.be.a('string');
            if (LIST_TYPES.includes(attribute.datatype)) {
              lists++;
              expect(attribute.values, `${service.service_code}/${attribute.code}`).to.be.an('array').with.length.of.at.least(1);
              const keys = attribute.values!.map((value) => value.key);
              expect(new Set(keys).size, `${service.service_code}/${attribute.code}: unique keys`).to.equal(keys.length);
              for (const value of attribute.values!) {
                expect(value.key).to.be.a('string').and.not.equal('');
                expect(value.name).to.be.a('string');
              }
            } else {
              expect(attribute, `${service.service_code}/${attribute.code}`).not.to.have.property('values');
            }
          }
        }
        expect(lists).to.be.greaterThan(0);
      });

      it(`attributes given out of order come sorted by order, with their data (${format})`, async () => {
        const { answer, definition: found } = await definition(ORDERED, format);
        expect(found.attributes.map((attribute) => attribute.code)).to.deep.equal([
          'NOTE',
          'SINGLE',
          'MULTI',
          'COUNT',
          'WHEN',
          'LONG',
        ]);
        expect(found.attributes.map((attribute) => attribute.order)).to.deep.equal([5, 20, 30, 40, 50, 60]);
        expect(found.attributes.map((attribute) => attribute.datatype)).to.deep.equal([
          'string',
          'singlevaluelist',
          'multivaluelist',
          'number',
          'datetime',
          'text',
        ]);
        expect(found.attributes[0]).to.deep.equal({
          variable: false,
          code: 'NOTE',
          datatype: 'string',
          required: false,
          datatype_description: null,
          order: 5,
          description: 'Read me',
        });
        expect(found.attributes[1]).to.deep.equal({
          variable: true,
          code: 'SINGLE',
          datatype: 'singlevaluelist',
          required: true,
          datatype_description: null,
          order: 20,
          description: 'Pick one',
          values: [{ key: '1', name: 'One' }],
        });
        expect(found.attributes[2]!.values).to.deep.equal([
          { key: 'A', name: 'Apple' },
          { key: 'B', name: 'Banana' },
        ]);
        if (format === 'xml') {
          // Non-list attributes carry no <values> element at all.
          const attributes = childElementNames(answer.text, 'attribute');
          expect(attributes.map((children) => children.includes('values'))).to.deep.equal([
            false,
            true,
            true,
            false,
            false,
            false,
          ]);
          expect(answer.text).to.include('<key>1</key>');
        } else {
          expect(answer.text).to.include('"key":"1"');
          expect(answer.text).to.include('"order":5,');
        }
      });
    }
  });

  describe('32: jurisdiction_id', () => {
    for (const format of FORMATS) {
      it(`absent, empty or our own jurisdiction_id give the same service list (${format})`, async () => {
        const absent = await serviceList(format);
        for (const query of [
          '?jurisdiction_id=',
          `?jurisdiction_id=${ctx().config.jurisdictionId}`,
          '?jurisdiction_id=&jurisdiction_id=',
        ]) {
          const { services } = await serviceList(format, query);
          expect(services, query).to.deep.equal(absent.services);
        }
      });

      it(`absent, empty or our own jurisdiction_id give the same definition (${format})`, async () => {
        const absent = await definition('POTHOLE', format);
        for (const query of ['?jurisdiction_id=', `?jurisdiction_id=${ctx().config.jurisdictionId}`]) {
          expect((await definition('POTHOLE', format, query)).definition, query).to.deep.equal(absent.definition);
        }
      });

      it(`a foreign jurisdiction_id → 404 with an errors body (${format})`, async () => {
        for (const path of [
          `${BASE}/services.${format}?jurisdiction_id=elsewhere.example`,
          `${BASE}/services/POTHOLE.${format}?jurisdiction_id=elsewhere.example`,
        ]) {
          const answer = await get(path);
          expect(answer.status, path).to.equal(404);
          expect(answer.headers['content-type']).to.equal(CONTENT_TYPE[format]);
          assertSchema('errors.json', answer.body);
          const errors = answer.body as Array<{ code: number; description: string }>;
          expect(errors[0]!.code).to.equal(404);
          expect(errors[0]!.description).to.match(/jurisdiction/);
        }
      });

      it(`the other GeoReport methods: empty jurisdiction_id works, a foreign one → 404 (${format})`, async () => {
        const id = await createRequest();
        const batch = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE]': 'TRASH' });
        const token = (batch.body as Array<{ token: string }>)[0]!.token;
        for (const path of [
          `${BASE}/requests.${format}`,
          `${BASE}/requests/${id}.${format}`,
          `${BASE}/tokens/${token}.${format}`,
        ]) {
          expect((await get(`${path}?jurisdiction_id=`)).status, path).to.equal(200);
          expect((await get(`${path}?jurisdiction_id=${ctx().config.jurisdictionId}`)).status, path).to.equal(200);
          const foreign = await get(`${path}?jurisdiction_id=elsewhere.example`);
          expect(foreign.status, path).to.equal(404);
          assertSchema('errors.json', foreign.body);
        }
        expect((await submit({ jurisdiction_id: '' }, format)).status).to.equal(200);
        expect((await submit({ jurisdiction_id: ctx().config.jurisdictionId }, format)).status).to.equal(200);
        const foreign = await submit({ jurisdiction_id: 'elsewhere.example' }, format);
        expect(foreign.status).to.equal(404);
        expect(foreign.headers['content-type']).to.equal(CONTENT_TYPE[format]);
        assertSchema('errors.json', foreign.body);
      });
    }
  });
});
