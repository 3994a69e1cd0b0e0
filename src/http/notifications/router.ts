// Public routes of e-mail notifications (HTML pages, forms that work without JavaScript):
//   POST /requests/{id}/follow              follow a request (double opt-in) → "check your e-mail"
//   GET|POST /notifications/confirm/{t}     the confirmation link: a page with a button, the POST confirms
//   GET|POST /notifications/unsubscribe/{t} one-click unsubscribe (RFC 8058: mail clients POST to it)
//   GET|POST /notifications/not-fixed/{t}   "not fixed?": a public update of the request that staff see
//   GET /alerts/new, POST /alerts           area alerts (radius of a point or a service area, double opt-in)
// GET pages never change anything: mail scanners that open links must not confirm or unsubscribe anyone.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import * as notifications from '../../domain/notifications.js';
import type { Open311Error } from '../../errors.js';
import { languageOf, type Language } from '../../notifications/address.js';
import { ALERTS_PATH, NOTIFICATIONS_PATH } from '../../notifications/links.js';
import type { FormPairs } from '../../validate/coerce.js';
import { pairValue, readFormBody } from '../body.js';
import type { AppContext } from '../context.js';
import { methodNotAllowedHandler } from '../error-handler.js';
import { markMount } from '../observability.js';
import { limitPostsByAddress } from '../rate-limit.js';
import { html } from '../pages/html.js';
import { pageSecurityHeaders } from '../pages/security.js';
import { alertForm, confirmForm, message, notFixedForm, page, unsubscribeForm, wordsOf } from './pages.js';

/** A decimal number from a form field; NaN for anything else (the domain refuses it with a clear message). */
const numberOf = (text: string): number => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN);

/** The page language: the form's locale, else the browser's first choice. */
function languageFor(req: Request, pairs: FormPairs = []): Language {
  return languageOf(
    pairValue(pairs, 'locale') ??
      (typeof req.query.locale === 'string' ? req.query.locale : undefined) ??
      req.headers['accept-language'],
  );
}

export function notificationsRouter(context: AppContext): Router {
  const { db, config } = context;
  // No files; the text still counts in the upload budget (these forms are public).
  const readForm = async (req: Request): Promise<FormPairs> =>
    (await readFormBody(req, { maxFileBytes: 0, maxFiles: 0, budget: context.uploadBudget })).pairs;
  const enabled = config.smtpUrl !== undefined;
  const city = config.jurisdictionName;
  const router = express.Router();
  router.use(markMount);
  // These are pages: their errors are HTML pages too (rendered by the app's error handler).
  router.use(
    ['/requests/:service_request_id/follow', NOTIFICATIONS_PATH, ALERTS_PATH],
    pageSecurityHeaders([]),
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.errorPage = (error: Open311Error): string => {
        const language = languageFor(req);
        const words = wordsOf(language);
        return page(language, city, words.errorTitle, html`${error.errors.map((item) => message(item.description))}`);
      };
      next();
    },
  );
  // Subscribing sends e-mail: the same per-address POST limit as reports.
  if (context.addressRateLimiter)
    router.use(['/requests/:service_request_id/follow', ALERTS_PATH], limitPostsByAddress(context.addressRateLimiter));
  const send = (res: Response, language: Language, title: string, body: ReturnType<typeof message>, status = 200): void => {
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page(language, city, title, body));
  };
  const tokenOf = (req: Request): string => String(req.params.token ?? '');
  const linkAction = (req: Request): string => `${req.baseUrl}${req.path}`;

  router.post('/requests/:service_request_id/follow', async (req, res) => {
    const pairs = await readForm(req);
    const language = languageFor(req, pairs);
    const jurisdiction = await context.jurisdictions.resolve(pairValue(pairs, 'jurisdiction_id'));
    await notifications.followRequest(
      db,
      jurisdiction,
      { service_request_id: String(req.params.service_request_id), email: pairValue(pairs, 'email') ?? '', language },
      enabled,
    );
    context.events?.poke();
    const words = wordsOf(language);
    send(res, language, words.checkTitle, message(words.checkBody));
  });

  router.get(`${ALERTS_PATH}/new`, (req, res) => {
    const language = languageFor(req);
    const words = wordsOf(language);
    send(res, language, words.alertTitle, alertForm(words, ALERTS_PATH, language));
  });

  router.post(ALERTS_PATH, async (req, res) => {
    const pairs = await readForm(req);
    const language = languageFor(req, pairs);
    const jurisdiction = await context.jurisdictions.resolve(pairValue(pairs, 'jurisdiction_id'));
    const field = (name: string): string | undefined => pairValue(pairs, name);
    const [frequency, lat, long, radius, serviceArea] = ['frequency', 'lat', 'long', 'radius', 'service_area'].map(field);
    await notifications.createAreaAlert(
      db,
      jurisdiction,
      {
        email: field('email') ?? '',
        language,
        ...(frequency !== undefined ? { frequency: frequency as 'immediate' | 'daily' } : {}),
        ...(lat !== undefined ? { lat: numberOf(lat) } : {}),
        ...(long !== undefined ? { long: numberOf(long) } : {}),
        ...(radius !== undefined ? { radius_meters: numberOf(radius) } : {}),
        ...(serviceArea !== undefined ? { service_area: serviceArea } : {}),
      },
      enabled,
    );
    context.events?.poke();
    const words = wordsOf(language);
    send(res, language, words.checkTitle, message(words.checkBody));
  });

  router.get(`${NOTIFICATIONS_PATH}/confirm/:token`, async (req, res) => {
    const subscription = await notifications.subscriptionForLink(db, tokenOf(req));
    const words = wordsOf(languageOf(subscription.language));
    send(res, languageOf(subscription.language), words.confirmTitle, confirmForm(words, linkAction(req)));
  });
  router.post(`${NOTIFICATIONS_PATH}/confirm/:token`, async (req, res) => {
    const subscription = await notifications.confirmSubscription(db, tokenOf(req));
    const language = languageOf(subscription.language);
    const words = wordsOf(language);
    send(res, language, words.confirmedTitle, message(words.confirmedBody));
  });

  router.get(`${NOTIFICATIONS_PATH}/unsubscribe/:token`, async (req, res) => {
    const subscription = await notifications.subscriptionForLink(db, tokenOf(req));
    const language = languageOf(subscription.language);
    const words = wordsOf(language);
    send(res, language, words.unsubscribeTitle, unsubscribeForm(words, linkAction(req)));
  });
  // RFC 8058: the body is "List-Unsubscribe=One-Click"; the token in the URL is what counts.
  router.post(`${NOTIFICATIONS_PATH}/unsubscribe/:token`, async (req, res) => {
    await readForm(req);
    const subscription = await notifications.unsubscribe(db, tokenOf(req));
    const language = languageOf(subscription.language);
    const words = wordsOf(language);
    send(res, language, words.unsubscribedTitle, message(words.unsubscribeBody));
  });

  router.get(`${NOTIFICATIONS_PATH}/not-fixed/:token`, async (req, res) => {
    const subscription = await notifications.subscriptionForLink(db, tokenOf(req));
    const language = languageOf(subscription.language);
    const words = wordsOf(language);
    send(res, language, words.notFixedTitle, notFixedForm(words, linkAction(req), subscription.service_request_id ?? ''));
  });
  router.post(`${NOTIFICATIONS_PATH}/not-fixed/:token`, async (req, res) => {
    const pairs = await readForm(req);
    const subscription = await notifications.replyNotFixed(db, tokenOf(req), pairValue(pairs, 'description'));
    const language = languageOf(subscription.language);
    const words = wordsOf(language);
    send(res, language, words.thanksTitle, message(words.thanksBody));
  });

  router.all('/requests/:service_request_id/follow', methodNotAllowedHandler(['POST']));
  router.all(`${ALERTS_PATH}/new`, methodNotAllowedHandler(['GET', 'HEAD']));
  router.all(ALERTS_PATH, methodNotAllowedHandler(['POST']));
  for (const name of ['confirm', 'unsubscribe', 'not-fixed']) {
    router.all(`${NOTIFICATIONS_PATH}/${name}/:token`, methodNotAllowedHandler(['GET', 'HEAD', 'POST']));
  }

  return router;
}
