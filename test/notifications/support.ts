// A real SMTP server on loopback (the smtp-server package) that keeps what it receives, a small MIME reader
// for nodemailer's messages, and an app with notifications on over the suite's store.
import net from 'node:net';
import type { Express } from 'express';
import { SMTPServer } from 'smtp-server';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { startNotificationDispatcher, type NotificationDispatcher } from '../../src/notifications/dispatcher.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { Config } from '../../src/config.js';
import { ctx, testConfig } from '../helpers/test-server.js';

export interface ReceivedMail {
  /** Envelope recipients. */
  to: string[];
  /** Header names in lower case, values unfolded and decoded. */
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpServer {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** What one address received. */
  to(address: string): ReceivedMail[];
  /** Waits until `predicate` holds for the received list (polls). */
  waitFor(predicate: (received: ReceivedMail[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export const USER = 'mailer';
export const PASSWORD = 'smtp-test-password';

/**
 * A free port of this suite's own range (26000-26999), for servers started later (a child process, an SMTP
 * server that comes back): ephemeral ports may be taken meanwhile by the many other tests of a shared machine.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 26000 + Math.floor(Math.random() * 1000);
    const server = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Starts an SMTP server needing AUTH (user/password above) on 127.0.0.1, on `port` or a free one. `refuse`
 * names recipients it answers 550 for (a server that refuses a message).
 */
export async function startSmtp(port?: number, options: { refuse?: (address: string) => boolean } = {}): Promise<SmtpServer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address)) {
        const error = new Error('Mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({ ...parseMail(raw), to: session.envelope.rcptTo.map((address) => address.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = (server.server.address() as net.AddressInfo).port;
  return {
    port: address,
    url: `smtp://${USER}:${PASSWORD}@127.0.0.1:${address}`,
    received,
    to: (recipient) => received.filter((mail) => mail.to.includes(recipient)),
    async waitFor(predicate, timeoutMs = 10_000, what = 'mail') {
      await waitUntil(() => predicate(received), timeoutMs, what);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const source = text.replace(/=\r?\n/g, '');
  for (let index = 0; index < source.length; index += 1) {
    const character = source[index]!;
    if (character === '=' && /^[0-9A-F]{2}$/i.test(source.slice(index + 1, index + 3))) {
      bytes.push(Number.parseInt(source.slice(index + 1, index + 3), 16));
      index += 2;
    } else bytes.push(...Buffer.from(character, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_match, _charset: string, encoding: string, data: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const index = raw.search(/\r?\n\r?\n/);
  const head = index < 0 ? raw : raw.slice(0, index);
  const body = index < 0 ? '' : raw.slice(index).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Reads a message: headers, and the text/plain and text/html parts (multipart/alternative or single part). */
export function parseMail(raw: string): Omit<ReceivedMail, 'to'> {
  const { headers, body } = splitPart(raw);
  let text = '';
  let html = '';
  const walk = (partHeaders: Map<string, string>, partBody: string): void => {
    const type = partHeaders.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      for (const chunk of partBody.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const part = splitPart(chunk.replace(/^\r?\n/, ''));
        walk(part.headers, part.body);
      }
      return;
    }
    if (/^text\/html/i.test(type)) html = decodeBody(partHeaders, partBody);
    else if (/^text\/plain/i.test(type)) text = decodeBody(partHeaders, partBody);
  };
  walk(headers, body);
  return { headers, subject: headers.get('subject') ?? '', text, html, raw };
}

/** The first URL in a text that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const index = text.indexOf(prefix);
  if (index < 0) throw new Error(`No link starting with ${prefix} in:\n${text}`);
  return /^\S+/.exec(text.slice(index))![0];
}

export interface NotifyApp {
  app: Express;
  config: Config;
  dispatcher: NotificationDispatcher;
  stop(): Promise<void>;
}

/** The app with notifications on (SMTP_URL set) over the suite's store, and its dispatcher. */
export function startNotifyApp(smtpUrl: string, overrides: NodeJS.ProcessEnv = {}): NotifyApp {
  const config = testConfig({
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'City of Lancaster <311@lancasterohio.gov>',
    NOTIFY_POLL_MS: '25',
    NOTIFY_RETRY_BASE_MS: '100',
    NOTIFY_TIMEOUT_MS: '2000',
    NOTIFY_HOURLY_CAP: '1000',
    ...overrides,
  });
  const logger = createLogger('silent');
  const { app, context } = createApp({ config, db: ctx().db, logger });
  const dispatcher = startNotificationDispatcher({ db: ctx().db, logger, config, mailer: createMailer(config) });
  context.events = dispatcher;
  return { app, config, dispatcher, stop: () => dispatcher.stop() };
}
