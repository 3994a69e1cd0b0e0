// Console form posts: the same body reader as the API (size, field-count and NUL limits), folded into a
// prototype-free record of name → value (or values, when a name repeats, as checkboxes do).
import type { Request } from 'express';
import { readFormBody as readBody } from '../../body.js';

export type ConsoleForm = Record<string, string | string[]>;

export async function readFormBody(req: Request): Promise<ConsoleForm> {
  const { pairs } = await readBody(req, { maxFileBytes: 0, maxFiles: 0 });
  const form: ConsoleForm = Object.create(null);
  for (const [name, value] of pairs) {
    const before = form[name];
    if (before === undefined) form[name] = value;
    else form[name] = Array.isArray(before) ? [...before, value] : [before, value];
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
