// The console's admin editing routes (admins only; routes.ts mounts the role check before them): services and
// their questions, routing and response-time targets, response templates and webhooks. Every write calls the
// domain function the staff API calls (catalog, response-templates, webhooks), as a form POST checked for the
// session's CSRF token (identity's requireStaffPage), answered with a 303 (PRG) or, when something is wrong,
// with the form again: the errors next to their fields and everything typed kept. Each edit form carries a
// fingerprint of what it was opened on; a save made on an older state is refused (409) and saves nothing.
import type { Request, Response, Router } from 'express';
import * as catalog from '../../catalog-actions.js';
import * as templates from '../../../domain/response-templates.js';
import type { Attribute } from '../../../domain/types.js';
import * as webhooks from '../../../domain/webhooks.js';
import { Open311Error } from '../../../errors.js';
import { validate } from '../../../validate/validate.js';
import { webhookInputOf } from '../../../validate/inputs.js';
import { parseNetworks } from '../../../webhooks/destination.js';
import type { AppContext } from '../../context.js';
import { html, type SafeHtml } from '../html.js';
import {
  fingerprintOf,
  routingFormBody,
  ruleCount,
  serviceBodyOf,
  serviceErrorsOf,
  serviceFormBody,
  templateErrorsOf,
  templateForm,
  templatesBody,
  type Typed,
  typedOf,
  typedOfRouting,
  typedOfService,
  typedOfTemplate,
} from './admin-forms.js';
import { ADMIN_PATH, adminNav, routingBody, servicesBody, webhooksBody } from './admin-pages.js';
import { formOf, formValue, formValues } from './form.js';
import { consoleUserOf } from './guard.js';
import { type FieldError, setFlash } from './layout.js';
import type { PageOptions } from './render.js';

type AdminPage = (
  req: Request,
  res: Response,
  title: string,
  body: SafeHtml,
  extra?: Partial<PageOptions>,
  status?: number,
) => void;

/** 4xx problems of a domain call as messages; anything else is not the form's fault and goes on up. */
function problemsOf(error: unknown): string[] {
  if (error instanceof Open311Error && error.status >= 400 && error.status < 500 && error.status !== 412)
    return error.errors.map((item) => item.description);
  throw error;
}

/** What a stale check compares: the parts of a service a form edits, as stored now. */
const serviceState = (service: catalog.StaffService) => ({
  ...service,
  attributes: [...service.attributes].sort((a, b) => a.order - b.order),
});

/** The attributes a form describes, for the preview (only those with what a question needs to show). */
function previewOf(body: Record<string, unknown>): Attribute[] {
  const attributes = Array.isArray(body.attributes) ? (body.attributes as Array<Record<string, unknown>>) : [];
  return attributes
    .filter((attribute) => typeof attribute.description === 'string' && attribute.description !== '')
    .map((attribute, index) => ({
      variable: attribute.variable !== false,
      code: typeof attribute.code === 'string' && attribute.code !== '' ? attribute.code : `question-${index + 1}`,
      datatype: attribute.datatype as Attribute['datatype'],
      required: attribute.required === true,
      datatype_description: (attribute.datatype_description as string | null) ?? null,
      order: typeof attribute.order === 'number' ? attribute.order : index + 1,
      description: attribute.description as string,
      ...(Array.isArray(attribute.values) ? { values: attribute.values as Attribute['values'] } : {}),
    }));
}

export function adminEditingRoutes(router: Router, context: AppContext, adminPage: AdminPage): void {
  const { db } = context;
  const jurisdiction = () => context.jurisdictions.resolve(undefined);
  const allowedNetworks = parseNetworks(context.config.webhookAllowedNetworks.join(','));
  const codeOf = (req: Request): string => String(req.params.code ?? '');
  const agencyNamesOf = async () => (await catalog.listAgencies(db, await jurisdiction())).map((agency) => agency.name);

  // --- Services and their questions ---------------------------------------------------------------------
  router.get('/admin/services', async (req, res) =>
    adminPage(
      req,
      res,
      'Services and questions',
      servicesBody(await catalog.listServices(db, await jurisdiction()), consoleUserOf(res).csrf_token),
    ),
  );

  const showServiceForm = async (
    req: Request,
    res: Response,
    options: {
      mode: 'create' | 'edit';
      typed: Typed;
      errors?: FieldError[];
      fingerprint?: string;
      preview: Attribute[];
      conflict?: catalog.StaffService;
    },
    status = 200,
  ) => {
    const title = options.mode === 'create' ? 'New service' : `Edit ${options.typed.service_name || options.typed.service_code}`;
    adminPage(
      req,
      res,
      title,
      serviceFormBody(
        { ...options, csrfToken: consoleUserOf(res).csrf_token, agencies: await agencyNamesOf() },
        adminNav('services'),
      ),
      { errors: options.errors },
      status,
    );
  };

  router.get('/admin/services/new', async (req, res) => {
    const typed: Typed = Object.create(null);
    typed.type = 'realtime';
    typed.question_count = '1';
    await showServiceForm(req, res, { mode: 'create', typed, preview: [] });
  });

  router.post('/admin/services/new', async (req, res) => {
    const typed = typedOf(formOf(req));
    const { body, rows } = serviceBodyOf(typed);
    const action = formValue(formOf(req), 'action');
    if (action === 'add_question' || action === 'preview') {
      if (action === 'add_question') typed.question_count = String(Number(typed.question_count || 1) + 1);
      await showServiceForm(req, res, { mode: 'create', typed, preview: previewOf(body) });
      return;
    }
    try {
      await catalog.createService(db, await jurisdiction(), body, consoleUserOf(res).actor);
    } catch (error) {
      const errors = serviceErrorsOf(problemsOf(error), typed, rows);
      await showServiceForm(req, res, { mode: 'create', typed, errors, preview: previewOf(body) }, 400);
      return;
    }
    setFlash(res, { kind: 'success', text: `Created the service ${String(body.service_name)} (${String(body.service_code)}).` });
    res.redirect(303, `${ADMIN_PATH}/services/${encodeURIComponent(String(body.service_code))}/edit`);
  });

  router.get('/admin/services/:code/edit', async (req, res) => {
    const service = await catalog.getService(db, await jurisdiction(), codeOf(req));
    await showServiceForm(req, res, {
      mode: 'edit',
      typed: typedOfService(service),
      fingerprint: fingerprintOf(serviceState(service)),
      preview: service.attributes,
    });
  });

  router.post('/admin/services/:code/edit', async (req, res) => {
    const current = await jurisdiction();
    const form = formOf(req);
    const typed = typedOf(form);
    typed.service_code = codeOf(req);
    const { body, rows } = serviceBodyOf(typed);
    const stored = await catalog.getService(db, current, codeOf(req));
    const now = fingerprintOf(serviceState(stored));
    const action = formValue(form, 'action');
    if (action === 'add_question' || action === 'preview') {
      if (action === 'add_question') typed.question_count = String(Number(typed.question_count || 1) + 1);
      await showServiceForm(req, res, { mode: 'edit', typed, fingerprint: typed.fingerprint, preview: previewOf(body) });
      return;
    }
    if (typed.fingerprint !== now) {
      await showServiceForm(req, res, { mode: 'edit', typed, fingerprint: now, preview: previewOf(body), conflict: stored }, 409);
      return;
    }
    try {
      await catalog.replaceService(db, current, codeOf(req), body, consoleUserOf(res).actor);
    } catch (error) {
      const errors = serviceErrorsOf(problemsOf(error), typed, rows);
      await showServiceForm(req, res, { mode: 'edit', typed, errors, fingerprint: now, preview: previewOf(body) }, 400);
      return;
    }
    setFlash(res, { kind: 'success', text: `Saved the service ${stored.service_name}.` });
    res.redirect(303, `${ADMIN_PATH}/services/${encodeURIComponent(codeOf(req))}/edit`);
  });

  router.post('/admin/services/:code/retire', async (req, res) => {
    try {
      const retired = await catalog.retireService(db, await jurisdiction(), codeOf(req), consoleUserOf(res).actor);
      setFlash(res, {
        kind: 'success',
        text: `Retired ${retired.service_name}: residents and apps can no longer report it; its requests stay.`,
      });
    } catch (error) {
      setFlash(res, { kind: 'error', text: problemsOf(error).join(' ') });
    }
    res.redirect(303, `${ADMIN_PATH}/services`);
  });

  // Bringing a retired service back is the API's PUT of its definition with active: true.
  router.post('/admin/services/:code/reactivate', async (req, res) => {
    const current = await jurisdiction();
    try {
      const {
        availability: _availability,
        routing: _routing,
        ...definition
      } = await catalog.getService(db, current, codeOf(req));
      const service = await catalog.replaceService(
        db,
        current,
        codeOf(req),
        { ...definition, active: true },
        consoleUserOf(res).actor,
      );
      setFlash(res, { kind: 'success', text: `${service.service_name} is offered again: residents and apps can report it.` });
    } catch (error) {
      setFlash(res, { kind: 'error', text: problemsOf(error).join(' ') });
    }
    res.redirect(303, `${ADMIN_PATH}/services`);
  });

  // --- Routing and response-time targets ------------------------------------------------------------------
  const showRouting = async (req: Request, res: Response, typed?: Typed, errors?: FieldError[], status = 200) => {
    const current = await jurisdiction();
    const [services, agencies] = await Promise.all([catalog.listServices(db, current), catalog.listAgencies(db, current)]);
    adminPage(
      req,
      res,
      'Routing and response times',
      routingBody(services, agencies, consoleUserOf(res).csrf_token, typed, errors),
      { errors },
      status,
    );
  };
  router.get('/admin/routing', async (req, res) => showRouting(req, res));

  router.post('/admin/agencies', async (req, res) => {
    const typed = typedOf(formOf(req));
    const input = { code: (typed.code ?? '').trim(), name: typed.name ?? '' };
    try {
      await catalog.createAgency(db, await jurisdiction(), input, consoleUserOf(res).actor);
    } catch (error) {
      const errors = problemsOf(error).map((message) => ({
        field: /^name\b/.test(message) ? 'agency-name' : 'agency-code',
        message,
      }));
      await showRouting(req, res, typed, errors, 400);
      return;
    }
    setFlash(res, { kind: 'success', text: `Added the agency ${input.name.trim()} (${input.code}).` });
    res.redirect(303, `${ADMIN_PATH}/routing`);
  });

  const routingState = (service: catalog.StaffService) => ({
    availability: [...service.availability].sort(),
    routing: service.routing,
    response_hours: service.response_hours,
    agency_responsible: service.agency_responsible,
  });

  const showRoutingForm = async (
    req: Request,
    res: Response,
    service: catalog.StaffService,
    typed: Typed,
    fingerprint: string,
    status = 200,
    errors?: FieldError[],
    conflict = false,
  ) => {
    const current = await jurisdiction();
    const [agencies, areas] = await Promise.all([catalog.listAgencies(db, current), catalog.listAreas(db, current)]);
    adminPage(
      req,
      res,
      `Routing of ${service.service_name}`,
      routingFormBody(
        {
          service,
          typed,
          errors,
          conflict,
          fingerprint,
          csrfToken: consoleUserOf(res).csrf_token,
          agencies,
          areas: areas.features,
        },
        adminNav('routing'),
      ),
      { errors },
      status,
    );
  };

  router.get('/admin/routing/:code', async (req, res) => {
    const current = await jurisdiction();
    const service = await catalog.getService(db, current, codeOf(req));
    const agencies = await catalog.listAgencies(db, current);
    await showRoutingForm(req, res, service, typedOfRouting(service, agencies), fingerprintOf(routingState(service)));
  });

  router.post('/admin/routing/:code', async (req, res) => {
    const current = await jurisdiction();
    const form = formOf(req);
    const typed = typedOf(form);
    const service = await catalog.getService(db, current, codeOf(req));
    const now = fingerprintOf(routingState(service));
    if (formValue(form, 'action') === 'add_rule') {
      typed.rule_count = String(ruleCount(typed) + 1);
      await showRoutingForm(req, res, service, typed, typed.fingerprint ?? now);
      return;
    }
    if (typed.fingerprint !== now) {
      await showRoutingForm(req, res, service, typed, now, 409, undefined, true);
      return;
    }
    const rows: number[] = [];
    const rules: Array<{ agency: string; area: string | null }> = [];
    for (let row = 0; row < ruleCount(typed); row += 1) {
      const agency = (typed[`rule${row}_agency`] ?? '').trim();
      if (agency === '') continue;
      rules.push({ agency, area: (typed[`rule${row}_area`] ?? '').trim() || null });
      rows.push(row);
    }
    const ruleErrors = (messages: string[]): FieldError[] =>
      messages.map((message) => {
        const indexed = /^rules\[(\d+)\]: (agency|area)/.exec(message);
        if (indexed) return { field: `rule${rows[Number(indexed[1])] ?? 0}-${indexed[2]}`, message };
        const area = /^rules: area (.+) has more than one rule/.exec(message)?.[1];
        const row = rows.find((_row, index) => (area ? rules[index]?.area === area : rules[index]?.area === null));
        return { field: `rule${row ?? 0}-area`, message };
      });
    const actor = consoleUserOf(res).actor;
    // Where it is offered first: it refuses only areas deleted meanwhile, before anything else is saved.
    const offered = [...new Set(formValues(form, 'offered_in'))].sort();
    if (JSON.stringify(offered) !== JSON.stringify(routingState(service).availability)) {
      try {
        await catalog.replaceAvailability(db, current, service.service_code, { areas: offered }, actor);
      } catch (error) {
        const errors = problemsOf(error).map((message) => ({ field: 'offered-0', message }));
        await showRoutingForm(req, res, service, typed, now, 400, errors);
        return;
      }
    }
    try {
      await catalog.replaceRouting(db, current, service.service_code, { rules }, actor);
    } catch (error) {
      const saved = await catalog.getService(db, current, service.service_code);
      await showRoutingForm(req, res, saved, typed, fingerprintOf(routingState(saved)), 400, ruleErrors(problemsOf(error)));
      return;
    }
    const hours = (typed.response_hours ?? '').trim();
    const agency = (typed.agency_responsible ?? '').trim();
    const response_hours = hours === '' ? null : /^\d+$/.test(hours) ? Number(hours) : hours;
    if (response_hours !== service.response_hours || (agency || null) !== service.agency_responsible) {
      // The target and default agency are fields of the service definition: the same PUT as the API's.
      const { availability: _availability, routing: _routing, active: _active, ...definition } = service;
      try {
        await catalog.replaceService(
          db,
          current,
          service.service_code,
          { ...definition, response_hours, agency_responsible: agency || null },
          actor,
        );
      } catch (error) {
        const errors = problemsOf(error).map((message) => ({
          field: /^agency_responsible/.test(message) ? 'routing-agency_responsible' : 'routing-response_hours',
          message,
        }));
        // The rules above were saved: the form now stands on that state.
        const saved = await catalog.getService(db, current, service.service_code);
        await showRoutingForm(req, res, saved, typed, fingerprintOf(routingState(saved)), 400, errors);
        return;
      }
    }
    setFlash(res, { kind: 'success', text: `Saved the routing of ${service.service_name}.` });
    res.redirect(303, `${ADMIN_PATH}/routing`);
  });

  // --- Response templates ------------------------------------------------------------------------------------
  const templateInputOf = (typed: Typed): templates.TemplateInput =>
    validate<templates.TemplateInput>('response-template-input.json', {
      name: typed.name ?? '',
      text: typed.text ?? '',
      service_code: (typed.service_code ?? '').trim() || null,
      status: (typed.status ?? '').trim() || null,
    });

  const showTemplates = async (req: Request, res: Response, typed: Typed, status = 200, errors?: FieldError[]) => {
    const current = await jurisdiction();
    const [list, services] = await Promise.all([templates.listTemplates(db, current), catalog.listServices(db, current)]);
    adminPage(
      req,
      res,
      'Response templates',
      templatesBody(list, services, consoleUserOf(res).csrf_token, adminNav('templates'), typed, errors),
      { errors },
      status,
    );
  };
  router.get('/admin/templates', async (req, res) => showTemplates(req, res, Object.create(null)));
  router.post('/admin/templates', async (req, res) => {
    const typed = typedOf(formOf(req));
    try {
      await templates.createTemplate(db, await jurisdiction(), templateInputOf(typed), consoleUserOf(res).actor);
    } catch (error) {
      await showTemplates(req, res, typed, 400, templateErrorsOf(problemsOf(error), 'template'));
      return;
    }
    setFlash(res, { kind: 'success', text: `Created the template “${(typed.name ?? '').trim()}”.` });
    res.redirect(303, `${ADMIN_PATH}/templates`);
  });

  const showTemplate = async (
    req: Request,
    res: Response,
    template: templates.ResponseTemplate,
    typed: Typed,
    status = 200,
    errors?: FieldError[],
    conflict = false,
  ) => {
    const services = await catalog.listServices(db, await jurisdiction());
    const nav = adminNav('templates');
    adminPage(
      req,
      res,
      `Edit the template ${template.name}`,
      html`<h1>Edit the template “${template.name}”</h1>
${nav}
${
  conflict
    ? html`<div class="flash flash-warning" role="alert"><p>Someone changed this template after you opened it, so nothing was saved. The form keeps what you typed; saved now: “${template.name}”: ${template.text}</p></div>`
    : html``
}
${templateForm('template', `${ADMIN_PATH}/templates/${template.id}`, 'Save the template', typed, consoleUserOf(res).csrf_token, services, errors, fingerprintOf(template))}`,
      { errors },
      status,
    );
  };
  router.get('/admin/templates/:id', async (req, res) => {
    const template = await templates.getTemplate(db, await jurisdiction(), String(req.params.id ?? ''));
    await showTemplate(req, res, template, typedOfTemplate(template));
  });
  router.post('/admin/templates/:id', async (req, res) => {
    const current = await jurisdiction();
    const typed = typedOf(formOf(req));
    const template = await templates.getTemplate(db, current, String(req.params.id ?? ''));
    if (typed.fingerprint !== fingerprintOf(template)) {
      await showTemplate(req, res, template, typed, 409, undefined, true);
      return;
    }
    try {
      await templates.replaceTemplate(db, current, template.id, templateInputOf(typed), consoleUserOf(res).actor);
    } catch (error) {
      await showTemplate(req, res, template, typed, 400, templateErrorsOf(problemsOf(error), 'template'));
      return;
    }
    setFlash(res, { kind: 'success', text: `Saved the template “${(typed.name ?? '').trim()}”.` });
    res.redirect(303, `${ADMIN_PATH}/templates`);
  });
  router.post('/admin/templates/:id/delete', async (req, res) => {
    try {
      await templates.deleteTemplate(db, await jurisdiction(), String(req.params.id ?? ''), consoleUserOf(res).actor);
      setFlash(res, { kind: 'success', text: 'Deleted the template.' });
    } catch (error) {
      setFlash(res, { kind: 'error', text: problemsOf(error).join(' ') });
    }
    res.redirect(303, `${ADMIN_PATH}/templates`);
  });

  // --- Webhooks ------------------------------------------------------------------------------------------------
  const showWebhooks = async (
    req: Request,
    res: Response,
    form: { typed: Typed; errors?: FieldError[]; created?: { url: string; secret: string } },
    status = 200,
  ) => {
    const current = await jurisdiction();
    const hooks = await webhooks.listWebhooks(db, current);
    const withDeliveries = await Promise.all(
      hooks.map(async (hook) => ({ ...hook, ...(await webhooks.listDeliveries(db, current, hook.id, 20)) })),
    );
    adminPage(
      req,
      res,
      'Webhooks',
      webhooksBody(withDeliveries, consoleUserOf(res).csrf_token, current.time_zone, form),
      { errors: form.errors },
      status,
    );
  };
  router.get('/admin/webhooks', async (req, res) => showWebhooks(req, res, { typed: Object.create(null) }));
  // The signing secret is shown once, in the answer to the POST that made it (no redirect could carry it
  // without storing it).
  router.post('/admin/webhooks', async (req, res) => {
    const form = formOf(req);
    const typed: Typed = Object.create(null);
    typed.url = formValue(form, 'url') ?? '';
    typed.events = formValues(form, 'events').join(',');
    try {
      const input = webhookInputOf({ url: typed.url, events: formValues(form, 'events') });
      const created = await webhooks.createWebhook(db, await jurisdiction(), input, allowedNetworks, consoleUserOf(res).actor);
      await showWebhooks(req, res, { typed: Object.create(null), created: { url: created.url, secret: created.secret } }, 201);
    } catch (error) {
      const errors = problemsOf(error).map((message) => ({
        field: /^events/.test(message) ? 'webhook-events' : 'webhook-url',
        message,
      }));
      await showWebhooks(req, res, { typed, errors }, 400);
    }
  });
  for (const [verb, change, done] of [
    ['deactivate', webhooks.deactivateWebhook, 'Deactivated the webhook.'],
    ['activate', webhooks.reactivateWebhook, 'Activated the webhook again: new events are delivered to it.'],
  ] as const) {
    router.post(`/admin/webhooks/:id/${verb}`, async (req, res) => {
      try {
        await change(db, await jurisdiction(), String(req.params.id ?? ''), consoleUserOf(res).actor);
        setFlash(res, { kind: 'success', text: done });
      } catch (error) {
        setFlash(res, { kind: 'error', text: problemsOf(error).join(' ') });
      }
      res.redirect(303, `${ADMIN_PATH}/webhooks`);
    });
  }
}
