// The staff workflow as the staff API and the console call it: each action takes its raw input (a JSON body,
// form fields, a query string), validates it (src/validate/inputs.ts, the schemas of spec/schemas) and makes
// one call of src/domain/workflow.ts with the typed input. Everything else is the domain module's own.
import type { Db } from '../store/db.js';
import * as workflow from '../domain/workflow.js';
import type { Jurisdiction } from '../domain/types.js';
import type { QueryObject } from '../validate/coerce.js';
import { checkInput, duplicateSearchOf, queueInput } from '../validate/inputs.js';
import type { SchemaTypes } from '../types/generated.js';

export * from '../domain/workflow.js';

type Actor = Parameters<typeof workflow.changeRequest>[5];

/**
 * A change of one request whose body is validated against `schemaId` first: the PATCH and the duplicate mark
 * take the same arguments (the If-Match version, the actor) and differ only in their schema and domain call.
 */
const changeOf =
  <Id extends keyof SchemaTypes, Result>(
    schemaId: Id,
    change: (
      db: Db,
      jurisdiction: Jurisdiction,
      id: string,
      input: SchemaTypes[Id],
      ifMatch: string | undefined,
      actor: Actor,
    ) => Promise<Result>,
  ) =>
  (db: Db, jurisdiction: Jurisdiction, id: string, body: Record<string, unknown>, ifMatch: string | undefined, actor: Actor) =>
    change(db, jurisdiction, id, checkInput(schemaId, body), ifMatch, actor);

export const changeRequest = changeOf('staff-request-patch.json', workflow.changeRequest);
export const markDuplicate = changeOf('staff-duplicate-input.json', workflow.markDuplicate);

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
