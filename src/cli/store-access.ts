// How a command-line tool reaches the store without ever being a second writer.
//
// On PostgreSQL (DATABASE_URL) any number of processes may write: tools open the store directly.
// On the embedded store one process owns the data folder (src/store/data-folder-lock.ts):
//   - runOperation(): the work is a named operation of src/domain/store-operations.ts. When a server owns the
//     folder, it runs there, through the server's loopback admin endpoint (src/http/admin-server.ts, address
//     and secret read from the lock file); otherwise this process takes the folder, runs it and lets go.
//     `npm run keys` works this way, so it works whether or not the server runs.
//   - takeSnapshot(): the same for a backup (through the running server, or here).
//   - openStoreExclusively(): for tools that must have the store to themselves (migrate, seed, restore,
//     jurisdictions): takes the folder, or refuses naming the owner's pid and what to do instead.
// A new tool (e.g. one managing staff accounts) adds its operations to store-operations.ts and calls
// runOperation(); nothing else is needed for it to work beside a running server.
import { loadConfig, type Config } from '../config.js';
import { findOperation, type OperationInput, type OperationName, type OperationOutput } from '../domain/store-operations.js';
import { dataFolderInUse, EXIT_CODES, OperatorError } from '../errors.js';
import { readLiveLock, type LockContents } from '../store/data-folder-lock.js';
import { isEmbedded, migrateLatest, openDb, type Db } from '../store/db.js';
import { snapshotEmbeddedStore } from '../store/embedded-snapshot.js';
import { validate, type SchemaId } from '../validate/validate.js';

/** What to do instead while the server runs, for tools that cannot work through it. */
const STAFF_API_ALTERNATIVE = 'Stop the server first, or do this through the staff API (/api/v1, see the README) while it runs.';

export interface OpenedStore {
  config: Config;
  db: Db;
  close(): Promise<void>;
}

/**
 * Opens the configured store for this tool alone (with migrations applied unless `migrate` is false).
 * On the embedded store, refuses while another process owns the data folder.
 */
export async function openStoreExclusively(
  tool: string,
  options: { env?: NodeJS.ProcessEnv; migrate?: boolean; alternative?: string } = {},
): Promise<OpenedStore> {
  const config = loadConfig(options.env ?? process.env);
  const db = openDb({
    databaseUrl: config.databaseUrl,
    dataDirectory: config.dataDirectory,
    holder: tool,
    lockAlternative: options.alternative ?? STAFF_API_ALTERNATIVE,
  });
  try {
    if (options.migrate !== false) await migrateLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { config, db, close: () => db.destroy() };
}

async function callServer(owner: LockContents, path: string, body: unknown): Promise<Response> {
  const admin = owner.admin!;
  let response: Response;
  try {
    response = await fetch(`${admin.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin.secret}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(10 * 60_000),
    });
  } catch (error) {
    throw new OperatorError(
      `The server (pid ${owner.pid}) owns the data folder but its admin endpoint did not answer (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { error?: string; exit_code?: number };
    throw new OperatorError(answer.error ?? `The server answered ${response.status}.`, answer.exit_code ?? EXIT_CODES.failure);
  }
  return response;
}

/** The owner of the folder when it is a server that takes requests from tools (else the in-use refusal). */
function runningServer(config: Config): LockContents | undefined {
  if (config.databaseUrl) return undefined;
  const owner = readLiveLock(config.dataDirectory);
  if (!owner) return undefined;
  if (!owner.admin)
    throw dataFolderInUse(
      config.dataDirectory,
      owner.pid,
      owner.holder === 'server'
        ? 'The server is still starting: try again in a few seconds.'
        : `It is running "${owner.holder}": try again when it has finished.`,
    );
  return owner;
}

/** Runs a named store operation: in the running server when there is one, else in this process. */
export async function runOperation<Name extends OperationName>(
  tool: string,
  name: Name,
  input: OperationInput<Name>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OperationOutput<Name>> {
  const config = loadConfig(env);
  const operation = findOperation(name)!;
  for (let attempt = 0; ; attempt++) {
    const server = runningServer(config);
    if (server) {
      const answer = (await (await callServer(server, `/operations/${name}`, input)).json()) as { result: OperationOutput<Name> };
      return answer.result;
    }
    let store: OpenedStore;
    try {
      store = await openStoreExclusively(tool, { env });
    } catch (error) {
      // A server took the folder between the look and the open: go through it.
      if (attempt === 0 && error instanceof OperatorError && error.exitCode === EXIT_CODES.dataFolderInUse) continue;
      throw error;
    }
    try {
      const checked = validate(operation.input as SchemaId, input);
      return (await operation.run({ db: store.db, config, changed: () => {} }, checked)) as OperationOutput<Name>;
    } finally {
      await store.close();
    }
  }
}

/** A consistent snapshot of the embedded store (embedded-snapshot.ts), through the running server if any. */
export async function takeSnapshot(tool: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  const config = loadConfig(env);
  if (config.databaseUrl)
    throw new OperatorError(
      'DATABASE_URL is set: back up PostgreSQL with pg_dump (and WAL archiving for point-in-time recovery); see the README, "Backups".',
      EXIT_CODES.usage,
    );
  const server = runningServer(config);
  if (server) return Buffer.from(await (await callServer(server, '/snapshot', {})).arrayBuffer());
  const store = await openStoreExclusively(tool, { env, migrate: false });
  try {
    if (!isEmbedded(store.db)) throw new Error('not the embedded store');
    return await snapshotEmbeddedStore(store.db);
  } finally {
    await store.close();
  }
}
