// The staff sign-in and account pages (server-rendered, forms that work without JavaScript):
//   GET/POST /staff/sign-in                      e-mail + password; then, with two-factor on, the code step
//   GET/POST /staff/sign-in/verify               TOTP code or a recovery code
//   GET/POST /staff/sign-in/link/:token          one-time link: GET only shows a button (mail scanners fetch
//                                                links), the POST uses the link up and signs in
//   GET /staff/sign-in/oidc, /oidc/callback      single sign-on (when OIDC_ISSUER is set)
//   POST /staff/sign-out                         this session
//   GET /staff/account (+ POSTs below it)        password, two-factor (QR code), recovery codes,
//                                                sign out everywhere
// A new session id is issued at every sign-in (and after the second factor): no session fixation.
import express, { type Request, type Response, type Router } from 'express';
import QRCode from 'qrcode';
import * as accounts from '../../../domain/staff-accounts.js';
import { csrfTokenOf, endAllSessions, endSession, startSession, type ActiveSession } from '../../../domain/sessions.js';
import { forbidden, linkNotUsable, Open311Error } from '../../../errors.js';
import type { SessionMethod } from '../../../store/sessions-store.js';
import type { AppContext } from '../../context.js';
import {
  clearSessionCookie,
  forgetSession,
  readCookie,
  sameOrigin,
  sessionOf,
  setSessionCookie,
  checkCsrf,
  isSecureSite,
} from '../../session.js';
import { html, type SafeHtml } from '../html.js';
import { pageSecurityHeaders } from '../security.js';
import { renderLayout } from './layout.js';
import { OIDC_CALLBACK_PATH, OIDC_START_PATH, OIDC_STATE_COOKIE, SingleSignOn } from './oidc.js';
import { ACCOUNT_PATH, SIGN_IN_PATH, csrfField, formBody, requireStaffPage, safeNext } from './session-middleware.js';

const VERIFY_PATH = `${SIGN_IN_PATH}/verify`;

/** The router is mounted at /staff: route paths drop that prefix. */
export const STAFF_PAGES_BASE_PATH = '/staff';
const local = (path: string): string => path.slice(STAFF_PAGES_BASE_PATH.length);

/** Every page of this file renders through the console's layout (header, skip link, main landmark). */
function pageHtml(
  context: AppContext,
  _res: Response,
  title: string,
  body: SafeHtml,
  options: { signedIn?: ActiveSession | undefined } = {},
): string {
  const session = options.signedIn;
  return renderLayout({
    title,
    cityName: context.config.jurisdictionName,
    section: session ? 'account' : 'none',
    body,
    person: session ? { name: session.account.display_name, role: session.account.role } : undefined,
    csrfToken: session ? csrfTokenOf(session.id) : undefined,
  });
}

const errorBox = (message: string | undefined): SafeHtml | string =>
  message ? html`<div role="alert"><p>${message}</p></div>` : '';

/** Errors of these pages as a page (the error handler renders it; see res.locals.errorPage). */
function errorPageHtml(context: AppContext, res: Response, error: Open311Error): string {
  const message = error.errors.map((item) => item.description).join(' ');
  const title = error.status === 404 ? 'Not found' : error.status === 403 ? 'Not allowed' : 'Something went wrong';
  return pageHtml(
    context,
    res,
    title,
    html`<h1>${title}</h1><p>${message}</p><p><a href="${SIGN_IN_PATH}">Go to sign-in</a></p>`,
  );
}

function signInPage(context: AppContext, next: string, options: { error?: string; email?: string } = {}): SafeHtml {
  const sso = context.config.oidc
    ? html`<h2>Single sign-on</h2>
<p><a href="${OIDC_START_PATH}?next=${encodeURIComponent(next)}">Sign in with ${context.config.oidc.providerName}</a></p>`
    : '';
  return html`<h1>Staff sign-in</h1>
${errorBox(options.error)}
<form method="post" action="${SIGN_IN_PATH}">
<input type="hidden" name="next" value="${next}">
<p><label for="email">E-mail address</label><br>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${options.email ?? ''}"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
<p><button type="submit">Sign in</button></p>
</form>
${sso}
<p>No password yet? Ask an administrator for a one-time sign-in link.</p>`;
}

function verifyPage(res: Response, next: string, error?: string): SafeHtml {
  return html`<h1>Two-factor sign-in</h1>
${errorBox(error)}
<form method="post" action="${VERIFY_PATH}">
${csrfField(res)}
<input type="hidden" name="next" value="${next}">
<p><label for="code">Code from your authenticator app, or a recovery code</label><br>
<input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required maxlength="20"></p>
<p><button type="submit">Continue</button></p>
</form>`;
}

const field = (req: Request, name: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export function authPagesRouter(context: AppContext): Router {
  const { db, config } = context;
  const router = express.Router();
  const policy = { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours };
  const singleSignOn = config.oidc ? new SingleSignOn(config.oidc, config.publicUrl) : undefined;
  router.use(pageSecurityHeaders([]));
  router.use((_req, res, next) => {
    res.locals.errorPage = (error: Open311Error) => errorPageHtml(context, res, error);
    next();
  });
  const sendPage = (
    res: Response,
    status: number,
    title: string,
    body: SafeHtml,
    options: { signedIn?: ActiveSession } = {},
  ): void => {
    res
      .status(status)
      .set('Content-Type', 'text/html; charset=utf-8')
      .set('Cache-Control', 'no-store')
      .send(pageHtml(context, res, title, body, options));
  };
  /** Answers with the error page (for refusals that are the page's normal outcome, not a thrown error). */
  const sendErrorPage = (res: Response, error: Open311Error): void => {
    res.set(error.headers);
    res
      .status(error.status)
      .set('Content-Type', 'text/html; charset=utf-8')
      .set('Cache-Control', 'no-store')
      .send(errorPageHtml(context, res, error));
  };

  /** Signs the browser in with a new session id (ending any session it had), then redirects. */
  async function signIn(
    req: Request,
    res: Response,
    account: accounts.StaffAccount,
    method: SessionMethod,
    pending: boolean,
    next: string,
  ): Promise<void> {
    const previous = await sessionOf(context, req, res);
    if (previous) await endSession(db, previous.id);
    const id = await startSession(db, account, method, pending, policy);
    setSessionCookie(res, config, id);
    forgetSession(res);
    res.redirect(303, pending ? `${VERIFY_PATH}?next=${encodeURIComponent(next)}` : next);
  }

  // A sign-in form posted from another site is refused (login CSRF).
  const requireSameOrigin = (req: Request, _res: Response, next: () => void): void => {
    if (!sameOrigin(req, config)) throw forbidden('This form must be sent from this site.');
    next();
  };

  router.get(local(SIGN_IN_PATH), async (req, res) => {
    const next = safeNext(req.query.next);
    const session = await sessionOf(context, req, res);
    if (session && !session.second_factor_pending) {
      res.redirect(303, next);
      return;
    }
    sendPage(res, 200, 'Sign in', signInPage(context, next));
  });

  router.post(local(SIGN_IN_PATH), formBody, requireSameOrigin, async (req, res) => {
    const next = safeNext(field(req, 'next'));
    const email = field(req, 'email').slice(0, 320);
    try {
      const result = await accounts.signInWithPassword(db, {
        email,
        password: field(req, 'password').slice(0, 1024),
        address: req.ip ?? 'unknown',
      });
      await signIn(req, res, result.account, 'password', result.second_factor_pending, next);
    } catch (error) {
      if (!(error instanceof Open311Error) || (error.status !== 401 && error.status !== 429)) throw error;
      res.set(error.headers);
      sendPage(res, error.status, 'Sign in', signInPage(context, next, { error: error.message, email }));
    }
  });

  router.get(local(VERIFY_PATH), async (req, res) => {
    const session = await sessionOf(context, req, res);
    if (!session?.second_factor_pending) {
      res.redirect(303, SIGN_IN_PATH);
      return;
    }
    res.locals.session = session;
    sendPage(res, 200, 'Two-factor sign-in', verifyPage(res, safeNext(req.query.next)));
  });

  router.post(local(VERIFY_PATH), formBody, async (req, res) => {
    const session = await sessionOf(context, req, res);
    if (!session?.second_factor_pending) {
      res.redirect(303, SIGN_IN_PATH);
      return;
    }
    checkCsrf(req, session, config, field(req, '_csrf'));
    res.locals.session = session;
    const next = safeNext(field(req, 'next'));
    try {
      await accounts.verifySecondFactor(db, session.account, {
        code: field(req, 'code').slice(0, 40),
        address: req.ip ?? 'unknown',
      });
    } catch (error) {
      if (!(error instanceof Open311Error) || (error.status !== 401 && error.status !== 429)) throw error;
      res.set(error.headers);
      sendPage(res, error.status, 'Two-factor sign-in', verifyPage(res, next, error.message));
      return;
    }
    await signIn(req, res, session.account, session.method, false, next);
  });

  const linkPath = `${SIGN_IN_PATH}/link/:token`;
  router.get(local(linkPath), async (req, res) => {
    const token = String(req.params.token ?? '');
    if (!(await accounts.signInLinkUsable(db, token))) {
      sendErrorPage(res, linkNotUsable());
      return;
    }
    sendPage(
      res,
      200,
      'Sign in with your link',
      html`<h1>Sign in with your link</h1>
<p>This one-time link signs you in to the 311 staff console. It works once.</p>
<form method="post" action="${SIGN_IN_PATH}/link/${token}">
<p><button type="submit">Sign in</button></p>
</form>`,
    );
  });

  router.post(local(linkPath), formBody, requireSameOrigin, async (req, res) => {
    const account = await accounts.consumeSignInLink(db, String(req.params.token ?? ''));
    const pending = account.two_factor;
    await signIn(req, res, account, 'link', pending, `${ACCOUNT_PATH}?welcome=1`);
  });

  if (singleSignOn) {
    router.get(local(OIDC_START_PATH), async (req, res) => {
      const { url, state } = await singleSignOn.start(db, safeNext(req.query.next));
      res.cookie(OIDC_STATE_COOKIE, state, {
        httpOnly: true,
        sameSite: 'lax',
        secure: isSecureSite(config),
        path: OIDC_CALLBACK_PATH,
        maxAge: 10 * 60_000,
      });
      res.redirect(303, url);
    });

    router.get(local(OIDC_CALLBACK_PATH), async (req, res) => {
      const cookieState = readCookie(req, OIDC_STATE_COOKIE);
      res.clearCookie(OIDC_STATE_COOKIE, { path: OIDC_CALLBACK_PATH });
      const callbackUrl = new URL(req.originalUrl, config.publicUrl);
      let result: Awaited<ReturnType<SingleSignOn['finish']>>;
      try {
        result = await singleSignOn.finish(db, callbackUrl, cookieState);
      } catch (error) {
        context.logger.warn('single sign-on failed', { error: error instanceof Error ? error.message : String(error) });
        result = undefined;
      }
      const account = result
        ? await accounts.accountForSingleSignOn(db, result.claims, {
            allowedDomains: config.oidc!.allowedDomains,
            defaultRole: config.oidc!.defaultRole,
          })
        : undefined;
      if (!account) {
        sendErrorPage(
          res,
          forbidden(
            `Single sign-on did not sign you in: ${result ? 'your verified e-mail address has no active staff account here.' : 'the sign-in could not be completed; start again.'}`,
          ),
        );
        return;
      }
      await signIn(req, res, account, 'oidc', false, result!.next_path);
    });
  }

  router.post(local('/staff/sign-out'), formBody, async (req, res) => {
    const session = await sessionOf(context, req, res);
    if (session) {
      checkCsrf(req, session, config, field(req, '_csrf'));
      await endSession(db, session.id);
    }
    clearSessionCookie(res, config);
    res.redirect(303, SIGN_IN_PATH);
  });

  // ---- the account page ----

  const accountPage = requireStaffPage(context, 'staff');
  /** Just signed in with a link (in the last hour): may set a password without the current one. */
  const fresh = (session: ActiveSession): boolean =>
    session.method === 'link' && Date.now() - session.created_at.getTime() < 3_600_000;

  async function renderAccount(
    req: Request,
    res: Response,
    options: { status?: number; message?: string; error?: string; recoveryCodes?: string[] } = {},
  ): Promise<void> {
    const session = res.locals.session as ActiveSession;
    const account = await accounts.getAccount(db, session.account.id);
    const settings = await accounts.readIdentitySettings(db);
    const issuer = config.jurisdictionName;
    const enrolment = account.two_factor ? undefined : await accounts.pendingTotpEnrolment(db, account, issuer);
    const welcome = req.query.welcome === '1';
    const enrolNeeded = session.needs_two_factor_enrolment;
    const passwordForm = html`<section aria-labelledby="password-heading">
<h2 id="password-heading">Password</h2>
<p>${account.has_password ? 'You have a password.' : 'You have no password yet: set one to sign in without a link.'}</p>
<form method="post" action="${ACCOUNT_PATH}/password">
${csrfField(res)}
${
  account.has_password && !fresh(session)
    ? html`<p><label for="current_password">Current password</label><br>
<input id="current_password" name="current_password" type="password" autocomplete="current-password" required maxlength="1024"></p>`
    : ''
}
<p><label for="new_password">New password (at least 12 characters)</label><br>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="12" maxlength="1024"></p>
<p><button type="submit">${account.has_password ? 'Change password' : 'Set password'}</button></p>
</form>
</section>`;
    let twoFactor: SafeHtml;
    if (account.two_factor) {
      const left = await accounts.unusedRecoveryCodes(db, account);
      twoFactor = html`<p>Two-factor sign-in is on. ${left} unused recovery code${left === 1 ? '' : 's'} left.</p>
<form method="post" action="${ACCOUNT_PATH}/recovery-codes">${csrfField(res)}<p><button type="submit">Make new recovery codes</button></p></form>
${
  accounts.twoFactorRequired(settings, account.role) && account.has_password
    ? html`<p>Two-factor sign-in is required here, so it stays on.</p>`
    : html`<form method="post" action="${ACCOUNT_PATH}/two-factor/disable">${csrfField(res)}
<p><label for="disable_code">Current code or a recovery code</label><br>
<input id="disable_code" name="code" type="text" autocomplete="one-time-code" required maxlength="20"></p>
<p><button type="submit">Turn two-factor sign-in off</button></p></form>`
}`;
    } else if (enrolment) {
      const svg = await QRCode.toString(enrolment.uri, { type: 'svg', margin: 2 });
      const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
      twoFactor = html`<p>Scan this QR code with your authenticator app, or type the key by hand, then enter the code it shows.</p>
<p><img src="${dataUrl}" width="200" height="200" alt="QR code to add this account to an authenticator app"></p>
<p>Key: <code>${enrolment.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<form method="post" action="${ACCOUNT_PATH}/two-factor/confirm">${csrfField(res)}
<p><label for="confirm_code">Code from the app</label><br>
<input id="confirm_code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="8"></p>
<p><button type="submit">Turn two-factor sign-in on</button></p></form>`;
    } else {
      twoFactor = html`<p>Two-factor sign-in is off.${session.method === 'oidc' ? ' Single sign-on uses your provider’s own checks.' : ''}</p>
<form method="post" action="${ACCOUNT_PATH}/two-factor/start">${csrfField(res)}<p><button type="submit">Set up two-factor sign-in</button></p></form>`;
    }
    const codes = options.recoveryCodes
      ? html`<section aria-labelledby="codes-heading"><h2 id="codes-heading">Your recovery codes</h2>
<p>Each works once, instead of a code from the app. Keep them somewhere safe: they are shown only now.</p>
<ul>${options.recoveryCodes.map((code) => html`<li><code>${code}</code></li>`)}</ul></section>`
      : '';
    sendPage(
      res,
      options.status ?? 200,
      'Your account',
      html`<h1>Your account</h1>
${welcome ? html`<p>You are signed in. You can set a password below, so you can sign in without a link next time.</p>` : ''}
${enrolNeeded ? html`<div role="alert"><p>Two-factor sign-in is required: set it up before you continue.</p></div>` : ''}
${options.message ? html`<div role="status"><p>${options.message}</p></div>` : ''}
${errorBox(options.error)}
<dl class="summary-list">
<dt>Name</dt><dd>${account.display_name}</dd>
<dt>E-mail</dt><dd>${account.email}</dd>
<dt>Role</dt><dd>${account.role}</dd>
</dl>
${codes}
${passwordForm}
<section aria-labelledby="two-factor-heading"><h2 id="two-factor-heading">Two-factor sign-in</h2>${twoFactor}</section>
<section aria-labelledby="sessions-heading"><h2 id="sessions-heading">Sessions</h2>
<form method="post" action="${ACCOUNT_PATH}/sign-out-everywhere">${csrfField(res)}
<p><button type="submit">Sign out everywhere</button></p></form></section>`,
      { signedIn: session },
    );
  }

  /** Runs an account change; a refused one re-renders the page with the reason. */
  const accountAction =
    (
      action: (
        req: Request,
        res: Response,
        session: ActiveSession,
      ) => Promise<{ message?: string; recoveryCodes?: string[] } | 'done'>,
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      const session = res.locals.session as ActiveSession;
      try {
        const result = await action(req, res, session);
        if (result === 'done') return;
        // The state changed (two-factor on…): read the session again before rendering.
        forgetSession(res);
        const current = await sessionOf(context, req, res);
        if (current) res.locals.session = current;
        await renderAccount(req, res, result);
      } catch (error) {
        if (!(error instanceof Open311Error) || error.status >= 500 || error.status === 403) throw error;
        res.set(error.headers);
        await renderAccount(req, res, { status: error.status, error: error.message });
      }
    };

  router.get(local(ACCOUNT_PATH), accountPage, async (req, res) => renderAccount(req, res));

  router.post(
    local(`${ACCOUNT_PATH}/password`),
    formBody,
    accountPage,
    accountAction(async (req, _res, session) => {
      const { ended_sessions: ended } = await accounts.setPassword(
        db,
        session.account,
        { current_password: field(req, 'current_password'), new_password: field(req, 'new_password') },
        fresh(session),
        session.id,
      );
      return {
        message:
          ended > 0
            ? `Your password is set. Your ${ended === 1 ? 'other session has' : `${ended} other sessions have`} been signed out.`
            : 'Your password is set.',
      };
    }),
  );

  router.post(
    local(`${ACCOUNT_PATH}/two-factor/start`),
    formBody,
    accountPage,
    accountAction(async (_req, _res, session) => {
      await accounts.beginTotpEnrolment(db, session.account, config.jurisdictionName);
      return {};
    }),
  );

  router.post(
    local(`${ACCOUNT_PATH}/two-factor/confirm`),
    formBody,
    accountPage,
    accountAction(async (req, _res, session) => {
      const codes = await accounts.confirmTotpEnrolment(db, session.account, field(req, 'code'));
      return { message: 'Two-factor sign-in is on.', recoveryCodes: codes };
    }),
  );

  router.post(
    local(`${ACCOUNT_PATH}/two-factor/disable`),
    formBody,
    accountPage,
    accountAction(async (req, _res, session) => {
      const settings = await accounts.readIdentitySettings(db);
      await accounts.disableTotp(
        db,
        session.account,
        { code: field(req, 'code').slice(0, 40), address: req.ip ?? 'unknown' },
        accounts.twoFactorRequired(settings, session.account.role),
      );
      return { message: 'Two-factor sign-in is off.' };
    }),
  );

  router.post(
    local(`${ACCOUNT_PATH}/recovery-codes`),
    formBody,
    accountPage,
    accountAction(async (_req, _res, session) => {
      const codes = await accounts.regenerateRecoveryCodes(db, session.account);
      return { message: 'New recovery codes made; the old ones no longer work.', recoveryCodes: codes };
    }),
  );

  router.post(
    local(`${ACCOUNT_PATH}/sign-out-everywhere`),
    formBody,
    accountPage,
    accountAction(async (_req, res, session) => {
      await endAllSessions(db, session.account.id);
      await accounts.auditOwnChange(db, session.account, 'sign_out_everywhere');
      clearSessionCookie(res, config);
      res.redirect(303, SIGN_IN_PATH);
      return 'done';
    }),
  );

  return router;
}
