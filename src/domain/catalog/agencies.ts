// Agencies: who requests are routed to.
import { badRequest, conflict, notFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import * as routingStore from '../../store/routing-store.js';
import type { Agency } from '../../store/routing-store.js';
import type { CatalogAgency } from '../../types/generated.js';
import type { Jurisdiction } from '../types.js';
import type { Actor, Checked } from './shared.js';

export async function listAgencies(db: Db, jurisdiction: Jurisdiction): Promise<Agency[]> {
  return routingStore.listAgencies(db, jurisdiction.jurisdiction_id);
}

export async function createAgency(db: Db, jurisdiction: Jurisdiction, input: CatalogAgency, actor: Actor): Promise<Agency> {
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
  checked: Checked<CatalogAgency>,
  actor: Actor,
): Promise<Agency> {
  const current = await routingStore.findAgency(db, jurisdiction.jurisdiction_id, code);
  if (!current) throw notFound(`Agency ${code} was not found.`);
  if (checked.value === undefined) throw badRequest(...checked.problems);
  const name = checked.value.name.trim();
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
