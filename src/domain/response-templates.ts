// Response templates: named public notes ("Pothole filled") for a service and/or a detailed status, managed
// by admins and used from PATCH /api/v1/requests/{id} by template_id (the text stays editable there).
// Every change is audited under its actor.
import { badRequest, conflict, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import { recordAudit } from '../store/routing-store.js';
import * as store from '../store/response-templates-store.js';
import type { ResponseTemplate, TemplateFields } from '../store/response-templates-store.js';
import type { Jurisdiction } from './types.js';

export type { ResponseTemplate };

export interface TemplateInput {
  name: string;
  text: string;
  service_code?: string | null;
  status?: string | null;
}

type Actor = { key_id: string | null; staff_id?: string | null; name: string };

async function fieldsOf(db: Db, jurisdiction: Jurisdiction, input: TemplateInput): Promise<TemplateFields> {
  const service_code = input.service_code ?? null;
  if (service_code !== null) {
    const found = await db('services').where({ jurisdiction_id: jurisdiction.jurisdiction_id, service_code }).first('id');
    if (!found) throw badRequest(`service_code ${service_code} is not a service of this jurisdiction.`);
  }
  return { name: input.name.trim(), text: input.text, service_code, status: input.status ?? null };
}

export const listTemplates = (db: Db, jurisdiction: Jurisdiction, filter: { service_code?: string; status?: string } = {}) =>
  store.listTemplates(db, jurisdiction.jurisdiction_id, filter);

export async function getTemplate(db: Db, jurisdiction: Jurisdiction, id: string): Promise<ResponseTemplate> {
  const found = await store.findTemplate(db, jurisdiction.jurisdiction_id, id);
  if (!found) throw notFound(`No response template with id ${id}.`);
  return found;
}

export async function createTemplate(
  db: Db,
  jurisdiction: Jurisdiction,
  input: TemplateInput,
  actor: Actor,
): Promise<ResponseTemplate> {
  const created = await store.insertTemplate(db, jurisdiction.jurisdiction_id, await fieldsOf(db, jurisdiction, input));
  if (!created) throw conflict(`There is already a response template named "${input.name.trim()}".`);
  await recordAudit(db, {
    actor,
    entity_type: 'response_template',
    entity_id: created.id,
    action: 'create',
    changes: { ...input },
  });
  return created;
}

export async function replaceTemplate(
  db: Db,
  jurisdiction: Jurisdiction,
  id: string,
  input: TemplateInput,
  actor: Actor,
): Promise<ResponseTemplate> {
  const result = await store.updateTemplate(db, jurisdiction.jurisdiction_id, id, await fieldsOf(db, jurisdiction, input));
  if (result === 'conflict') throw conflict(`There is already a response template named "${input.name.trim()}".`);
  if (!result) throw notFound(`No response template with id ${id}.`);
  await recordAudit(db, { actor, entity_type: 'response_template', entity_id: id, action: 'update', changes: { ...input } });
  return result;
}

export async function deleteTemplate(db: Db, jurisdiction: Jurisdiction, id: string, actor: Actor): Promise<void> {
  if (!(await store.deleteTemplate(db, jurisdiction.jurisdiction_id, id))) throw notFound(`No response template with id ${id}.`);
  await recordAudit(db, { actor, entity_type: 'response_template', entity_id: id, action: 'delete', changes: {} });
}
