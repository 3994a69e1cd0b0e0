// Message catalogs of the resident site: one JSON file per language in this folder (en.json, es.json, …), every
// visible string by key. A new language is a new file. The language comes from the `lang` cookie (set by the
// switcher), else from Accept-Language, else English. Dates are written in the city's time zone.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../project-root.js';

export const DEFAULT_LANGUAGE = 'en';
export const LANGUAGE_COOKIE = 'lang';

const CATALOG_DIRECTORY = path.join(PROJECT_ROOT, 'src', 'http', 'pages', 'i18n');

function loadCatalogs(): Map<string, Map<string, string>> {
  const catalogs = new Map<string, Map<string, string>>();
  for (const file of fs
    .readdirSync(CATALOG_DIRECTORY)
    .filter((name) => /^[a-z]{2,3}\.json$/.test(name))
    .sort()) {
    const messages = JSON.parse(fs.readFileSync(path.join(CATALOG_DIRECTORY, file), 'utf8')) as Record<string, unknown>;
    const map = new Map<string, string>();
    for (const [key, value] of Object.entries(messages)) if (typeof value === 'string') map.set(key, value);
    catalogs.set(file.slice(0, -'.json'.length), map);
  }
  if (!catalogs.has(DEFAULT_LANGUAGE)) throw new Error(`No ${DEFAULT_LANGUAGE}.json message catalog in ${CATALOG_DIRECTORY}`);
  return catalogs;
}

const catalogs = loadCatalogs();

/** The languages there is a catalog for, English first. */
export const LANGUAGES: readonly string[] = [
  DEFAULT_LANGUAGE,
  ...[...catalogs.keys()].filter((code) => code !== DEFAULT_LANGUAGE),
];

export const isLanguage = (code: unknown): code is string => typeof code === 'string' && catalogs.has(code);

/** The best language for an Accept-Language header (q-values honoured; "es-MX" matches "es"). */
export function languageFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const choices = header
    .slice(0, 500)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...parameters] = part.trim().split(';');
      const q = parameters.map((item) => item.trim()).find((item) => item.startsWith('q='));
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((choice) => choice.tag !== '' && Number.isFinite(choice.q) && choice.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const choice of choices) {
    const base = choice.tag.split('-')[0]!;
    if (catalogs.has(base)) return base;
  }
  return undefined;
}

export type Params = Record<string, string | number>;

export interface Translator {
  language: string;
  /** The message for `key` with {name} placeholders filled; English when this catalog lacks it. */
  t(key: string, params?: Params): string;
  /** A date and time as residents read it, in `timeZone`. */
  dateTime(date: Date, timeZone: string): string;
  date(date: Date, timeZone: string): string;
  number(value: number, fractionDigits?: number): string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(language: string, timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${language}|${timeZone}|${withTime}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(language, {
      timeZone,
      dateStyle: 'medium',
      ...(withTime ? { timeStyle: 'short' as const } : {}),
    });
    formatters.set(key, found);
  }
  return found;
}

export function translator(language: string): Translator {
  const catalog = catalogs.get(language) ?? catalogs.get(DEFAULT_LANGUAGE)!;
  const fallback = catalogs.get(DEFAULT_LANGUAGE)!;
  return {
    language: catalogs.has(language) ? language : DEFAULT_LANGUAGE,
    t(key, params) {
      const template = catalog.get(key) ?? fallback.get(key) ?? key;
      if (!params) return template;
      return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
        Object.hasOwn(params, name) ? String(params[name]) : whole,
      );
    },
    dateTime: (date, timeZone) => formatter(language, timeZone, true).format(date),
    date: (date, timeZone) => formatter(language, timeZone, false).format(date),
    number: (value, fractionDigits = 0) =>
      new Intl.NumberFormat(language, { maximumFractionDigits: fractionDigits }).format(value),
  };
}
