// Jurisdictions as an operator manages them (npm run jurisdictions): list with their sizes, add, rename and
// remove. A rename moves every row that names the jurisdiction, found by column name, so tables added later
// are moved too.
import { OperatorError } from '../errors.js';
import type { Db } from './db.js';

export interface JurisdictionSummary {
  jurisdiction_id: string;
  name: string;
  time_zone: string;
  services: number;
  requests: number;
}

export async function summarizeJurisdictions(db: Db): Promise<JurisdictionSummary[]> {
  const rows = await db.raw<{ rows: JurisdictionSummary[] }>(`
    SELECT j.jurisdiction_id, j.name, j.time_zone,
      (SELECT count(*)::integer FROM services s WHERE s.jurisdiction_id = j.jurisdiction_id) AS services,
      (SELECT count(*)::integer FROM service_requests r WHERE r.jurisdiction_id = j.jurisdiction_id) AS requests
    FROM jurisdictions j ORDER BY j.jurisdiction_id`);
  return rows.rows;
}

export async function storedJurisdictionIds(db: Db): Promise<string[]> {
  return (await db('jurisdictions').select('jurisdiction_id').orderBy('jurisdiction_id')).map(
    (row: { jurisdiction_id: string }) => row.jurisdiction_id,
  );
}

export async function addJurisdiction(
  db: Db,
  jurisdiction: { jurisdiction_id: string; name: string; time_zone: string },
): Promise<void> {
  const inserted = await db('jurisdictions')
    .insert(jurisdiction)
    .onConflict('jurisdiction_id')
    .ignore()
    .returning('jurisdiction_id');
  if (inserted.length === 0) throw new OperatorError(`The jurisdiction ${jurisdiction.jurisdiction_id} already exists.`);
}

/** Tables (other than jurisdictions) with a jurisdiction_id column, children of a foreign key or not. */
async function tablesNamingJurisdictions(db: Db): Promise<string[]> {
  const result = await db.raw<{ rows: Array<{ table_name: string }> }>(`
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND c.column_name = 'jurisdiction_id'
      AND c.table_name <> 'jurisdictions' AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name`);
  return result.rows.map((row) => row.table_name);
}

export async function renameJurisdiction(db: Db, from: string, to: string): Promise<number> {
  return db.transaction(async (trx) => {
    const existing = await trx('jurisdictions').where({ jurisdiction_id: from }).forUpdate().first();
    if (!existing) throw new OperatorError(`No jurisdiction ${from}.`);
    if (await trx('jurisdictions').where({ jurisdiction_id: to }).first())
      throw new OperatorError(`The jurisdiction ${to} already exists; remove it first or choose another name.`);
    // The new row first (foreign keys need it), then every row moves, then the old row goes. A request's
    // (jurisdiction, service) key is checked at commit, when its service has moved too.
    await trx.raw('SET CONSTRAINTS service_requests_service_foreign DEFERRED');
    await trx('jurisdictions').insert({ ...existing, jurisdiction_id: to });
    let moved = 0;
    for (const table of await tablesNamingJurisdictions(trx)) {
      moved += await trx(table).where({ jurisdiction_id: from }).update({ jurisdiction_id: to });
    }
    await trx('jurisdictions').where({ jurisdiction_id: from }).delete();
    return moved;
  });
}

export async function removeJurisdiction(db: Db, id: string): Promise<void> {
  await db.transaction(async (trx) => {
    const [summary] = (await summarizeJurisdictions(trx)).filter((row) => row.jurisdiction_id === id);
    if (!summary) throw new OperatorError(`No jurisdiction ${id}.`);
    if (summary.services > 0 || summary.requests > 0)
      throw new OperatorError(
        `The jurisdiction ${id} has ${summary.services} services and ${summary.requests} requests; only an empty one can be removed.`,
      );
    await trx('jurisdictions').where({ jurisdiction_id: id }).delete();
  });
}
