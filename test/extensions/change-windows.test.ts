// EXT change windows on GET requests (digest §3.2, checklist 60): updated_after / updated_before.
import { expect } from 'chai';
import { addServices, insertRequest } from '../helpers/build.js';
import { FORMATS, unique } from '../helpers/test-server.js';
import { requestIds as ids, refusedQuery as refused } from '../helpers/queries.js';

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

/** A whole-second instant `ms` before now. */
const ago = (ms: number): Date => new Date(Math.floor((Date.now() - ms) / 1000) * 1000);
const q = (date: Date): string => encodeURIComponent(date.toISOString());

describe('EXT change windows: updated_after / updated_before (checklist 60)', () => {
  const code = unique('CHANGES').toUpperCase();
  // An old request (200 days) changed 2 minutes ago; an older one (201 days) changed 3 days ago; a recent one changed an hour ago.
  // (Set in before(), so that the instants are relative to when the tests run.)
  let oldChangedRecently: { requested: Date; updated: Date };
  let oldChangedEarlier: { requested: Date; updated: Date };
  let recent: { requested: Date; updated: Date };
  let oldRecentId: string;
  let oldEarlierId: string;
  let recentId: string;

  before(async () => {
    oldChangedRecently = { requested: ago(200 * DAY), updated: ago(2 * MINUTE) };
    oldChangedEarlier = { requested: ago(201 * DAY), updated: ago(3 * DAY) };
    recent = { requested: ago(2 * 60 * MINUTE), updated: ago(60 * MINUTE) };
    await addServices([
      {
        service_code: code,
        service_name: 'Change window test',
        description: 'Rows of the change-window tests.',
        type: 'realtime',
      },
    ]);
    oldRecentId = await insertRequest({
      service_code: code,
      requested_datetime: oldChangedRecently.requested,
      updated_datetime: oldChangedRecently.updated,
    });
    oldEarlierId = await insertRequest({
      service_code: code,
      requested_datetime: oldChangedEarlier.requested,
      updated_datetime: oldChangedEarlier.updated,
    });
    recentId = await insertRequest({
      service_code: code,
      requested_datetime: recent.requested,
      updated_datetime: recent.updated,
    });
  });

  for (const format of FORMATS) {
    describe(format, () => {
      it('the default list (90 days) does not hold the 200-day-old requests', async () => {
        expect(await ids(format, `service_code=${code}`)).to.deep.equal([recentId]);
      });

      it('updated_after finds a request requested 200 days ago but updated recently (no 90-day default)', async () => {
        const found = await ids(format, `service_code=${code}&updated_after=${q(ago(10 * MINUTE))}`);
        expect(found).to.include(oldRecentId);
        expect(found).not.to.include(oldEarlierId);
        expect(found).not.to.include(recentId);
      });

      it('updated_after a week ago: every request changed since, old or new, newest requested first', async () => {
        expect(await ids(format, `service_code=${code}&updated_after=${q(ago(7 * DAY))}`)).to.deep.equal([
          recentId,
          oldRecentId,
          oldEarlierId,
        ]);
      });

      it('updated_before alone also replaces the default window', async () => {
        const found = await ids(format, `service_code=${code}&updated_before=${q(ago(DAY))}`);
        expect(found).to.deep.equal([oldEarlierId]);
      });

      it('both bounds together select the changes between them', async () => {
        const found = await ids(
          format,
          `service_code=${code}&updated_after=${q(ago(2 * 60 * MINUTE))}&updated_before=${q(ago(10 * MINUTE))}`,
        );
        expect(found).to.deep.equal([recentId]);
      });

      it('the bounds are strict: an instant equal to updated_datetime is outside', async () => {
        const at = oldChangedRecently.updated;
        expect(await ids(format, `service_code=${code}&updated_after=${q(at)}`)).not.to.include(oldRecentId);
        expect(await ids(format, `service_code=${code}&updated_after=${q(new Date(at.getTime() - 1000))}`)).to.include(
          oldRecentId,
        );
        expect(await ids(format, `service_code=${code}&updated_after=${q(ago(7 * DAY))}&updated_before=${q(at)}`)).not.to.include(
          oldRecentId,
        );
        expect(
          await ids(
            format,
            `service_code=${code}&updated_after=${q(ago(7 * DAY))}&updated_before=${q(new Date(at.getTime() + 1000))}`,
          ),
        ).to.include(oldRecentId);
      });

      it('accepts W3C datetimes with an offset (also an unencoded +) and dates', async () => {
        const at = ago(10 * MINUTE);
        // The same instant written in UTC+02:00.
        const local = new Date(at.getTime() + 2 * 60 * MINUTE).toISOString().slice(0, 19);
        expect(await ids(format, `service_code=${code}&updated_after=${encodeURIComponent(`${local}+02:00`)}`)).to.deep.equal([
          oldRecentId,
        ]);
        expect(await ids(format, `service_code=${code}&updated_after=${local}+02:00`)).to.deep.equal([oldRecentId]);
        const week = new Date(Date.now() - 8 * DAY).toISOString().slice(0, 10);
        expect(await ids(format, `service_code=${code}&updated_after=${week}`)).to.have.members([
          recentId,
          oldRecentId,
          oldEarlierId,
        ]);
      });

      it('combines with the other filters (status)', async () => {
        expect(await ids(format, `service_code=${code}&status=closed&updated_after=${q(ago(7 * DAY))}`)).to.deep.equal([]);
        expect(await ids(format, `service_code=${code}&status=open&updated_after=${q(ago(7 * DAY))}`)).to.have.length(3);
      });

      for (const [name, value] of [
        ['updated_after', 'yesterday'],
        ['updated_after', '2026-13-45T00:00:00Z'],
        ['updated_before', 'not-a-date'],
        ['updated_before', '12345'],
      ] as const) {
        it(`${name}=${value} → 400 naming ${name}`, async () => {
          expect(await refused(format, `service_code=${code}&${name}=${value}`)).to.include(name);
        });
      }

      it('updated_after equal to or after updated_before → 400', async () => {
        const at = ago(60 * MINUTE);
        expect(await refused(format, `updated_after=${q(at)}&updated_before=${q(at)}`)).to.match(/updated_after|updated_before/);
        expect(await refused(format, `updated_after=${q(at)}&updated_before=${q(ago(2 * 60 * MINUTE))}`)).to.match(
          /updated_after|updated_before/,
        );
      });
    });
  }
});
