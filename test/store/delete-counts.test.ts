// Deletes that report how many rows they removed, on the real store: the embedded driver answers a DELETE with
// its raw result rather than a count, so each count is read from RETURNING (checked here on both stores).
import { expect } from 'chai';
import { createAccount } from '../../src/domain/staff-accounts.js';
import { deleteArea, insertArea } from '../../src/store/routing-store.js';
import { deleteView, listSavedViews, saveView } from '../../src/store/saved-views-store.js';
import { deleteExpiredSessions, deleteSessionsOf, insertSession } from '../../src/store/sessions-store.js';
import { ctx, unique } from '../helpers/test-server.js';

describe('store deletes count what they removed', () => {
  it('a saved view is deleted once: 1, then 0', async () => {
    const { db } = ctx();
    const owner = unique('owner');
    await saveView(db, owner, 'Open potholes', '?service_code=POTHOLE&status=open');
    const [view] = await listSavedViews(db, owner);
    expect(await deleteView(db, owner, String(view!.id))).to.equal(1);
    expect(await deleteView(db, owner, String(view!.id))).to.equal(0);
    expect(await deleteView(db, unique('other'), '1')).to.equal(0);
  });

  it('sessions of one person, and expired sessions, are counted', async () => {
    const { db } = ctx();
    const stamp = unique('sessions');
    const person = await createAccount(db, { email: `${stamp}@city.example`, display_name: stamp, role: 'staff' });
    const now = new Date();
    const later = new Date(now.getTime() + 3600_000);
    for (const suffix of ['a', 'b', 'c']) {
      await insertSession(db, {
        id_hash: `${stamp}-${suffix}`,
        staff_account_id: person.id,
        method: 'link',
        second_factor_pending: false,
        expires_at: suffix === 'c' ? new Date(now.getTime() - 1000) : later,
        now,
      });
    }
    // Only the session that ended a second ago has expired (the idle limit lies before every session).
    expect(await deleteExpiredSessions(db, now, new Date(now.getTime() - 3600_000))).to.be.at.least(1);
    expect(await deleteSessionsOf(db, person.id)).to.equal(2);
    expect(await deleteSessionsOf(db, person.id)).to.equal(0);
  });

  it('an area is deleted once: true, then false', async () => {
    const { db, config } = ctx();
    const code = unique('AREA').toUpperCase();
    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [-82.6, 39.7],
          [-82.59, 39.7],
          [-82.59, 39.71],
          [-82.6, 39.7],
        ],
      ],
    };
    expect(
      await insertArea(db, config.jurisdictionId, { code, name: code, kind: 'district', geojson: JSON.stringify(square) }),
    ).to.not.equal(undefined);
    expect(await deleteArea(db, config.jurisdictionId, code)).to.equal(true);
    expect(await deleteArea(db, config.jurisdictionId, code)).to.equal(false);
  });
});
