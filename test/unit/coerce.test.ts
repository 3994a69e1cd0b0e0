// Raw wire parameters → the documents spec/schemas describe (src/validate/coerce.ts), without the store:
// empty is absent, lists are comma-separated or repeated, attribute[CODE] keys, JSON bodies as form pairs.
import { expect } from 'chai';
import {
  coerceBoolean,
  coerceCommonQuery,
  coerceCreateRequest,
  coerceNumber,
  coerceRequestsQuery,
  jsonToPairs,
  listParameter,
  scalarParameter,
} from '../../src/validate/coerce.js';

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('coerce (unit)', () => {
  it('coerceNumber: numbers become numbers, anything else stays text (trimmed) for the schema to name', () => {
    expect(coerceNumber(' 39.71 ')).to.equal(39.71);
    expect(coerceNumber('-82')).to.equal(-82);
    expect(coerceNumber('+.5')).to.equal(0.5);
    expect(coerceNumber('1e3')).to.equal(1000);
    expect(coerceNumber('12abc')).to.equal('12abc');
    expect(coerceNumber('0x10')).to.equal('0x10');
    expect(coerceNumber(' Infinity ')).to.equal('Infinity');
    expect(coerceNumber('')).to.equal('');
  });

  it('coerceBoolean: true/1/yes/all and false/0/no in any case; anything else stays as sent', () => {
    for (const text of ['true', 'TRUE', ' 1 ', 'yes', 'all']) expect(coerceBoolean(text), text).to.equal(true);
    for (const text of ['false', 'False', '0', 'no ']) expect(coerceBoolean(text), text).to.equal(false);
    expect(coerceBoolean('maybe')).to.equal('maybe');
    expect(coerceBoolean(' 2 ')).to.equal(' 2 ');
  });

  it('scalarParameter: the first non-empty value, trimmed; empty or nested means absent', () => {
    expect(scalarParameter({ a: ' x ' }, 'a')).to.equal('x');
    expect(scalarParameter({ a: ['', '  ', 'second', 'third'] }, 'a')).to.equal('second');
    expect(scalarParameter({ a: '' }, 'a')).to.equal(undefined);
    expect(scalarParameter({ a: { nested: 'x' } }, 'a')).to.equal(undefined);
    expect(scalarParameter({}, 'a')).to.equal(undefined);
    expect(scalarParameter({ a: 5 }, 'a')).to.equal('5');
  });

  it('listParameter: comma-separated and repeated values together, blanks dropped; undefined when empty', () => {
    expect(listParameter({ a: 'x, y,,z ' }, 'a')).to.deep.equal(['x', 'y', 'z']);
    expect(listParameter({ a: ['x,y', 'z', ''] }, 'a')).to.deep.equal(['x', 'y', 'z']);
    expect(listParameter({ a: ' , ' }, 'a')).to.equal(undefined);
    expect(listParameter({}, 'a')).to.equal(undefined);
  });

  it('coerceCommonQuery keeps jurisdiction_id only, and outside names never reach the prototype', () => {
    expect(plain(coerceCommonQuery({ jurisdiction_id: ' city ', other: 'x' }))).to.deep.equal({ jurisdiction_id: 'city' });
    expect(plain(coerceCommonQuery({ jurisdiction_id: '' }))).to.deep.equal({});
    const coerced = coerceRequestsQuery(JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(coerced)).to.equal(null);
    expect(plain(coerced)).to.deep.equal({});
  });

  it('coerceRequestsQuery: lists, lower-case statuses, dates as text, numbers and the extensions flag', () => {
    expect(
      plain(
        coerceRequestsQuery({
          jurisdiction_id: 'city',
          service_request_id: ['1,2', '3'],
          service_code: 'POTHOLE, GRAFFITI',
          status: 'Open,CLOSED',
          start_date: ' 2024-01-01 ',
          end_date: '',
          bbox: '-83,39,-82,40',
          page: '2',
          page_size: 'ten',
          lat: '39.7',
          long: '-82.6',
          radius: '150',
          extensions: 'yes',
          unknown: 'dropped',
        }),
      ),
    ).to.deep.equal({
      jurisdiction_id: 'city',
      service_request_id: ['1', '2', '3'],
      service_code: ['POTHOLE', 'GRAFFITI'],
      status: ['open', 'closed'],
      start_date: '2024-01-01',
      bbox: '-83,39,-82,40',
      page: 2,
      page_size: 'ten',
      lat: 39.7,
      long: -82.6,
      radius: 150,
      extensions: true,
    });
  });

  it('coerceCreateRequest: first value wins, empty is absent, description keeps its inner lines, attributes by code', () => {
    const coerced = coerceCreateRequest([
      ['service_code', ' POTHOLE '],
      ['service_code', 'SECOND'],
      ['lat', '39.7'],
      ['long', 'east'],
      ['email', ''],
      ['description', '  line one\n\n  line two  '],
      ['media_url', 'https://example.org/a.jpg'],
      ['media_url', ' '],
      ['media_url', 'https://example.org/b.jpg'],
      ['attribute[SIZE]', 'large'],
      ['attribute[COLOR][]', 'red'],
      ['attribute[COLOR][]', 'blue'],
      ['attribute[7]', ''],
      ['api_key', 'never copied'],
      ['unknown', 'dropped'],
    ]);
    expect(plain(coerced)).to.deep.equal({
      service_code: 'POTHOLE',
      lat: 39.7,
      long: 'east',
      description: 'line one\n\n  line two',
      media_url: ['https://example.org/a.jpg', 'https://example.org/b.jpg'],
      attributes: { SIZE: ['large'], COLOR: ['red', 'blue'], 7: [''] },
    });
    const attributes = (coerced as { attributes: Record<string, unknown> }).attributes;
    expect(Object.getPrototypeOf(attributes)).to.equal(null);
    // An attribute code is outside input: it keys a prototype-less object, never Object.prototype.
    const hostile = coerceCreateRequest([['attribute[__proto__]', 'x']]) as { attributes: Record<string, unknown> };
    expect(Object.getPrototypeOf(hostile.attributes)).to.equal(null);
    expect(Object.keys(hostile.attributes)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
  });

  it('jsonToPairs: scalars and one level of arrays become pairs, attribute objects become attribute[CODE]; deeper nesting is ignored', () => {
    expect(
      jsonToPairs({
        service_code: 'POTHOLE',
        lat: 39.7,
        anonymous: true,
        media_url: ['a', 'b', ['deeper']],
        attribute: { SIZE: 'large', COLOR: ['red', 'blue'], DEEP: [['x']] },
        nothing: null,
        object: { a: 1 },
      }),
    ).to.deep.equal([
      ['service_code', 'POTHOLE'],
      ['lat', '39.7'],
      ['anonymous', 'true'],
      ['media_url', 'a'],
      ['media_url', 'b'],
      ['attribute[SIZE]', 'large'],
      ['attribute[COLOR]', 'red'],
      ['attribute[COLOR]', 'blue'],
    ]);
    for (const body of [null, 'text', 5, ['a']]) expect(jsonToPairs(body)).to.deep.equal([]);
  });
});
