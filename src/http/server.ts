// The HTTP server around the app: Node's limits for slow clients and for the size of a request's head, and the
// answers Node would otherwise write itself with an empty body (431, 408, 400) as Open311 errors documents —
// JSON when the path ends in .json (or .geojson, or is under the staff API), else XML, as for every other error.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, clientError, type Open311Error } from '../errors.js';
import { errorDocument } from './error-handler.js';
import { splitFormat } from './format.js';

/** The request line and headers together, in bytes (Node's default, stated so the README can promise it). */
const MAX_HEAD_BYTES = 16 * 1024;

/** A server for `app` with the limits and client-error answers above; main.ts and tests listen on it. */
export function createHttpServer(app: http.RequestListener): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEAD_BYTES }, app);
  // Slow clients: headers must arrive within 15 s and the whole request within 60 s (408).
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.on('clientError', answerClientError);
  return server;
}

/** The format to answer in, read from the start of the request as it arrived (when it holds the request line). */
function formatOfRaw(raw: string): 'json' | 'xml' {
  const target = /^[A-Z]{1,20} (\/[^\s?#]*)/.exec(raw)?.[1];
  if (target === undefined) return 'xml';
  if (target === '/api' || target.startsWith('/api/')) return 'json';
  const { extension } = splitFormat(target);
  return extension === 'json' || extension === 'geojson' ? 'json' : 'xml';
}

function clientErrorOf(error: NodeJS.ErrnoException, raw: string, lineComplete: boolean): Open311Error {
  const limit = `${MAX_HEAD_BYTES / 1024} KiB`;
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      // The request line alone is past the limit: the URL is what is too long.
      return /^[A-Z]{1,20} \//.test(raw) && !lineComplete
        ? clientError(414, `The request URL is too long: the request line and headers may hold at most ${limit}.`)
        : clientError(431, `The request headers are too large: the request line and headers may hold at most ${limit}.`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return clientError(
        408,
        'The request did not arrive in time: send the headers within 15 s and the whole request within 60 s.',
      );
    default:
      return badRequest('The request could not be read: it is not well-formed HTTP/1.1.');
  }
}

/**
 * Node's own answer to a request it cannot parse, with an errors body. As Node does, nothing is written when a
 * response on this connection has already started (that would corrupt it); the connection is closed after.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const packet = error.rawPacket ?? Buffer.alloc(0);
  const raw = packet.subarray(0, 4096).toString('latin1');
  const problem = clientErrorOf(error, raw, packet.includes('\r\n'));
  const { contentType, body } = errorDocument(problem, formatOfRaw(raw));
  socket.end(
    `HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\nX-Content-Type-Options: nosniff\r\n' +
      `Connection: close\r\n\r\n${body}`,
  );
  // Whatever the client still sends is not read; the connection goes once the answer is out (or soon anyway).
  setTimeout(() => socket.destroy(), 2000).unref();
}
