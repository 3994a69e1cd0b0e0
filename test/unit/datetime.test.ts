// Dates in and out (src/domain/datetime.ts), without the store: the standard's input forms, zone-less values
// in the jurisdiction's zone across DST, and W3C-DTF output with the offset in force.
import { expect } from 'chai';
import { endOfDay, formatDateTime, offsetMinutes, parseDateTime } from '../../src/domain/datetime.js';

const NEW_YORK = 'America/New_York';
const iso = (text: string, zone = NEW_YORK): string | undefined => parseDateTime(text, zone)?.date.toISOString();

describe('datetime (unit)', () => {
  describe('formatDateTime', () => {
    it('writes whole seconds with the offset in force at that instant, and Z for UTC', () => {
      expect(formatDateTime(new Date('2024-05-06T18:03:22.999Z'), NEW_YORK)).to.equal('2024-05-06T14:03:22-04:00');
      expect(formatDateTime(new Date('2024-01-06T18:03:22Z'), NEW_YORK)).to.equal('2024-01-06T13:03:22-05:00');
      expect(formatDateTime(new Date('2024-05-06T18:03:22Z'), 'UTC')).to.equal('2024-05-06T18:03:22Z');
      expect(formatDateTime(new Date('2024-05-06T18:03:22Z'), 'Asia/Kolkata')).to.equal('2024-05-06T23:33:22+05:30');
    });

    it('pads years before 1000 to four digits', () => {
      expect(formatDateTime(new Date('0999-03-04T05:06:07Z'), 'UTC')).to.equal('0999-03-04T05:06:07Z');
    });

    it('round-trips through parseDateTime', () => {
      for (const text of ['2024-03-10T01:59:59-05:00', '2024-03-10T03:00:00-04:00', '2024-11-03T01:30:00-04:00']) {
        const parsed = parseDateTime(text, NEW_YORK)!;
        expect(formatDateTime(parsed.date, NEW_YORK)).to.equal(text);
      }
    });
  });

  describe('offsetMinutes', () => {
    it('is east positive and follows DST', () => {
      expect(offsetMinutes(Date.parse('2024-07-01T12:00:00Z'), NEW_YORK)).to.equal(-240);
      expect(offsetMinutes(Date.parse('2024-12-01T12:00:00Z'), NEW_YORK)).to.equal(-300);
      expect(offsetMinutes(Date.parse('2024-07-01T12:00:00Z'), 'Europe/Berlin')).to.equal(120);
      expect(offsetMinutes(Date.parse('2024-07-01T12:00:00Z'), 'UTC')).to.equal(0);
    });
  });

  describe('parseDateTime', () => {
    it('reads the forms the standard allows: with zone, fractions, without seconds, a date alone', () => {
      expect(iso('2024-05-06T14:03:22-04:00')).to.equal('2024-05-06T18:03:22.000Z');
      expect(iso('2024-05-06T14:03:22Z')).to.equal('2024-05-06T14:03:22.000Z');
      expect(iso('2024-05-06t14:03:22z')).to.equal('2024-05-06T14:03:22.000Z');
      expect(iso('2024-05-06T14:03:22.25+0100')).to.equal('2024-05-06T13:03:22.250Z');
      expect(iso('2024-05-06T14:03:22,5+01')).to.equal('2024-05-06T13:03:22.500Z');
      expect(iso('2024-05-06T14:03-04:00')).to.equal('2024-05-06T18:03:00.000Z');
      expect(iso('2024-05-06 14:03:22Z')).to.equal('2024-05-06T14:03:22.000Z');
      expect(parseDateTime('2024-05-06', NEW_YORK)).to.deep.equal({ date: new Date('2024-05-06T04:00:00Z'), dateOnly: true });
      expect(parseDateTime('2024-05-06T00:00:00Z', NEW_YORK)?.dateOnly).to.equal(false);
    });

    it('takes a "+" that arrived as a space in a query string as the plus of the offset', () => {
      expect(iso('2024-05-06T14:03:22 01:00')).to.equal('2024-05-06T13:03:22.000Z');
      expect(iso('2024-05-06T14:03:22 0100')).to.equal('2024-05-06T13:03:22.000Z');
    });

    it('reads a zone-less value in the given time zone, across both DST changes', () => {
      expect(iso('2024-07-01T09:00:00')).to.equal('2024-07-01T13:00:00.000Z');
      expect(iso('2024-12-01T09:00:00')).to.equal('2024-12-01T14:00:00.000Z');
      expect(iso('2024-03-10T03:30:00')).to.equal('2024-03-10T07:30:00.000Z');
      expect(iso('2024-11-03T03:30:00')).to.equal('2024-11-03T08:30:00.000Z');
      expect(iso('2024-07-01T09:00:00', 'UTC')).to.equal('2024-07-01T09:00:00.000Z');
    });

    it('refuses what is not a date: impossible days and times, years outside 1000–9000, zones past ±14 h', () => {
      for (const text of [
        '',
        'yesterday',
        '2024-02-30',
        '2023-02-29',
        '2024-13-01',
        '2024-00-10',
        '2024-05-06T24:00:00Z',
        '2024-05-06T12:60:00Z',
        '2024-05-06T12:00:60Z',
        '0999-01-01',
        '9001-01-01',
        '2024-05-06T12:00:00+15:00',
        '2024-05-06T12:00:00+01:60',
        '2024-5-6',
        '20240506',
        '2024-05-06T12',
      ])
        expect(parseDateTime(text, NEW_YORK), text).to.equal(undefined);
      expect(iso('2024-02-29')).to.equal('2024-02-29T05:00:00.000Z');
    });
  });

  describe('endOfDay', () => {
    it('is the last millisecond of the local calendar day, also on the days DST changes', () => {
      const day = (text: string) => endOfDay(parseDateTime(text, NEW_YORK)!.date, NEW_YORK).toISOString();
      expect(day('2024-05-06')).to.equal('2024-05-07T03:59:59.999Z');
      expect(day('2024-03-10')).to.equal('2024-03-11T03:59:59.999Z');
      expect(day('2024-11-03')).to.equal('2024-11-04T04:59:59.999Z');
      expect(endOfDay(new Date('2024-05-06T00:00:00Z'), 'UTC').toISOString()).to.equal('2024-05-06T23:59:59.999Z');
    });
  });
});
