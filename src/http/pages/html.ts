// HTML templates that escape by default. `html` is a tagged template: every interpolated value is escaped
// unless it is itself SafeHtml (the result of another `html` call, or `raw()` for markup we wrote).
// Arrays are joined, null/undefined/false render nothing, so loops and conditions read naturally:
//   html`<ul>${items.map((item) => html`<li>${item.name}</li>`)}</ul>`
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index += 1) out += render(values[index]) + (strings[index + 1] ?? '');
  return new SafeHtml(out);
}

/** Markup written by us (never outside input): inserted as is. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
