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
