// `.delete()` answers the number of rows it deleted on both stores (knex-pglite's result needed mapping), so
// "was anything deleted?" answers are right on the embedded store too: a saved view, a service area.
import { expect } from 'chai';
import { createAccount } from '../../src/domain/staff-accounts.js';
import { deleteView, saveView } from '../../src/store/saved-views-store.js';
import { ctx } from '../helpers/test-server.js';

describe('store: deletes count what they delete', () => {
  it('a delete answers its row count; a saved view is deleted once, then reported gone', async () => {
    const { db } = ctx();
    const stamp = Date.now().toString(36);
    const owner = await createAccount(db, {
      email: `deletes.${stamp}@city.example`,
      display_name: `Deletes ${stamp}`,
      role: 'staff',
    });
    await saveView(db, owner.id, 'Mine', 'assignee=me');
    await saveView(db, owner.id, 'Open', 'status=open');
    const views: Array<{ id: string | number }> = await db('console_saved_views').where({ owner_id: owner.id }).select('id');
    expect(views).to.have.length(2);
    const id = String(views[0]!.id);
    expect(await deleteView(db, owner.id, id)).to.equal(1);
    expect(await deleteView(db, owner.id, id)).to.equal(0);
    expect(await db('console_saved_views').where({ owner_id: owner.id }).delete()).to.equal(1);
  });
});
