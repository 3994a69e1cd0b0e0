// The one error type. Every expected failure is an Open311Error; src/http/error-handler.ts turns it into
// the Open311 errors document (<errors><error><code/><description/></error></errors> or [{code, description}]).

export interface ErrorItem {
  code: number;
  description: string;
}

export class Open311Error extends Error {
  readonly status: number;
  readonly errors: ErrorItem[];
  readonly headers: Record<string, string>;

  constructor(status: number, descriptions: string[], headers: Record<string, string> = {}) {
    super(descriptions.join(' '));
    this.name = 'Open311Error';
    this.status = status;
    this.errors = descriptions.map((description) => ({ code: status, description }));
    this.headers = headers;
  }
}

export const badRequest = (...descriptions: string[]): Open311Error => new Open311Error(400, descriptions);

export const forbidden = (description = 'A valid api_key is required to submit this request.'): Open311Error =>
  new Open311Error(403, [description]);

export const notFound = (description: string): Open311Error => new Open311Error(404, [description]);

export const methodNotAllowed = (method: string, allow: string[]): Open311Error =>
  new Open311Error(405, [`The ${method} method is not allowed here; use ${allow.join(' or ')}.`], {
    Allow: allow.join(', '),
  });

export const payloadTooLarge = (description: string): Open311Error => new Open311Error(413, [description]);

export const unsupportedMediaType = (description: string): Open311Error => new Open311Error(415, [description]);

export const internalError = (): Open311Error =>
  new Open311Error(500, ['An unexpected error occurred. The problem has been logged; please try again later.']);

export const notificationsOff = (): Open311Error =>
  new Open311Error(404, ['E-mail notifications are not offered by this server.']);
export const unauthorized = (description: string, headers: Record<string, string> = {}): Open311Error =>
  new Open311Error(401, [description], headers);

export const conflict = (description: string): Open311Error => new Open311Error(409, [description]);

export const tooManyRequests = (description: string, retryAfterSeconds: number): Open311Error =>
  new Open311Error(429, [description], { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** A cookie-authenticated write without the session's CSRF token, or sent from another site. */
export const csrfRefused = (): Open311Error =>
  new Open311Error(403, [
    'This change was refused: it lacks the CSRF token of your session (X-CSRF-Token header or _csrf form field) or came from another site. Reload the page and try again.',
  ]);

/** Same answer for an unknown e-mail and a wrong password: nothing is revealed about which accounts exist. */
export const signInRefused = (): Open311Error => new Open311Error(401, ['The e-mail address or password is not right.']);

export const signInThrottled = (retryAfterSeconds: number): Open311Error =>
  tooManyRequests(
    `Too many failed sign-ins. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes, or ask an administrator for a sign-in link.`,
    retryAfterSeconds,
  );

export const secondFactorRefused = (): Open311Error =>
  new Open311Error(401, [
    'That code is not right (or was already used). Enter the current code from your app, or a recovery code.',
  ]);

export const linkNotUsable = (): Open311Error =>
  new Open311Error(404, [
    'This sign-in link is not valid: it may have expired (links last 24 hours), been used already, or been mistyped. Ask an administrator for a new one.',
  ]);

export const twoFactorEnrolmentRequired = (): Open311Error =>
  new Open311Error(403, ['Two-factor sign-in is required: set it up at /staff/account before doing anything else.']);
