// The catalog as the console (and any caller with a raw body) calls it: each action that takes a body validates
// it (src/validate/catalog.ts, inputs.ts) and makes one call of src/domain/catalog.ts with the typed input, in
// the order the staff API answers (a 404 for an unknown code before the 400 of its body). Everything else is
// the domain module's own.
import * as catalog from '../domain/catalog.js';
import type { Jurisdiction } from '../domain/types.js';
import type { Db } from '../store/db.js';
import {
  catalogImportProblems,
  checkAgencyUpdate,
  checkServiceDefinition,
  checkServiceReplacement,
} from '../validate/catalog.js';
import { checkedInput, checkInput } from '../validate/inputs.js';

export * from '../domain/catalog.js';

type Actor = catalog.Actor;

export const createService = (db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor) =>
  catalog.createService(db, jurisdiction, checkServiceDefinition(body), actor);

export const replaceService = (db: Db, jurisdiction: Jurisdiction, code: string, body: unknown, actor: Actor) =>
  catalog.replaceService(db, jurisdiction, code, checkServiceReplacement(code, body), actor);

export const replaceRouting = (db: Db, jurisdiction: Jurisdiction, code: string, body: unknown, actor: Actor) =>
  catalog.replaceRouting(db, jurisdiction, code, checkedInput('catalog-routing.json', body), actor);

export const replaceAvailability = (db: Db, jurisdiction: Jurisdiction, code: string, body: unknown, actor: Actor) =>
  catalog.replaceAvailability(db, jurisdiction, code, checkedInput('catalog-availability.json', body), actor);

export const importCatalog = (db: Db, jurisdiction: Jurisdiction, body: unknown, retireMissing: boolean, actor: Actor) =>
  catalog.importCatalog(db, jurisdiction, body, retireMissing, actor, catalogImportProblems);

export const createAgency = (db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor) =>
  catalog.createAgency(db, jurisdiction, checkInput('catalog-agency.json', body), actor);

export const updateAgency = (db: Db, jurisdiction: Jurisdiction, code: string, body: unknown, actor: Actor) =>
  catalog.updateAgency(db, jurisdiction, code, checkAgencyUpdate(code, body), actor);

export const createArea = (db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor) =>
  catalog.createArea(db, jurisdiction, checkInput('catalog-area.json', body), actor);
