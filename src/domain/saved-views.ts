// Saved views: a person names the queue filters they use often. The query is the queue page's own query
// string, kept as text and re-validated by the queue whenever it is opened.
import { badRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import * as store from '../store/saved-views-store.js';

export const MAX_SAVED_VIEWS = 50;

export const listSavedViews = (db: Db, ownerId: string): Promise<store.SavedView[]> => store.listSavedViews(db, ownerId);

export async function saveView(db: Db, ownerId: string, name: string | undefined, query: string | undefined): Promise<string> {
  const trimmed = (name ?? '').trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw badRequest('Give the view a name of 1 to 100 characters.');
  const text = (query ?? '').trim();
  if (text.length > 2000 || (text !== '' && !/^\?[^#\s]*$/.test(text))) throw badRequest('The view’s filters could not be read.');
  const existing = await store.listSavedViews(db, ownerId);
  if (!existing.some((view) => view.name === trimmed) && existing.length >= MAX_SAVED_VIEWS)
    throw badRequest(`You can keep at most ${MAX_SAVED_VIEWS} saved views; delete one first.`);
  await store.saveView(db, ownerId, trimmed, text);
  return trimmed;
}

export const deleteView = (db: Db, ownerId: string, id: string): Promise<number> => store.deleteView(db, ownerId, id);
