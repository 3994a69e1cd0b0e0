// Mail templates are files a city edits: templates/mail/<language>/<name>.txt (first line "Subject: …", a
// blank line, then the text body) and <name>.html (the HTML body). Placeholders are a tiny mustache subset:
//   {{name}} or {{request.address}}   a value (escaped in HTML, as is in text and the subject)
//   {{#name}}…{{/name}}               shown when name is set and not empty; repeated for each item of a list
//   {{^name}}…{{/name}}               shown when name is unset or empty
// Unknown names render nothing. Templates are read once per process and cached.
import fs from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../http/pages/html.js';
import type { Language } from './address.js';

export interface MailTemplate {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Largest template file read; a bigger one is a mistake, not a message. */
const MAX_TEMPLATE_BYTES = 64 * 1024;
/** Sections nested deeper than this are left unrendered. */
const MAX_DEPTH = 6;
const NAME = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const SECTION = /\{\{([#^])([a-z][a-z0-9_.]*)\}\}([\s\S]*?)\{\{\/\2\}\}/g;
const VALUE = /\{\{([a-z][a-z0-9_.]*)\}\}/g;

export type TemplateData = { readonly [name: string]: TemplateValue };
export type TemplateValue = string | number | boolean | null | undefined | TemplateData | readonly TemplateData[];

function lookup(scopes: readonly TemplateData[], name: string): TemplateValue {
  if (!NAME.test(name)) return undefined;
  const parts = name.split('.');
  // Inner scopes first (the current list item), then outer ones.
  for (let index = scopes.length - 1; index >= 0; index -= 1) {
    let value: TemplateValue = scopes[index];
    let found = true;
    for (const part of parts) {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, part)) {
        value = (value as TemplateData)[part];
      } else {
        found = false;
        break;
      }
    }
    if (found) return value;
  }
  return undefined;
}

const isSet = (value: TemplateValue): boolean =>
  value !== undefined && value !== null && value !== false && value !== '' && !(Array.isArray(value) && value.length === 0);

function renderPart(template: string, scopes: readonly TemplateData[], encode: (text: string) => string, depth: number): string {
  if (depth > MAX_DEPTH) return '';
  const withSections = template.replace(SECTION, (_match, kind: string, name: string, inner: string) => {
    const value = lookup(scopes, name);
    if (kind === '^') return isSet(value) ? '' : renderPart(inner, scopes, encode, depth + 1);
    if (!isSet(value)) return '';
    if (Array.isArray(value)) return value.map((item) => renderPart(inner, [...scopes, item], encode, depth + 1)).join('');
    if (typeof value === 'object') return renderPart(inner, [...scopes, value as TemplateData], encode, depth + 1);
    return renderPart(inner, scopes, encode, depth + 1);
  });
  return withSections.replace(VALUE, (_match, name: string) => {
    const value = lookup(scopes, name);
    if (value === undefined || value === null || typeof value === 'object') return '';
    return encode(String(value));
  });
}

export function renderTemplate(template: MailTemplate, data: TemplateData): RenderedMail {
  const asIs = (text: string): string => text;
  // A subject is one line whatever the values hold; the HTML may show it as its title.
  const subject = renderPart(template.subject, [data], asIs, 0).replace(/\s+/g, ' ').trim();
  const withSubject = { ...data, subject };
  return {
    subject,
    text: renderPart(template.text, [withSubject], asIs, 0),
    html: renderPart(template.html, [withSubject], escapeHtml, 0),
  };
}

function readTemplateFile(file: string): string {
  const stat = fs.statSync(file);
  if (stat.size > MAX_TEMPLATE_BYTES) throw new Error(`Mail template ${file} is larger than ${MAX_TEMPLATE_BYTES} bytes`);
  return fs.readFileSync(file, 'utf8');
}

/** Splits a .txt template into its "Subject:" line and its body. */
export function parseTextTemplate(source: string, file: string): { subject: string; text: string } {
  const match = /^Subject:[ \t]*(.*)\r?\n\r?\n?([\s\S]*)$/.exec(source);
  if (!match) throw new Error(`Mail template ${file} must start with a "Subject: …" line`);
  return { subject: match[1]!, text: match[2]! };
}

export class MailTemplates {
  private readonly cache = new Map<string, MailTemplate>();

  constructor(private readonly directory: string) {}

  /** The template in this language, else the English one. Throws when neither exists. */
  get(language: Language, name: string): MailTemplate {
    const key = `${language}/${name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (!/^[a-z-]+$/.test(name)) throw new Error(`Bad mail template name ${name}`);
    const folder = fs.existsSync(path.join(this.directory, language, `${name}.txt`)) ? language : 'en';
    const textFile = path.join(this.directory, folder, `${name}.txt`);
    const { subject, text } = parseTextTemplate(readTemplateFile(textFile), textFile);
    const html = readTemplateFile(path.join(this.directory, folder, `${name}.html`));
    const template = { subject, text, html };
    this.cache.set(key, template);
    return template;
  }

  render(language: Language, name: string, data: TemplateData): RenderedMail {
    return renderTemplate(this.get(language, name), data);
  }
}
