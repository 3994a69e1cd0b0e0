// Response templates (staff read them; admins manage them): /api/v1/response-templates.
import express, { type Request, type Router } from 'express';
import * as templates from '../../domain/response-templates.js';
import { badRequest } from '../../errors.js';
import { coerceCommonQuery, scalarParameter } from '../../validate/coerce.js';
import { validate } from '../../validate/validate.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { actorOf, requireRole } from './auth.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './send.js';

export function templatesRouter(context: AppContext): Router {
  const { db } = context;
  const router = express.Router();
  const admin = requireRole(context, 'admin');
  const jurisdictionOf = async (req: Request) =>
    context.jurisdictions.resolve(
      validate<{ jurisdiction_id?: string }>('common-query-input.json', coerceCommonQuery(req.query)).jurisdiction_id,
    );
  const idOf = (req: Request): string => String(req.params.id ?? '');
  const inputOf = async (req: Request) =>
    validate<templates.TemplateInput>('response-template-input.json', await readJsonObject(req));

  router.get('/', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const filter: { service_code?: string; status?: string } = {};
    for (const name of ['service_code', 'status'] as const) {
      const value = scalarParameter(req.query, name);
      if (value === undefined) continue;
      if (value.length === 0 || value.length > 100) throw badRequest(`${name} must be 1 to 100 characters.`);
      filter[name] = value;
    }
    sendJson(res, { templates: await templates.listTemplates(db, jurisdiction, filter) }, jurisdiction.time_zone);
  });
  router.post('/', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    const created = await templates.createTemplate(db, jurisdiction, await inputOf(req), actorOf(res));
    sendJson(res, created, jurisdiction.time_zone, 201);
  });
  router.get('/:id', async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(res, await templates.getTemplate(db, jurisdiction, idOf(req)), jurisdiction.time_zone);
  });
  router.put('/:id', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    sendJson(
      res,
      await templates.replaceTemplate(db, jurisdiction, idOf(req), await inputOf(req), actorOf(res)),
      jurisdiction.time_zone,
    );
  });
  router.delete('/:id', admin, async (req, res) => {
    const jurisdiction = await jurisdictionOf(req);
    await templates.deleteTemplate(db, jurisdiction, idOf(req), actorOf(res));
    res.status(204).end();
  });
  router.all('/', methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  router.all('/:id', methodNotAllowedHandler(['GET', 'HEAD', 'PUT', 'DELETE']));
  return router;
}
