// The console's saved views (named queue filters per person).
import type { Db } from './db.js';

export interface SavedView {
  id: string;
  name: string;
  query: string;
}

export async function listSavedViews(db: Db, ownerId: string): Promise<SavedView[]> {
  return db('console_saved_views').select(db.raw('id::text AS id'), 'name', 'query').where({ owner_id: ownerId }).orderBy('name');
}

/** Saves (or replaces, by name) a person's view. */
export async function saveView(db: Db, ownerId: string, name: string, query: string): Promise<void> {
  await db('console_saved_views').insert({ owner_id: ownerId, name, query }).onConflict(['owner_id', 'name']).merge({ query });
}

export async function deleteView(db: Db, ownerId: string, id: string): Promise<number> {
  if (!/^\d{1,18}$/.test(id)) return 0;
  // Counted from RETURNING: the embedded driver answers a DELETE with its raw result, not a row count.
  return (await db('console_saved_views').where({ owner_id: ownerId, id }).delete().returning('id')).length;
}
