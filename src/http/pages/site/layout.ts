// The resident site's page frame: skip link, header with the city's branding and the language switch, main
// navigation, footer with contact. Every visible string comes from the message catalog.
import type { Config } from '../../../config.js';
import { ASSETS_URL_PATH } from '../../../web-assets.js';
import { FEEDS_PATH } from '../../feeds.js';
import { html, type SafeHtml } from '../html.js';
import { LANGUAGES, type Translator } from '../i18n/index.js';

/** What every page of the site is rendered with (built per request by the router). */
export interface SiteView {
  config: Config;
  t: Translator['t'];
  i18n: Translator;
  language: string;
  /** Path of this page, for the language links (GET pages only). */
  path: string;
}

export interface PageOptions {
  title: string;
  main: SafeHtml;
  /** web/js entries (bundled to /assets/js/NAME.js), loaded as modules. */
  scripts?: string[];
  /** The page shows a Leaflet map. */
  map?: boolean;
  /** Which navigation item is the current page. */
  current?: 'report' | 'map' | 'numbers' | 'about';
  /** On a report step: the language buttons submit the step's form (id), so nothing typed is lost. */
  form?: string;
  /** A validation error on the page: "Error: " goes in front of the title (GOV.UK pattern). */
  hasErrors?: boolean;
  /** An Atom feed of this page's own (a request's history), offered besides the city-wide one. */
  feed?: { title: string; path: string };
}

export const SITE_THEME_PATH = '/site/theme.css';

const LANGUAGE_NAMES: Record<string, string> = { en: 'English', es: 'Español' };

// Placed last in the document though shown at the top: on a report step these buttons belong to the step's form,
// and the first submit button of a form in document order is the one Enter presses.
function languageSwitch(view: SiteView, form: string | undefined): SafeHtml {
  const others = LANGUAGES.filter((code) => code !== view.language);
  return html`<nav class="site-languages" aria-label="${view.t('nav.languages')}"><ul>${others.map((code) =>
    form
      ? html`<li><button type="submit" form="${form}" name="switch_language" value="${code}" class="link-button" lang="${code}">${LANGUAGE_NAMES[code] ?? code}</button></li>`
      : html`<li><a href="/language/${code}?next=${encodeURIComponent(view.path)}" lang="${code}" hreflang="${code}">${LANGUAGE_NAMES[code] ?? code}</a></li>`,
  )}</ul></nav>`;
}

export function renderPage(view: SiteView, options: PageOptions): string {
  const { t, config } = view;
  const site = config.site;
  const navigation: Array<[NonNullable<PageOptions['current']>, string, string]> = [
    ['report', '/report', t('nav.report')],
    ['map', '/map', t('nav.map')],
    ['numbers', '/numbers', t('nav.numbers')],
    ['about', '/about', t('nav.about')],
  ];
  const title = `${options.hasErrors ? `${t('error.title_prefix')} ` : ''}${options.title} – ${t('site.name', { city: site.cityName })}`;
  const page = html`<!doctype html>
<html lang="${view.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="${site.logoUrl || 'data:,'}">
<link rel="stylesheet" href="${ASSETS_URL_PATH}/css/base.css">
${options.map ? html`<link rel="stylesheet" href="${ASSETS_URL_PATH}/vendor/leaflet/leaflet.css">` : ''}
<link rel="stylesheet" href="${ASSETS_URL_PATH}/css/site.css">
<link rel="stylesheet" href="${SITE_THEME_PATH}">
<link rel="alternate" type="application/atom+xml" title="${t('site.name', { city: site.cityName })}" href="${FEEDS_PATH}/requests.atom">
${options.feed ? html`<link rel="alternate" type="application/atom+xml" title="${options.feed.title}" href="${options.feed.path}">` : ''}
${(options.scripts ?? []).map((name) => html`<script type="module" src="${ASSETS_URL_PATH}/js/${name}.js"></script>`)}
</head>
<body>
<a class="skip-link" href="#main">${t('nav.skip')}</a>
<header class="site-header">
  <div class="site-header__inner">
    <a class="site-brand" href="/">${site.logoUrl ? html`<img src="${site.logoUrl}" alt="" class="site-brand__logo" width="40" height="40">` : ''}<span>${t('site.name', { city: site.cityName })}</span></a>
  </div>
  <nav class="site-nav" aria-label="${t('nav.main')}"><ul>${navigation.map(
    ([key, href, label]) =>
      html`<li><a href="${href}"${options.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
</header>
<main id="main" class="site-main" tabindex="-1">
${options.main}
</main>
<footer class="site-footer">
  <p>${t('footer.contact', { city: site.cityName })} ${site.contact}</p>
  <p><a href="/about">${t('nav.about')}</a> · <a href="/open311/v2/discovery.json">${t('footer.api')}</a> · <a href="/numbers">${t('nav.numbers')}</a></p>
</footer>
${languageSwitch(view, options.form)}
</body>
</html>`;
  return page.value;
}

/** The brand colours as a stylesheet (the CSP allows no inline styles). */
export function themeStylesheet(config: Config): string {
  const { primaryColour, accentColour } = config.site;
  return `:root{--site-primary:${primaryColour};--site-accent:${accentColour};}\n`;
}
