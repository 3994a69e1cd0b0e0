// Structured JSON logs (pino), one object per line. The rest of the code sees only this small interface.
// Secrets never reach a line: every message and field goes through scrub() first, which blanks fields with
// secret names (api_key, authorization, token, secret…) and the values of key-like query parameters
// (?api_key=, &token=, &access_token=…) and Bearer/Basic credentials inside any text (URLs, error messages,
// stacks), whoever logs them.
import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const REDACTED = '[REDACTED]';

/** Field names whose values are secrets, whatever they hold. */
const SECRET_FIELD =
  /^(x[-_])?(api[-_]?key|apikey|key|token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth|authorization|proxy[-_]authorization|password|passwd|secret|client[-_]?secret|session([-_]?id)?|cookie|set[-_]cookie)$/i;

/** A query or form parameter (its name bounded, so the scan stays linear on hostile text). */
const PARAMETER = /([?&;])([^=&#;\s"'<>]{1,200})=([^&#;\s"'<>]*)/g;
/** A parameter name that says it holds a credential: api_key, apikey, key, token, access_token, signature… */
const SECRET_NAME = /key|token|secret|passw|pwd|auth|session|sig|credential/i;

/** Credentials of an Authorization header written into text. */
const CREDENTIALS = /\b(Bearer|Basic|Token)(?:\s+(?:Bearer|Basic|Token)\b)*\s+[\w.~+/=-]+/gi;

/** `text` with the values of key-like parameters and header credentials replaced by [REDACTED]. */
function scrubText(text: string): string {
  return text
    .replace(PARAMETER, (whole, separator: string, name: string, value: string) =>
      value !== '' && SECRET_NAME.test(name) ? `${separator}${name}=${REDACTED}` : whole,
    )
    .replace(CREDENTIALS, `$1 ${REDACTED}`);
}

/**
 * Path segments that are secrets by themselves: the token of a one-time sign-in link and of a notification
 * link (confirm, unsubscribe, "not fixed?"), as in the URL of a failed request. Blanked in fields only: the
 * message of the first start carries the first admin's link on purpose (src/main.ts).
 */
const SECRET_PATH = /(\/staff\/sign-in\/link\/|\/notifications\/(?:confirm|unsubscribe|not-fixed)\/)[A-Za-z0-9_-]{20,}/g;

/** A copy of a log field with every secret blanked (bounded depth: a log line is not a data dump). */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value).replace(SECRET_PATH, `$1${REDACTED}`);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return '[…]';
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) {
    return scrub({ name: value.name, message: value.message, stack: value.stack }, depth + 1);
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const [name, item] of Object.entries(value)) out[name] = SECRET_FIELD.test(name) ? REDACTED : scrub(item, depth + 1);
  return out;
}

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const base = pino(
    {
      level,
      base: { service: 'open311-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination as never,
  );
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (!base.isLevelEnabled(method)) return;
      base[method]({ ...(scrub(fields ?? {}) as Record<string, unknown>) }, scrubText(message));
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
