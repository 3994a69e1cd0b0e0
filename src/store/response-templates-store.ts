// Response templates: named public notes per service and/or detailed status, managed by admins.
import type { Db } from './db.js';

export interface ResponseTemplate {
  id: string;
  name: string;
  text: string;
  service_code: string | null;
  status: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateFields {
  name: string;
  text: string;
  service_code: string | null;
  status: string | null;
}

const isStorableId = (id: string): boolean => /^[1-9]\d{0,17}$/.test(id);

const columns = (db: Db) => [db.raw('id::text AS id'), 'name', 'text', 'service_code', 'status', 'created_at', 'updated_at'];

export async function listTemplates(
  db: Db,
  jurisdictionId: string,
  filter: { service_code?: string; status?: string } = {},
): Promise<ResponseTemplate[]> {
  const query = db('response_templates').select(columns(db)).where({ jurisdiction_id: jurisdictionId });
  // A template without a service (or status) applies to every one.
  if (filter.service_code) query.where((where) => where.whereNull('service_code').orWhere('service_code', filter.service_code!));
  if (filter.status) query.where((where) => where.whereNull('status').orWhere('status', filter.status!));
  return query.orderBy([{ column: 'name' }, { column: 'id' }]);
}

export async function findTemplate(db: Db, jurisdictionId: string, id: string): Promise<ResponseTemplate | undefined> {
  if (!isStorableId(id)) return undefined;
  return db('response_templates').select(columns(db)).where({ jurisdiction_id: jurisdictionId, id }).first();
}

/** undefined when the name is taken in this jurisdiction. */
export async function insertTemplate(
  db: Db,
  jurisdictionId: string,
  fields: TemplateFields,
): Promise<ResponseTemplate | undefined> {
  const rows = (await db('response_templates')
    .insert({ jurisdiction_id: jurisdictionId, ...fields })
    .onConflict(['jurisdiction_id', 'name'])
    .ignore()
    .returning(columns(db) as string[])) as ResponseTemplate[];
  return rows[0];
}

/** 'conflict' when another template has the name. */
export async function updateTemplate(
  db: Db,
  jurisdictionId: string,
  id: string,
  fields: TemplateFields,
): Promise<ResponseTemplate | undefined | 'conflict'> {
  if (!isStorableId(id)) return undefined;
  const clash = await db('response_templates')
    .where({ jurisdiction_id: jurisdictionId, name: fields.name })
    .whereNot({ id })
    .first();
  if (clash) return 'conflict';
  const rows = (await db('response_templates')
    .where({ jurisdiction_id: jurisdictionId, id })
    .update({ ...fields, updated_at: db.fn.now() })
    .returning(columns(db) as string[])) as ResponseTemplate[];
  return rows[0];
}

export async function deleteTemplate(db: Db, jurisdictionId: string, id: string): Promise<boolean> {
  if (!isStorableId(id)) return false;
  // RETURNING, not the affected-row count: the embedded store's driver does not report counts for DELETE.
  const rows = await db('response_templates').where({ jurisdiction_id: jurisdictionId, id }).delete().returning('id');
  return rows.length > 0;
}
