// Agencies: who requests are routed to.
import { badRequest, conflict, notFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import * as routingStore from '../../store/routing-store.js';
import type { Agency } from '../../store/routing-store.js';
import { schemaProblems, validate } from '../../validate/validate.js';
import type { Jurisdiction } from '../types.js';
import { type Actor, isObject, type Json } from './shared.js';

const check = <T>(input: unknown): T => validate<T>('catalog-agency.json', input);

export async function listAgencies(db: Db, jurisdiction: Jurisdiction): Promise<Agency[]> {
  return routingStore.listAgencies(db, jurisdiction.jurisdiction_id);
}

export async function createAgency(db: Db, jurisdiction: Jurisdiction, body: unknown, actor: Actor): Promise<Agency> {
  const input = check<{ code: string; name: string }>(body);
  const name = input.name.trim();
  return db.transaction(async (trx) => {
    const agency = await routingStore.insertAgency(trx, jurisdiction.jurisdiction_id, { code: input.code, name });
    if (!agency) throw conflict(`Agency ${input.code} already exists; rename it with PUT /api/v1/agencies/${input.code}.`);
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'agency',
      entity_id: input.code,
      action: 'create',
      changes: { code: input.code, name },
    });
    return agency;
  });
}

export async function updateAgency(
  db: Db,
  jurisdiction: Jurisdiction,
  code: string,
  body: unknown,
  actor: Actor,
): Promise<Agency> {
  const withCode = isObject(body) && body.code === undefined ? { code, ...body } : body;
  const problems = schemaProblems('catalog-agency.json', withCode);
  if (isObject(withCode) && typeof withCode.code === 'string' && withCode.code !== code) {
    problems.unshift(`code ${withCode.code} in the body differs from ${code} in the path: an agency's code cannot change.`);
  }
  const current = await routingStore.findAgency(db, jurisdiction.jurisdiction_id, code);
  if (!current) throw notFound(`Agency ${code} was not found.`);
  if (problems.length > 0) throw badRequest(...problems);
  const name = ((withCode as Json).name as string).trim();
  return db.transaction(async (trx) => {
    const agency = (await routingStore.renameAgency(trx, jurisdiction.jurisdiction_id, code, name))!;
    await routingStore.recordAudit(trx, {
      actor,
      entity_type: 'agency',
      entity_id: code,
      action: 'update',
      changes: current.name === name ? {} : { name: { from: current.name, to: name } },
    });
    return agency;
  });
}
