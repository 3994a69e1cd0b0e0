// POST Service Request (digest §2.4, §1.6, §1.11; conformance checklist items 33–45).
import { expect } from 'chai';
import { addServices, LANCASTER, submit } from '../helpers/build.js';
import {
  assertSchema,
  BASE,
  ctx,
  FORMATS,
  get,
  postForm,
  postJson,
  postMultipart,
  unique,
  type Answer,
  type Format,
  expectErrors,
} from '../helpers/test-server.js';

type Row = Record<string, unknown>;

const rowsOf = (answer: Answer): Row[] => answer.body as Row[];
const firstOf = (answer: Answer): Row => {
  const rows = rowsOf(answer);
  expect(rows, answer.text.slice(0, 500)).to.be.an('array').with.length(1);
  return rows[0]!;
};

/** A 200 POST answer of a realtime service: checks the schema and returns the new id. */
function createdId(answer: Answer): string {
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  assertSchema('created-requests.json', answer.body);
  const row = firstOf(answer);
  expect(row.service_request_id, 'service_request_id').to.be.a('string').and.not.equal('');
  expect(row, 'a realtime service answers no token').not.to.have.property('token');
  return row.service_request_id as string;
}

/** A 400 answer with an errors body; returns the descriptions joined. */
function expect400(answer: Answer): string {
  return expectErrors(answer, 400);
}

/** The stored attribute answers of a request (jsonb column service_requests.attributes). */
async function storedAttributes(id: string): Promise<Record<string, string[]>> {
  const row = (await ctx().db('service_requests').where({ id }).first('attributes')) as { attributes: unknown } | undefined;
  expect(row, `service_requests row ${id}`).not.to.equal(undefined);
  const value = row!.attributes;
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, string[]>;
}

/** The one request behind `id`, read through GET requests/{id}.{format}. */
async function readBack(id: string, format: Format): Promise<Row> {
  const answer = await get(`${BASE}/requests/${id}.${format}`);
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  assertSchema('service-requests.json', answer.body);
  return firstOf(answer);
}

/** Like submit(), but the `omit` fields are not sent at all (absent, not empty). */
async function submitWithout(omit: string[], fields: Record<string, string>, format: Format): Promise<Answer> {
  const merged: Record<string, string> = {
    api_key: ctx().apiKey,
    service_code: 'SIDEWALK',
    lat: String(LANCASTER.lat),
    long: String(LANCASTER.long),
    description: unique('description'),
    ...fields,
  };
  return postForm(
    `${BASE}/requests.${format}`,
    Object.entries(merged).filter(([key]) => !omit.includes(key)),
  );
}

const keyPair = (): string => `api_key=${encodeURIComponent(ctx().apiKey)}`;
const latLong = `lat=${LANCASTER.lat}&long=${LANCASTER.long}`;

const NUMERIC = 'CR_NUMERIC_CODES';

describe('POST requests (checklist 33–45)', () => {
  before(async () => {
    await addServices([
      {
        service_code: NUMERIC,
        service_name: 'Numeric attribute codes (test)',
        description: 'SeeClickFix-style numeric attribute codes.',
        type: 'realtime',
        keywords: ['test'],
        group: 'Tests',
        attributes: [
          {
            variable: true,
            code: '3',
            datatype: 'string',
            required: true,
            datatype_description: null,
            order: 1,
            description: 'Question three',
          },
          {
            variable: true,
            code: '7',
            datatype: 'string',
            required: false,
            datatype_description: null,
            order: 2,
            description: 'Question seven',
          },
        ],
      },
    ]);
  });

  for (const format of FORMATS) {
    describe(`${format}`, () => {
      describe('33–34: encodings', () => {
        it(`33: urlencoded POST with lat/long → 200, one request with a service_request_id and no token (${format})`, async () => {
          const answer = await submit({}, format);
          const id = createdId(answer);
          expect(id).to.match(/\S/);
          if (format === 'xml') {
            expect(answer.text).to.match(/<service_requests>\s*<request>\s*<service_request_id>/);
            expect(answer.text).not.to.include('<token');
            expect(answer.text.match(/<request>/g)).to.have.length(1);
          }
        });

        it(`34: the same POST as multipart/form-data without a file → 200 (${format})`, async () => {
          const description = unique('multipart');
          const answer = await postMultipart(`${BASE}/requests.${format}`, [
            ['api_key', ctx().apiKey],
            ['service_code', 'POTHOLE'],
            ['lat', String(LANCASTER.lat)],
            ['long', String(LANCASTER.long)],
            ['description', description],
            ['attribute[SIZE]', 'SMALL'],
            ['attribute[LANES][]', 'CURB'],
            ['attribute[LANES][]', 'TRAVEL'],
          ]);
          const id = createdId(answer);
          const stored = await readBack(id, format);
          expect(stored.description).to.equal(description);
          expect(stored.service_code).to.equal('POTHOLE');
          expect(await storedAttributes(id)).to.deep.include({ SIZE: ['SMALL'], LANES: ['CURB', 'TRAVEL'] });
        });

        it(`34: the same POST as a JSON body → 200 (${format})`, async () => {
          const description = unique('json-body');
          const answer = await postJson(`${BASE}/requests.${format}`, {
            api_key: ctx().apiKey,
            service_code: 'POTHOLE',
            lat: LANCASTER.lat,
            long: LANCASTER.long,
            description,
            attribute: { SIZE: 'MEDIUM', LANES: ['BIKE', 'CURB'] },
          });
          const id = createdId(answer);
          const stored = await readBack(id, format);
          expect(stored.description).to.equal(description);
          expect(stored.lat).to.be.closeTo(LANCASTER.lat, 1e-6);
          expect(stored.long).to.be.closeTo(LANCASTER.long, 1e-6);
          expect(await storedAttributes(id)).to.deep.include({ SIZE: ['MEDIUM'], LANES: ['BIKE', 'CURB'] });
        });
      });

      describe('35: location', () => {
        it(`only address_string → 200, stored as address, lat/long null (${format})`, async () => {
          const address = `${unique('addr')} 120 E Main St`;
          const answer = await submitWithout(['lat', 'long'], { address_string: address }, format);
          const id = createdId(answer);
          const stored = await readBack(id, format);
          expect(stored.address).to.equal(address);
          expect(stored.lat).to.equal(null);
          expect(stored.long).to.equal(null);
        });

        it(`only address_id → 200, stored as address_id (${format})`, async () => {
          const addressId = unique('#NOTPINPOINTED#');
          const answer = await submitWithout(['lat', 'long'], { address_id: addressId }, format);
          const id = createdId(answer);
          expect((await readBack(id, format)).address_id).to.equal(addressId);
        });

        it(`no location at all → 400 (${format})`, async () => {
          const answer = await postForm(`${BASE}/requests.${format}`, [
            ['api_key', ctx().apiKey],
            ['service_code', 'SIDEWALK'],
            ['description', unique('nowhere')],
          ]);
          expect(expect400(answer)).to.match(/location|lat|address/i);
        });

        it(`lat without long → 400, also when an address_string is sent (${format})`, async () => {
          expect(expect400(await submitWithout(['long'], {}, format))).to.match(/long/);
          expect(expect400(await submitWithout(['long'], { address_string: '1 Main St' }, format))).to.match(/long/);
          expect(expect400(await submitWithout(['lat'], { address_string: '1 Main St' }, format))).to.match(/lat/);
        });

        it(`lat=95 (and other out-of-range or non-numeric coordinates) → 400 (${format})`, async () => {
          expect(expect400(await submit({ lat: '95' }, format))).to.match(/lat/);
          expect(expect400(await submit({ lat: '-90.5' }, format))).to.match(/lat/);
          expect(expect400(await submit({ long: '181' }, format))).to.match(/long/);
          expect(expect400(await submit({ lat: 'north' }, format))).to.match(/lat/);
        });
      });

      describe('36: required arguments', () => {
        it(`missing service_code → 400 (${format})`, async () => {
          expect(expect400(await submitWithout(['service_code'], {}, format))).to.match(/service_code/);
          expect(expect400(await submit({ service_code: '' }, format))).to.match(/service_code/);
        });

        it(`missing required attribute → 400 naming the attribute code (${format})`, async () => {
          expect(expect400(await submit({ service_code: 'POTHOLE' }, format))).to.include('SIZE');
          expect(expect400(await submit({ service_code: 'POTHOLE', 'attribute[SIZE]': '' }, format))).to.include('SIZE');
          expect(expect400(await submit({ service_code: 'MISSED_TRASH' }, format))).to.include('COLLECTION_TYPE');
        });
      });

      describe('37–41: attributes', () => {
        it(`37: attribute[SIZE]=BOGUS for a singlevaluelist → 400 naming SIZE (${format})`, async () => {
          expect(expect400(await submit({ service_code: 'POTHOLE', 'attribute[SIZE]': 'BOGUS' }, format))).to.include('SIZE');
        });

        it(`37: attribute[LANES][]=CURB&attribute[LANES][]=BIKE is stored as two values (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=POTHOLE&${latLong}&attribute[SIZE]=LARGE&attribute[LANES][]=CURB&attribute[LANES][]=BIKE`,
          );
          const id = createdId(answer);
          const attributes = await storedAttributes(id);
          expect(attributes.LANES).to.deep.equal(['CURB', 'BIKE']);
          expect(attributes.SIZE).to.deep.equal(['LARGE']);
        });

        it(`37: a repeated attribute[LANES] is treated the same (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=POTHOLE&${latLong}&attribute[SIZE]=SMALL&attribute[LANES]=CURB&attribute[LANES]=BIKE`,
          );
          const id = createdId(answer);
          expect((await storedAttributes(id)).LANES).to.deep.equal(['CURB', 'BIKE']);
        });

        it(`38: percent-encoded keys attribute%5BSIZE%5D=LARGE are understood (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=POTHOLE&${latLong}&attribute%5BSIZE%5D=LARGE&attribute%5BLANES%5D%5B%5D=CROSSWALK&attribute%5BLANES%5D%5B%5D=TRAVEL`,
          );
          const id = createdId(answer);
          const attributes = await storedAttributes(id);
          expect(attributes.SIZE).to.deep.equal(['LARGE']);
          expect(attributes.LANES).to.deep.equal(['CROSSWALK', 'TRAVEL']);
        });

        it(`39: numeric codes attribute[3]=x&attribute[7]=y are stored under "3" and "7" (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=${NUMERIC}&${latLong}&attribute[3]=x&attribute[7]=y`,
          );
          const id = createdId(answer);
          const attributes = await storedAttributes(id);
          expect(attributes['3']).to.deep.equal(['x']);
          expect(attributes['7']).to.deep.equal(['y']);
          expect(attributes).not.to.have.property('0');
          expect(attributes).not.to.have.property('1');
        });

        it(`39: numeric code above 20 (attribute[21]) is an unknown code, kept under "21" (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=${NUMERIC}&${latLong}&attribute[3]=x&attribute[21]=z`,
          );
          const id = createdId(answer);
          const attributes = await storedAttributes(id);
          expect(attributes['3']).to.deep.equal(['x']);
          expect(attributes['21']).to.deep.equal(['z']);
        });

        it(`40: an empty value for a non-required singlevaluelist is accepted as "no answer" (${format})`, async () => {
          const answer = await postForm(
            `${BASE}/requests.${format}`,
            `${keyPair()}&service_code=GRAFFITI&${latLong}&attribute[SURFACE]=&attribute[OFFENSIVE]=YES`,
          );
          const id = createdId(answer);
          const attributes = await storedAttributes(id);
          expect(
            (attributes.SURFACE ?? []).filter((value) => value !== ''),
            'no answer stored for SURFACE',
          ).to.deep.equal([]);
          expect(attributes.OFFENSIVE).to.deep.equal(['YES']);
        });

        it(`41: unknown attribute codes and unknown top-level parameters do not cause an error (${format})`, async () => {
          const answer = await submit(
            {
              service_code: 'POTHOLE',
              'attribute[SIZE]': 'MEDIUM',
              'attribute[uprn]': '100023336956',
              'attribute[NOT_IN_DEFINITION]': 'whatever',
              service_name: 'Pothole',
              frobnicate: 'yes',
              api_version: '2',
              'unknown[nested]': '1',
            },
            format,
          );
          const id = createdId(answer);
          expect((await storedAttributes(id)).SIZE).to.deep.equal(['MEDIUM']);
        });
      });

      describe('42: description', () => {
        it(`4001 characters → 400 naming description (${format})`, async () => {
          expect(expect400(await submit({ description: 'x'.repeat(4001) }, format))).to.include('description');
        });

        it(`4000 characters are accepted and stored whole (${format})`, async () => {
          const description = `${unique('d4000')} `.padEnd(4000, 'y');
          expect(description).to.have.length(4000);
          const id = createdId(await submit({ description }, format));
          expect((await readBack(id, 'json')).description).to.equal(description);
          expect((await readBack(id, 'xml')).description).to.equal(description);
        });

        it(`line breaks survive, in both read formats (${format})`, async () => {
          const description = `${unique('lines')}\nsecond line\n\nfourth line after a blank one`;
          const id = createdId(await submit({ description }, format));
          expect((await readBack(id, 'json')).description).to.equal(description);
          expect((await readBack(id, 'xml')).description).to.equal(description);
        });
      });

      describe('43: service types', () => {
        it(`a batch service returns a token and no id; tokens/{token} returns the token and the id (${format})`, async () => {
          const answer = await submit({ service_code: 'MISSED_TRASH', 'attribute[COLLECTION_TYPE][]': 'TRASH' }, format);
          expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
          assertSchema('created-requests.json', answer.body);
          const row = firstOf(answer);
          expect(row.token).to.be.a('string').and.not.equal('');
          expect(row).not.to.have.property('service_request_id');
          if (format === 'xml') expect(answer.text).not.to.include('<service_request_id');

          const lookup = await get(`${BASE}/tokens/${encodeURIComponent(row.token as string)}.${format}`);
          expect(lookup.status, lookup.text.slice(0, 500)).to.equal(200);
          assertSchema('tokens.json', lookup.body);
          const found = firstOf(lookup);
          expect(found.token).to.equal(row.token);
          expect(found.service_request_id).to.be.a('string').and.not.equal('');
          expect((await readBack(found.service_request_id as string, format)).service_code).to.equal('MISSED_TRASH');
        });

        it(`a blackbox service returns neither an id nor a token (${format})`, async () => {
          const answer = await submit({ service_code: 'DEAD_ANIMAL' }, format);
          expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
          assertSchema('created-requests.json', answer.body);
          const row = firstOf(answer);
          expect(row).not.to.have.property('service_request_id');
          expect(row).not.to.have.property('token');
          expect(row).to.have.property('service_notice');
          if (format === 'xml') {
            expect(answer.text).to.match(/<service_requests>\s*<request>/);
            expect(answer.text).not.to.match(/<service_request_id|<token/);
          }
        });
      });

      describe('44: the created request is visible at once', () => {
        it(`requests/{id} shows status open, the description, the location, requested ≈ now, updated ≥ requested (${format})`, async () => {
          const description = unique('visible');
          const address = unique('10 Broad St');
          const before = Date.now();
          const id = createdId(
            await submit({ service_code: 'POTHOLE', 'attribute[SIZE]': 'SMALL', description, address_string: address }, format),
          );
          const after = Date.now();
          for (const readFormat of FORMATS) {
            const stored = await readBack(id, readFormat);
            expect(stored.service_request_id).to.equal(id);
            expect(stored.status).to.equal('open');
            expect(stored.service_code).to.equal('POTHOLE');
            expect(stored.description).to.equal(description);
            expect(stored.address).to.equal(address);
            expect(stored.lat).to.be.closeTo(LANCASTER.lat, 1e-6);
            expect(stored.long).to.be.closeTo(LANCASTER.long, 1e-6);
            const requested = Date.parse(stored.requested_datetime as string);
            const updated = Date.parse(stored.updated_datetime as string);
            expect(requested, `requested_datetime ${String(stored.requested_datetime)}`).to.be.within(
              before - 2000,
              after + 2000,
            );
            expect(updated, `updated_datetime ${String(stored.updated_datetime)}`).to.be.at.least(requested);
          }
        });
      });

      describe('45: privacy', () => {
        it(`the POST may echo account_id; no GET (list, single, both formats, extended) contains the private values (${format})`, async () => {
          const secrets = {
            email: `${unique('pat')}@example.com`,
            phone: `+1 740 555 ${String(Date.now()).slice(-6)}`,
            first_name: unique('Patricia'),
            last_name: unique('Privatesurname'),
            device_id: unique('device'),
            account_id: unique('account'),
          };
          const answer = await submit({ ...secrets }, format);
          const id = createdId(answer);
          const echoed = firstOf(answer).account_id;
          expect(echoed === null || echoed === secrets.account_id, `account_id echo: ${String(echoed)}`).to.equal(true);
          for (const secret of [secrets.email, secrets.phone, secrets.first_name, secrets.last_name, secrets.device_id]) {
            expect(answer.text, 'the POST answer carries no other private value').not.to.include(secret);
          }
          for (const readFormat of FORMATS) {
            const paths = [
              `${BASE}/requests/${id}.${readFormat}`,
              `${BASE}/requests/${id}.${readFormat}?extensions=true`,
              `${BASE}/requests.${readFormat}?service_request_id=${id}`,
              `${BASE}/requests.${readFormat}?service_request_id=${id}&extensions=true`,
              `${BASE}/requests.${readFormat}`,
            ];
            for (const path of paths) {
              const read = await get(path);
              expect(read.status, `${path}: ${read.text.slice(0, 300)}`).to.equal(200);
              if (!path.includes('extensions')) assertSchema('service-requests.json', read.body);
              for (const [field, secret] of Object.entries(secrets)) {
                expect(read.text, `${path} leaks ${field}`).not.to.include(secret);
              }
              for (const field of ['email', 'phone', 'first_name', 'last_name', 'device_id', 'account_id']) {
                expect(read.text, `${path} has a ${field} field`).not.to.match(new RegExp(`"${field}"|<${field}[ />]`));
              }
            }
          }
        });
      });
    });
  }
});
