// The console's one seam to staff identity: every console route asks this file who is signed in, what their
// CSRF token is, and which actor a change is recorded under. Sessions, sign-in and the CSRF check itself are
// identity's (session-middleware.ts: requireStaffPage checks the token of every POST, read from req.body, so
// the console parses its form bodies before it).
import express, { type Response } from 'express';
import type { Jurisdiction } from '../../../domain/types.js';
import { signInRequired } from '../../../errors.js';
import type { AppContext } from '../../context.js';
import type { Actor } from '../../staff/auth.js';
import { listAccounts } from '../../../domain/staff-accounts.js';
import { listTemplates } from '../../../domain/response-templates.js';
import * as workflow from '../../../domain/workflow.js';
import type { ConsolePerson } from './layout.js';
import { csrfToken, requireStaffPage } from './session-middleware.js';

export interface ConsoleUser extends ConsolePerson {
  /** Who a change is recorded under (the workflow's Actor: a person, no key). */
  actor: Actor;
  /** The staff account id ("assigned to me", saved views). */
  staff_id: string;
  csrf_token: string;
}

function userOf(res: Response): ConsoleUser | undefined {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor || actor.kind !== 'person' || !actor.staff_id || !res.locals.session) return undefined;
  return {
    name: actor.name,
    role: actor.role === 'admin' ? 'admin' : 'staff',
    actor,
    staff_id: actor.staff_id,
    csrf_token: csrfToken(res),
  };
}

export const consoleUserOf = (res: Response): ConsoleUser => {
  const user = userOf(res);
  if (!user) throw signInRequired();
  return user;
};
export const maybeConsoleUserOf = (res: Response): ConsoleUser | undefined => userOf(res);

/** Console form bodies: urlencoded, flat, up to 1 MiB and 1100 fields (a bulk action names up to 500 rows). */
export const consoleFormBody = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 1100 });

/** Pages behind sign-in (identity's session middleware: redirect to sign-in, role check, CSRF on writes). */
export const requireConsole = (context: AppContext, role: 'staff' | 'admin' = 'staff') => requireStaffPage(context, role);

/** What the console needs from staff identity beyond sign-in: people, assignment and response templates. */
export interface Team {
  assignmentAvailable: boolean;
  /** Active staff accounts, for the assignee choices. */
  people: Array<{ id: string; name: string }>;
  templates: Array<{ id: string; title: string; text: string }>;
  /** The queue's actor: it resolves assigned_to=me to the signed-in person. */
  actor: Actor | undefined;
  /** The template's fields of a change (identity's template_id: its text unless a note is typed). */
  templateFields(id: string | undefined): { template_id?: string };
  assign(jurisdiction: Jurisdiction, id: string, version: number, assignee: string | undefined): Promise<void>;
}

export async function teamOf(context: AppContext, res: Response): Promise<Team> {
  const jurisdiction = await context.jurisdictions.resolve(undefined);
  const user = maybeConsoleUserOf(res);
  const [people, templates] = await Promise.all([listAccounts(context.db), listTemplates(context.db, jurisdiction)]);
  const known = new Set(templates.map((template) => template.id));
  return {
    assignmentAvailable: true,
    people: people.filter((person) => person.active).map((person) => ({ id: person.id, name: person.display_name })),
    templates: templates.map((template) => ({ id: template.id, title: template.name, text: template.text })),
    actor: user?.actor,
    templateFields: (id) => (id && known.has(id) ? { template_id: id } : {}),
    assign: async (current, id, version, assignee) => {
      if (!user) throw signInRequired();
      await workflow.changeRequest(context.db, current, id, { version, assigned_to: assignee ?? null }, undefined, user.actor);
    },
  };
}
