// The catalog as the console calls it: the actions that take a raw body validate it (src/validate) and make
// one call of src/domain/catalog.ts with the typed input. Everything else is the domain module's own.
import * as catalog from '../domain/catalog.js';
import type { Jurisdiction } from '../domain/types.js';
import type { Db } from '../store/db.js';
import { checkInput } from '../validate/inputs.js';

export * from '../domain/catalog.js';

export const createArea = (db: Db, jurisdiction: Jurisdiction, body: unknown, actor: catalog.Actor) =>
  catalog.createArea(db, jurisdiction, checkInput('catalog-area.json', body), actor);
