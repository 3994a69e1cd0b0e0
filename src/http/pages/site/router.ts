// The resident site's URL map, top to bottom. Every page gets the strict CSP, the resident's language and an
// HTML error page; the report flow's steps are plain form POSTs.
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Open311Error } from '../../../errors.js';
import type { AppContext } from '../../context.js';
import { methodNotAllowedHandler } from '../../error-handler.js';
import { refuseNul } from '../../format.js';
import { html } from '../html.js';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_COOKIE, languageFromHeader, translator } from '../i18n/index.js';
import { pageSecurityHeaders } from '../security.js';
import { Geocoder } from './geocoder.js';
import { renderPage, SITE_THEME_PATH, type SiteView, themeStylesheet } from './layout.js';
import { createPages } from './pages.js';
import { PendingPhotos } from './pending-photos.js';
import { createReportFlow } from './report.js';

const SITE_PATH = /^\/(?:$|(?:about|report|requests|map|numbers|language|site)(?:[/.]|$))/;

/** The `lang` cookie, read without a cookie parser (one name, a fixed alphabet). */
function languageCookie(req: Request): string | undefined {
  const match = /(?:^|;\s*)lang=([a-z]{2,3})(?:;|$)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

export function languageOf(req: Request, res: Response): string {
  const chosen = res.locals.language ?? languageCookie(req);
  if (isLanguage(chosen)) return chosen;
  return languageFromHeader(req.headers['accept-language']) ?? DEFAULT_LANGUAGE;
}

/** A local path to go back to after a language switch (never another site). */
const localPath = (value: unknown): string =>
  typeof value === 'string' && /^\/(?![/\\])[^\s]{0,1000}$/.test(value) ? value : '/';

/**
 * `index` is the JSON index of the server: GET / answers it to clients that ask for application/json (API
 * clients keep working), and the site's home page otherwise.
 */
export function siteRouter(context: AppContext, index: () => Record<string, string>): Router {
  const { config } = context;
  const jurisdiction = () => context.jurisdictions.resolve(config.jurisdictionId);
  const geocoder = config.site.geocoderUrl
    ? new Geocoder({ url: config.site.geocoderUrl, userAgent: config.site.geocoderUserAgent, near: config.site.mapCentre })
    : undefined;
  const photos = new PendingPhotos(path.join(config.mediaDirectory, '.pending'));

  const viewOf = (req: Request, res: Response): SiteView => {
    const language = languageOf(req, res);
    const i18n = translator(language);
    return { config, t: i18n.t, i18n, language, path: localPath(req.originalUrl) };
  };
  const report = createReportFlow({ context, geocoder, photos, jurisdiction }, viewOf);
  const pages = createPages({ context, jurisdiction }, viewOf);

  const router = express.Router({ strict: false });
  // Every page: the CSP (with the tile host on pages that show a map, set by the page before it answers).
  router.use((req: Request, res: Response, next: NextFunction) => {
    // Only the site's own paths: everything else (the APIs, /media) keeps its own error documents.
    if (!SITE_PATH.test(req.path)) {
      next('router');
      return;
    }
    res.locals.errorPage = (error: Open311Error): string => {
      const view = viewOf(req, res);
      const key =
        error.status === 404 ? 'not_found' : error.status === 429 ? 'rate' : error.status >= 500 ? 'server' : 'bad_request';
      return renderPage(view, {
        title: view.t(`error.page.${key}.title`),
        main: html`<h1 class="heading-l">${view.t(`error.page.${key}.title`)}</h1><p>${view.t(`error.page.${key}.text`)}</p><p><a href="/">${view.t('error.page.home')}</a></p>`,
      });
    };
    const originalWriteHead = res.writeHead;
    // The CSP is decided when the answer is written, so a page can add its map's tile host first.
    res.writeHead = function writeHead(this: Response, ...args: Parameters<typeof originalWriteHead>) {
      if (!this.headersSent && (this.getHeader('Content-Type') ?? '').toString().startsWith('text/html')) {
        pageSecurityHeaders((res.locals.tileOrigins as string[] | undefined) ?? [])(req, this, () => undefined);
        this.setHeader('Vary', 'Accept, Accept-Language, Cookie');
      }
      return originalWriteHead.apply(this, args);
    } as typeof res.writeHead;
    next();
  });
  router.use(refuseNul);

  const wrap =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction): void => {
      handler(req, res).catch(next);
    };

  router.get(SITE_THEME_PATH, (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(themeStylesheet(config));
  });
  router.get('/language/:code', (req, res) => {
    const code = String(req.params.code);
    if (isLanguage(code)) {
      res.cookie(LANGUAGE_COOKIE, code, { maxAge: 365 * 24 * 3600 * 1000, sameSite: 'lax', path: '/', httpOnly: true });
    }
    res.redirect(303, localPath(req.query.next));
  });
  router.get('/', (req, res, next) => {
    res.vary('Accept');
    // No Accept header at all is a program, not a browser (browsers always send one): it keeps the index.
    if (req.headers.accept === undefined || req.accepts(['text/html', 'application/json']) === 'application/json') {
      res.json(index());
      return;
    }
    pages.home(req, res).catch(next);
  });
  router.get('/about', wrap(pages.about));
  router.get('/report', wrap(report.start));
  router.get('/report/sent', wrap(pages.sent));
  router.get('/report/photo/:id', wrap(report.photo));
  router.post('/report/:step', wrap(report.step));
  router.all('/report/:step', methodNotAllowedHandler(['POST']));
  router.get('/requests', wrap(pages.findById));
  router.get('/requests/:id', wrap(pages.track));
  router.get('/map', wrap(pages.map));
  router.get('/numbers', wrap(pages.numbers));
  router.get('/numbers/:which.csv', wrap(pages.numbersCsv));
  return router;
}
