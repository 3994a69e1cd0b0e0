// The one error type. Every expected failure is an Open311Error; src/http/error-handler.ts turns it into
// the Open311 errors document (<errors><error><code/><description/></error></errors> or [{code, description}]).
import { ConfigError } from './config.js';

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

/** 409: the change collides with what is stored (every problem in one answer). */
export const conflict = (...descriptions: string[]): Open311Error => new Open311Error(409, descriptions);

/** 412: the If-Match (or version) the client sent is not the stored one; `headers` may carry the current ETag. */
export const preconditionFailed = (description: string, headers: Record<string, string> = {}): Open311Error =>
  new Open311Error(412, [description], headers);

/** 412 for a change made on a version of a request that is no longer the stored one. */
export const changedSinceRead = (id: string, currentVersion: number, etag: string): Open311Error =>
  preconditionFailed(
    `Request ${id} was changed by someone else (it is now at version ${currentVersion}); reload it and apply your change again.`,
    { ETag: etag },
  );

/** 428: a change that must name the version it was made on did not. */
export const preconditionRequired = (description: string): Open311Error => new Open311Error(428, [description]);

/** 422: well-formed, but cannot be done (e.g. an Idempotency-Key reused for another body). */
export const unprocessable = (description: string): Open311Error => new Open311Error(422, [description]);

export const tooManyRequests = (description: string, retryAfterSeconds: number): Open311Error =>
  new Open311Error(429, [description], { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/** A POST rate limit (per API key or per client address) ran out. */
export const rateLimited = (retryAfterSeconds: number, who: string): Open311Error =>
  tooManyRequests(`Too many requests from this ${who}; retry in ${retryAfterSeconds} seconds.`, retryAfterSeconds);

/** 503 the client may retry: the database is down or overloaded, uploads are saturated, an answer took too long. */
export const serviceUnavailable = (
  description = 'The service is temporarily unavailable; please retry shortly.',
  retryAfterSeconds = 5,
): Open311Error => new Open311Error(503, [description], { 'Retry-After': String(retryAfterSeconds) });

/** After a second stale attempt in a row at a create (the catalog is being edited right now). */
export const intakeBusy = (): Open311Error =>
  serviceUnavailable('The service catalog is being changed; please retry in a moment.', 1);

/** A 4xx raised by Express or Node while reading the request, or by the HTTP parser (414, 431, 408, 400). */
export const clientError = (status: number, description: string): Open311Error => new Open311Error(status, [description]);

/** A staff API call with a key that is unknown or revoked. */
export const staffKeyNotValid = (): Open311Error =>
  unauthorized('The key is not valid.', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

/** A staff API call without a key or a signed-in session. */
export const staffKeyRequired = (): Open311Error =>
  unauthorized('This API needs a staff key: send Authorization: Bearer <key>.', { 'WWW-Authenticate': 'Bearer' });

/** A key or account whose role is below what the operation needs. */
export const roleRequired = (role: 'staff' | 'admin', kind: 'key' | 'person', actual: string): Open311Error => {
  const what = kind === 'key' ? 'key' : 'account';
  return forbidden(`This operation needs a${role === 'admin' ? 'n admin' : ' staff'} ${what}; this ${what}'s role is ${actual}.`);
};

/** The console without a signed-in person. */
export const signInRequired = (): Open311Error => unauthorized('Sign in to use the staff console.');

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

// Errors an operator must act on (start-up, command-line tools): printed as one line without a stack, and
// the process exits with the code (README "Command-line tools" lists them).
export const EXIT_CODES = Object.freeze({
  failure: 1,
  usage: 2,
  portInUse: 3,
  dataFolderInUse: 4,
  storeMismatch: 5,
});

export class OperatorError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_CODES.failure) {
    super(message);
    this.name = 'OperatorError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string): OperatorError => new OperatorError(message, EXIT_CODES.usage);

export const portInUse = (host: string, port: number): OperatorError =>
  new OperatorError(
    `Port ${port} on ${host} is already in use (is another server running?): stop it or set PORT to a free port.`,
    EXIT_CODES.portInUse,
  );

export const dataFolderInUse = (dataDirectory: string, pid: number, alternative: string): OperatorError =>
  new OperatorError(
    `The data folder ${dataDirectory} is in use by another process (pid ${pid}); only one process may write to it. ${alternative}`,
    EXIT_CODES.dataFolderInUse,
  );

export const jurisdictionMismatch = (configured: string, stored: string[]): OperatorError =>
  new OperatorError(
    `OPEN311_JURISDICTION_ID is ${configured}, but this store holds ${stored.length === 1 ? 'the jurisdiction' : 'the jurisdictions'} ` +
      `${stored.join(', ')}; going on would add a second one and make jurisdiction_id required on every call. ` +
      `Set OPEN311_JURISDICTION_ID=${stored[0]}, or rename the stored one with the server stopped: ` +
      `npm run jurisdictions -- rename ${stored[0]} ${configured} (or add it deliberately: npm run jurisdictions -- add ${configured}).`,
    EXIT_CODES.storeMismatch,
  );

/** The message of a failure, as one line (or a few): no stack, no duplicate. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof OperatorError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: `Configuration error: ${error.message}`, exitCode: EXIT_CODES.usage };
  if (error instanceof Open311Error) return { message: error.message, exitCode: EXIT_CODES.usage };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      return { message: error.message, exitCode: EXIT_CODES.usage };
    return {
      message: `${error.message}${typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`,
      exitCode: 1,
    };
  }
  return { message: String(error), exitCode: 1 };
}
