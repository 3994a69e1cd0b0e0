// Renders a console page with what every page shares: the city name, the signed-in person, the CSRF token for
// the sign-out form and the flash message left by the last redirect.
import type { Request, Response } from 'express';
import type { Open311Error } from '../../../errors.js';
import type { AppContext } from '../../context.js';
import { html } from '../html.js';
import { maybeConsoleUserOf } from './guard.js';
import { type LayoutOptions, renderLayout, sendPage, takeFlash } from './layout.js';

export type PageOptions = Omit<LayoutOptions, 'cityName' | 'person' | 'csrfToken' | 'flash'>;

export function consolePage(context: AppContext, req: Request, res: Response, options: PageOptions): string {
  const user = maybeConsoleUserOf(res);
  return renderLayout({
    ...options,
    cityName: context.config.jurisdictionName,
    person: user ? { name: user.name, role: user.role } : undefined,
    csrfToken: user?.csrf_token,
    flash: takeFlash(req.headers.cookie, res),
  });
}

export function sendConsolePage(context: AppContext, req: Request, res: Response, options: PageOptions, status = 200): void {
  sendPage(res, status, consolePage(context, req, res, options));
}

const ERROR_TITLES: Record<number, string> = {
  400: 'The request could not be used',
  401: 'Sign in to continue',
  403: 'You cannot do that',
  404: 'Page not found',
  405: 'That action is not available here',
  409: 'Someone changed this first',
  412: 'Someone changed this first',
  413: 'That was too large',
  429: 'Too many requests',
  503: 'The service is busy',
};

/** An Open311Error as a console page (set as res.locals.errorPage for everything under /staff/). */
export function renderErrorPage(context: AppContext, req: Request, res: Response, error: Open311Error): string {
  const title = ERROR_TITLES[error.status] ?? (error.status >= 500 ? 'Something went wrong' : 'The request could not be used');
  return consolePage(context, req, res, {
    title,
    section: 'none',
    body: html`<h1>${title}</h1>
${error.errors.map((item) => html`<p>${item.description}</p>`)}
<p><a href="/staff/">Go to the queue</a></p>`,
  });
}
