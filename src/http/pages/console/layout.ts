// The staff console's page shell: one function every /staff/ page renders through, so the header (city name,
// navigation, the signed-in person and sign-out), skip link, main landmark, flash messages and the error
// summary look and behave the same everywhere. Pages pass their body as SafeHtml from `html`.
import type { Response } from 'express';
import { type SafeHtml, html } from '../html.js';

export const CONSOLE_BASE_PATH = '/staff';

export type ConsoleSection = 'queue' | 'map' | 'trends' | 'admin' | 'account' | 'none';

/** The signed-in person as the layout shows them (identity's session middleware fills res.locals). */
export interface ConsolePerson {
  name: string;
  role: 'staff' | 'admin';
}

export interface FlashMessage {
  kind: 'success' | 'info' | 'warning' | 'error';
  text: string;
}

/** One problem with a form: `field` is the id of the control it is about (the summary links to it). */
export interface FieldError {
  field: string;
  message: string;
}

export interface LayoutOptions {
  title: string;
  cityName: string;
  section: ConsoleSection;
  body: SafeHtml;
  person?: ConsolePerson | undefined;
  /** The CSRF token of the session, for the sign-out form. */
  csrfToken?: string | undefined;
  flash?: readonly FlashMessage[] | undefined;
  /** Shown as an error summary at the top of main; the page marks each field itself. */
  errors?: readonly FieldError[] | undefined;
  /** Script entries (names in web/js without .ts), loaded as modules at the end of the body. */
  scripts?: readonly string[] | undefined;
  /** Extra stylesheets, e.g. the vendor Leaflet or uPlot CSS. */
  styles?: readonly ('leaflet' | 'uplot')[] | undefined;
  /** data-* values for the page's scripts, set on <main> (never inline script bodies: the CSP forbids them). */
  data?: Readonly<Record<string, string>> | undefined;
}

const NAV: ReadonlyArray<{ section: ConsoleSection; label: string; path: string; adminOnly?: boolean }> = [
  { section: 'queue', label: 'Queue', path: `${CONSOLE_BASE_PATH}/` },
  { section: 'map', label: 'Map', path: `${CONSOLE_BASE_PATH}/map` },
  { section: 'trends', label: 'Trends', path: `${CONSOLE_BASE_PATH}/trends` },
  { section: 'admin', label: 'Admin', path: `${CONSOLE_BASE_PATH}/admin`, adminOnly: true },
];

const VENDOR_STYLES = {
  leaflet: '/assets/vendor/leaflet/leaflet.css',
  uplot: '/assets/vendor/uplot/uPlot.min.css',
} as const;

/** The error summary (GOV.UK pattern): a titled box linking to each field, focused by console.js on load. */
export function errorSummary(errors: readonly FieldError[] | undefined): SafeHtml {
  if (!errors || errors.length === 0) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" data-error-summary>
  <h2 id="error-summary-title">There is a problem</h2>
  <ul>${errors.map((error) => html`<li><a href="#${error.field}">${error.message}</a></li>`)}</ul>
</div>`;
}

/** The message shown beside a field; pair it with aria-describedby="ID-error" on the control. */
export function fieldError(errors: readonly FieldError[] | undefined, field: string): SafeHtml {
  const found = errors?.find((error) => error.field === field);
  return found
    ? html`<p class="field-error" id="${field}-error"><span class="visually-hidden">Error:</span> ${found.message}</p>`
    : html``;
}

function flashList(flash: readonly FlashMessage[] | undefined): SafeHtml {
  if (!flash || flash.length === 0) return html``;
  return html`<div class="flash-list">${flash.map(
    (message) =>
      html`<p class="flash flash-${message.kind}" role="${message.kind === 'error' ? 'alert' : 'status'}">${message.text}</p>`,
  )}</div>`;
}

function header(options: LayoutOptions): SafeHtml {
  const person = options.person;
  const items = NAV.filter((item) => !item.adminOnly || person?.role === 'admin');
  return html`<header class="console-header">
  <div class="console-header-inner">
    <a class="console-brand" href="${CONSOLE_BASE_PATH}/"><span class="console-city">${options.cityName}</span> <span class="console-product">311 staff console</span></a>
    ${
      person
        ? html`<nav class="console-nav" aria-label="Console">
      <ul>${items.map(
        (item) =>
          html`<li><a href="${item.path}"${item.section === options.section ? html` aria-current="page"` : html``}>${item.label}</a></li>`,
      )}</ul>
    </nav>
    <div class="console-person">
      <a href="${CONSOLE_BASE_PATH}/account"${options.section === 'account' ? html` aria-current="page"` : html``}><span class="visually-hidden">Signed in as </span>${person.name}</a>
      <form method="post" action="${CONSOLE_BASE_PATH}/sign-out" class="inline-form">
        ${options.csrfToken ? html`<input type="hidden" name="_csrf" value="${options.csrfToken}">` : html``}
        <button type="submit" class="button-link">Sign out</button>
      </form>
    </div>`
        : html``
    }
  </div>
</header>`;
}

export function renderLayout(options: LayoutOptions): string {
  const title = options.errors && options.errors.length > 0 ? `Error: ${options.title}` : options.title;
  const data = Object.entries(options.data ?? {}).map(([name, value]) => html` data-${name}="${value}"`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} — ${options.cityName} 311 staff console</title>
<link rel="stylesheet" href="/assets/css/base.css">
${(options.styles ?? []).map((name) => html`<link rel="stylesheet" href="${VENDOR_STYLES[name]}">`)}
<link rel="stylesheet" href="/assets/css/console.css">
<link rel="stylesheet" href="/assets/css/console-print.css" media="print">
</head>
<body class="console">
<a class="skip-link" href="#main">Skip to main content</a>
${header(options)}
<main id="main" tabindex="-1"${data}>
${flashList(options.flash)}
${errorSummary(options.errors)}
${options.body}
</main>
<script type="module" src="/assets/js/console.js"></script>
${(options.scripts ?? []).map((name) => html`<script type="module" src="/assets/js/${name}.js"></script>`)}
</body>
</html>`.value;
}

/** Sends a rendered console page: HTML, never cached (pages carry personal data). */
export function sendPage(res: Response, status: number, page: string): void {
  res.status(status).set('Content-Type', 'text/html; charset=utf-8').set('Cache-Control', 'no-store').send(page);
}

// Flash messages survive one redirect (PRG) in a short-lived cookie; the text is escaped when shown.
const FLASH_COOKIE = 'console_flash';

export function setFlash(res: Response, message: FlashMessage): void {
  res.cookie(FLASH_COOKIE, JSON.stringify(message).slice(0, 1500), {
    path: CONSOLE_BASE_PATH,
    httpOnly: true,
    sameSite: 'lax',
    maxAge: 60_000,
  });
}

/** Reads and clears the flash message of the previous redirect. */
export function takeFlash(cookieHeader: string | undefined, res: Response): FlashMessage[] {
  const raw = readCookie(cookieHeader, FLASH_COOKIE);
  if (raw === undefined) return [];
  res.clearCookie(FLASH_COOKIE, { path: CONSOLE_BASE_PATH });
  try {
    const parsed = JSON.parse(raw) as Partial<FlashMessage>;
    const kinds = ['success', 'info', 'warning', 'error'];
    if (typeof parsed.text === 'string' && typeof parsed.kind === 'string' && kinds.includes(parsed.kind))
      return [{ kind: parsed.kind, text: parsed.text.slice(0, 500) }];
  } catch {
    // A mangled cookie is simply no message.
  }
  return [];
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
