// Console form posts, parsed by consoleFormBody (guard.ts) before the session check, folded into a
// prototype-free record of name → value (or values, when a name repeats, as checkboxes do).
import type { Request } from 'express';
import { badRequest } from '../../../errors.js';

export type ConsoleForm = Record<string, string | string[]>;

export function formOf(req: Request): ConsoleForm {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const form: ConsoleForm = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((item): item is string => typeof item === 'string')) continue;
    // NUL can be stored neither in PostgreSQL text nor in XML answers.
    if (values.some((item) => item.includes('\0'))) throw badRequest(`The field ${name.slice(0, 50)} contains a NUL character.`);
    form[name] = Array.isArray(value) ? values : values[0]!;
  }
  return form;
}

/** One value of a field (the first when repeated), trimmed; empty → undefined. */
export function formValue(form: ConsoleForm, name: string): string | undefined {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : undefined;
}

/** Every non-empty value of a repeated field. */
export function formValues(form: ConsoleForm, name: string): string[] {
  const value = form[name];
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.map((item) => item.trim()).filter((item) => item !== '');
}
