// Shared by the hardening tests: a raw HTTP client (exact bytes on the wire, no client-side URL
// normalisation), the checks every answer must pass (no 5xx, Open311 errors body in the request's format,
// well-formed XML without forbidden characters, nothing leaked), and a few wire encoders.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Express } from 'express';
import { parseStringPromise } from 'xml2js';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
  text: string;
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Serves `app` on an ephemeral local port. */
export async function listen(app: Express | http.RequestListener): Promise<Listening> {
  const server = http.createServer(app as http.RequestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawRequest {
  method?: string;
  /** Sent as is: it must only hold characters U+0021–U+00FF (the caller percent-encodes the rest). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

// One connection per request: a request that goes wrong cannot leave a half-read body on a kept-alive
// socket for the next one to trip over (which would make fast-check blame the wrong input).
const agent = new http.Agent({ keepAlive: false, maxSockets: 16 });

export function rawRequest(port: number, request: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const body =
      request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    const call = http.request(
      { host: '127.0.0.1', port, method: request.method ?? 'GET', path: request.path, headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes, text: bytes.toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

// ---- wire encoders ------------------------------------------------------------------------------------

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as any UTF-8 encoder does). */
export function encodeUtf8(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-encodes raw bytes (not necessarily UTF-8: broken sequences on purpose). */
export const encodeBytes = (bytes: Uint8Array): string =>
  [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/**
 * Keeps printable ASCII as is (so "%zz", "%", "+" and friends reach the server raw) except the characters in
 * `structural`; everything else is percent-encoded as UTF-8.
 */
export function encodeRaw(text: string, structural = '&#= '): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += code >= 0x21 && code <= 0x7e && !structural.includes(char) ? char : encodeUtf8(char);
  }
  return out;
}

// ---- checks -------------------------------------------------------------------------------------------

/** Characters XML 1.0 forbids (digest §1.4); lone surrogates cannot survive UTF-8 decoding, see below. */
export const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** A UTF-8-encoded surrogate (ED A0..BF xx) in the raw bytes: an unpaired surrogate the server wrote. */
export const hasEncodedSurrogate = (bytes: Buffer): boolean => /\xED[\xA0-\xBF]/.test(bytes.toString('latin1'));

/** The format the server answers errors in for this path: the last segment's last-dot extension. */
export function errorFormatOfPath(path: string): 'json' | 'xml' {
  const bare = path.split('?')[0]!;
  const segment = bare.slice(bare.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  if (dot <= 0) return 'xml';
  const extension = segment.slice(dot + 1).toLowerCase();
  return extension === 'json' || extension === 'geojson' ? 'json' : 'xml';
}

/** Parses XML strictly and checks it carries no character XML forbids. Returns the xml2js tree. */
export async function checkXml(answer: RawAnswer, context: string): Promise<Record<string, unknown>> {
  expect(XML_FORBIDDEN.test(answer.text), `${context}: XML holds a forbidden character`).to.equal(false);
  expect(hasEncodedSurrogate(answer.bytes), `${context}: XML holds an encoded surrogate`).to.equal(false);
  try {
    return (await parseStringPromise(answer.text, { strict: true })) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `${context}: XML is not well-formed (${(error as Error).message.split('\n')[0]}): ${answer.text.slice(0, 300)}`,
    );
  }
}

/** The answer is an Open311 errors document in `format`: code numeric, description non-empty. */
export async function checkErrorsBody(
  answer: RawAnswer,
  format: 'json' | 'xml',
  context: string,
): Promise<Array<{ code: number; description: string }>> {
  const type = String(answer.headers['content-type'] ?? '');
  if (format === 'xml') {
    expect(type, `${context}: content type`).to.match(/^text\/xml/);
    const tree = await checkXml(answer, context);
    expect(Object.keys(tree), `${context}: root element`).to.deep.equal(['errors']);
    const errors = tree.errors as { error?: Array<{ code?: string[]; description?: string[] }> } | string;
    const items = typeof errors === 'object' && errors.error ? errors.error : [];
    expect(items.length, `${context}: <errors> holds no <error>`).to.be.greaterThan(0);
    return items.map((item) => {
      const code = item.code?.[0];
      const description = item.description?.[0];
      expect(code, `${context}: <code>`).to.match(/^\d+$/);
      expect(description, `${context}: <description>`).to.be.a('string').and.not.equal('');
      return { code: Number(code), description: description! };
    });
  }
  expect(type, `${context}: content type`).to.match(/^application\/json/);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    throw new Error(`${context}: the JSON errors body does not parse: ${answer.text.slice(0, 300)}`);
  }
  expect(parsed, `${context}: errors array`).to.be.an('array').that.is.not.empty;
  for (const item of parsed as Array<Record<string, unknown>>) {
    expect(item.code, `${context}: code`).to.be.a('number');
    expect(item.description, `${context}: description`).to.be.a('string').and.not.equal('');
  }
  return parsed as Array<{ code: number; description: string }>;
}

const STACK_FRAME = /\bat [\w$.<>[\] ]+ \([^)]*:\d+|\bat (file|node):|\n\s+at \S+/;

/**
 * Nothing internal reaches the client: no stack frame, source path, SQL, driver name or API key. A marker
 * the request itself carried (an injection string echoed in "service_code X was not found") is not a leak;
 * `data` answers (lists of stored requests, which hold what earlier clients wrote) are only checked for
 * what no client can have written: stack frames, the server's paths and the key.
 */
export function checkNoLeak(answer: RawAnswer, options: { sent: string; apiKey: string; data?: boolean; context: string }): void {
  const text = answer.text;
  const sent = options.sent.toLowerCase();
  expect(text.includes(options.apiKey), `${options.context}: the API key is in the response`).to.equal(false);
  expect(
    STACK_FRAME.test(text) && !STACK_FRAME.test(options.sent),
    `${options.context}: a stack frame is in the response: ${text.slice(0, 300)}`,
  ).to.equal(false);
  const markers = options.data ? ['/work/', 'node_modules'] : ['/work/', 'node_modules', 'select ', 'insert ', 'knex', 'pg_'];
  const lower = text.toLowerCase();
  for (const marker of markers) {
    if (lower.includes(marker) && !sent.includes(marker))
      throw new Error(`${options.context}: "${marker}" is in the response: ${text.slice(0, 400)}`);
  }
}

/** Every way the server may have decoded what was sent: raw, percent-decoded, "+" as space. */
export function sentForms(...parts: Array<string | Buffer | undefined>): string {
  const forms: string[] = [];
  for (const part of parts) {
    if (part === undefined) continue;
    const text = Buffer.isBuffer(part) ? part.toString('utf8') : part;
    forms.push(text);
    forms.push(text.replace(/\+/g, ' '));
    forms.push(text.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))));
    try {
      forms.push(decodeURIComponent(text.replace(/\+/g, ' ')));
    } catch {
      // broken on purpose
    }
    try {
      forms.push(
        Buffer.from(
          text.replace(/\+/g, ' ').replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
      );
    } catch {
      // ignore
    }
  }
  return forms.join('\n');
}

/**
 * The property every answer satisfies: never a 5xx; a 4xx is an Open311 errors document in the request's
 * format; XML is well-formed and clean; JSON parses; nothing leaks.
 */
export async function checkAnswer(
  answer: RawAnswer,
  options: { path: string; sent: string; apiKey: string; context: string; errorFormat?: 'json' | 'xml' },
): Promise<void> {
  const context = `${options.context} → ${answer.status} ${answer.text.slice(0, 200)}`;
  expect(answer.status, context).to.be.below(500);
  expect(answer.status, context).to.be.at.least(200);
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.status >= 400) {
    await checkErrorsBody(answer, options.errorFormat ?? errorFormatOfPath(options.path), context);
    checkNoLeak(answer, { sent: options.sent, apiKey: options.apiKey, context });
    return;
  }
  if (type.startsWith('text/xml')) await checkXml(answer, context);
  else if (type.startsWith('application/json') || type.startsWith('application/geo+json')) JSON.parse(answer.text);
  else if (type.startsWith('application/javascript')) {
    const match = /^([A-Za-z_$][\w$.]{0,63})\(([\s\S]*)\);$/.exec(answer.text);
    expect(match, `${context}: JSONP`).to.not.equal(null);
    JSON.parse(match![2]!);
  }
  checkNoLeak(answer, { sent: options.sent, apiKey: options.apiKey, data: true, context });
}

// ---- uncaught exceptions ------------------------------------------------------------------------------

/**
 * Catches exceptions nothing handled (in production they kill the process) while installed, instead of
 * letting mocha blame whichever test runs then. `take()` returns and clears what was caught.
 */
export function captureUncaught(): { take(): Error[]; restore(): void } {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const caught: Error[] = [];
  const listener = (error: Error): void => {
    caught.push(error);
  };
  process.on('uncaughtException', listener);
  return {
    take: () => caught.splice(0, caught.length),
    restore: () => {
      process.removeListener('uncaughtException', listener);
      for (const saved_ of saved) process.on('uncaughtException', saved_);
    },
  };
}

/** Throws when the server process had an uncaught exception (it would have crashed in production). */
export async function expectNoUncaught(capture: { take(): Error[] }, context: string): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const errors = capture.take();
  if (errors.length > 0) {
    throw new Error(
      `${context}: uncaught exception in the server (a production process would exit): ${errors.map((error) => error.stack ?? error.message).join('\n')}`,
    );
  }
}
