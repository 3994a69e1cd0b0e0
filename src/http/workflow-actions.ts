// The staff workflow as the staff API and the console call it: each action takes its raw input (a JSON body,
// form fields, a query string), validates it (src/validate/inputs.ts, the schemas of spec/schemas) and makes
// one call of src/domain/workflow.ts with the typed input. Everything else is the domain module's own.
import type { Db } from '../store/db.js';
import * as workflow from '../domain/workflow.js';
import type { Jurisdiction } from '../domain/types.js';
import type { QueryObject } from '../validate/coerce.js';
import { checkInput, duplicateSearchOf, queueInput } from '../validate/inputs.js';

export * from '../domain/workflow.js';

type Actor = Parameters<typeof workflow.changeRequest>[5];

export const changeRequest = (
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  body: Record<string, unknown>,
  ifMatch: string | undefined,
  actor: Actor,
) => workflow.changeRequest(db, jurisdiction, id, checkInput('staff-request-patch.json', body), ifMatch, actor);

export const markDuplicate = (
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  body: Record<string, unknown>,
  ifMatch: string | undefined,
  actor: Actor,
) => workflow.markDuplicate(db, jurisdiction, id, checkInput('staff-duplicate-input.json', body), ifMatch, actor);

export const findDuplicates = (
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  query: QueryObject,
  defaults: { radius_meters: number; window_hours: number },
) => workflow.findDuplicates(db, jurisdiction, id, duplicateSearchOf(query, defaults));

/** `actor` resolves assigned_to=me; without a person (a key), "me" matches nothing; `countUpTo` bounds the count. */
export const queue = (db: Db, jurisdiction: Jurisdiction, query: QueryObject, actor?: Actor, countUpTo?: number) =>
  workflow.queue(db, jurisdiction, queueInput(query), actor, countUpTo);
