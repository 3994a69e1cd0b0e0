// The running server's admin endpoint for its own command-line tools (src/cli/store-access.ts): while the
// server owns an embedded data folder no other process may open it, so `npm run keys` and `npm run backup`
// do their work here. It listens on 127.0.0.1 only, on a port the system picks, and answers only a caller
// that presents the secret this server wrote into its lock file (mode 0600, in the data folder): whoever can
// read that file can read the store itself anyway. It never listens on the public port.
//
//   POST /operations/NAME   JSON input → 200 {"result": …}; a failure → {"error": "…", "exit_code": N}
//   POST /snapshot          → 200 application/gzip: a consistent snapshot of the store (embedded-snapshot.ts)
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { findOperation } from '../domain/store-operations.js';
import { EXIT_CODES, Open311Error, OperatorError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AdminEndpoint } from '../store/data-folder-lock.js';
import type { Db } from '../store/db.js';
import { snapshotEmbeddedStore } from '../store/embedded-snapshot.js';
import { validate, type SchemaId } from '../validate/validate.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface AdminServer {
  endpoint: AdminEndpoint;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new OperatorError('The input is too large.', EXIT_CODES.usage));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}

export async function startAdminServer(options: {
  db: Db;
  config: Config;
  logger: Logger;
  /** Called after an operation changed what this server's caches remember. */
  changed: () => void;
}): Promise<AdminServer> {
  const { db, config, logger, changed } = options;
  const secret = randomBytes(32).toString('base64url');
  const expected = digest(`Bearer ${secret}`);

  const server = http.createServer((req, res) => {
    void (async () => {
      if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
        sendJson(res, 401, { error: 'Not authorised.', exit_code: EXIT_CODES.failure });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/snapshot') {
        const snapshot = await snapshotEmbeddedStore(db);
        logger.info('admin endpoint: snapshot taken', { bytes: snapshot.length });
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': snapshot.length }).end(snapshot);
        return;
      }
      const match = /^\/operations\/([a-z.-]{1,64})$/.exec(url.pathname);
      const operation = match && req.method === 'POST' ? findOperation(match[1]!) : undefined;
      if (!operation) {
        sendJson(res, 404, { error: `Unknown admin request ${req.method} ${url.pathname}.`, exit_code: EXIT_CODES.usage });
        return;
      }
      let input: unknown;
      try {
        input = JSON.parse((await readBody(req)) || '{}');
      } catch (error) {
        throw error instanceof OperatorError ? error : new OperatorError('The input is not JSON.', EXIT_CODES.usage);
      }
      const result = await operation.run({ db, config, changed }, validate(operation.input as SchemaId, input));
      logger.info('admin endpoint: operation done', { operation: match![1] });
      sendJson(res, 200, { result });
    })().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof OperatorError) sendJson(res, 400, { error: error.message, exit_code: error.exitCode });
      else if (error instanceof Open311Error)
        sendJson(res, error.status, {
          error: error.errors.map((item) => item.description).join(' '),
          exit_code: EXIT_CODES.usage,
        });
      else {
        logger.error('admin endpoint: failed', { error: error instanceof Error ? error.message : String(error) });
        sendJson(res, 500, {
          error: `The server failed: ${error instanceof Error ? error.message : String(error)}`,
          exit_code: 1,
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: { url: `http://127.0.0.1:${port}`, secret },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
