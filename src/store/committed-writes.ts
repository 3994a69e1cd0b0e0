// Every write this process makes through a Db, told once it is committed: right after the statement outside a
// transaction, after COMMIT inside one (a render started between a write and its COMMIT would otherwise be
// stored as current). What remembers store data (the response cache) listens here, so no write path can forget
// to invalidate it: there is no call to place. Only writes through knex are seen (another server's are the
// change marker's and the change feed's to notice).
import type { Knex } from 'knex';
import type { Db } from './db.js';

/** The tables a committed write changed; ANY_TABLE among them when the statement does not say (DDL). */
export type WriteListener = (tables: ReadonlySet<string>) => void;
export const ANY_TABLE = '*';

interface QueryObject {
  sql?: string;
  __knexTxId?: string;
}

const followed = new WeakMap<Db, Set<WriteListener>>();

// Statements that change no table: reads, session and transaction control, LISTEN/NOTIFY.
const NOT_A_WRITE =
  /^\s*(?:select|with|show|explain|values|set|reset|begin|start|commit|end|rollback|savepoint|release|listen|unlisten|notify|checkpoint)\b/i;
// The tables a statement writes: INSERT INTO t, UPDATE t [alias] SET, DELETE FROM t, TRUNCATE t, MERGE INTO t.
const NAME = String.raw`((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)`;
const WRITTEN = new RegExp(
  String.raw`\b(?:insert\s+into\s+${NAME}|update\s+(?:only\s+)?${NAME}(?:\s+(?:as\s+)?\w+)?\s+set\b|delete\s+from\s+(?:only\s+)?${NAME}|truncate\s+(?:table\s+)?${NAME}|merge\s+into\s+${NAME})`,
  'gi',
);

/** The tables `sql` writes, or undefined when it writes nothing. */
export function writtenTables(sql: string): Set<string> | undefined {
  const tables = new Set<string>();
  for (const match of sql.matchAll(WRITTEN)) {
    const name = match.slice(1).find((group) => group !== undefined) ?? ANY_TABLE;
    // Schema-qualified and quoted names count by their table name.
    tables.add(name.split('.').pop()!.replaceAll('"', ''));
  }
  if (tables.size > 0) return tables;
  return NOT_A_WRITE.test(sql) ? undefined : new Set([ANY_TABLE]);
}

function tell(db: Db, tables: ReadonlySet<string>): void {
  for (const listener of followed.get(db) ?? []) listener(tables);
}

/**
 * Calls `listener` after each committed write through `db`. Returns the way to stop. The first listener of a
 * Db installs the watch: statements outside transactions are seen as they complete, and the Db's transaction()
 * reports what its transaction (savepoints included) wrote once it has settled.
 */
export function onCommittedWrite(db: Db, listener: WriteListener): () => void {
  let listeners = followed.get(db);
  if (!listeners) {
    listeners = new Set();
    followed.set(db, listeners);
    watch(db);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function watch(db: Db): void {
  const seen = (query: QueryObject) => {
    // Inside a transaction: reported by the transaction once it settles (below).
    if (query.__knexTxId !== undefined || query.sql === undefined) return;
    const tables = writtenTables(query.sql);
    if (tables) tell(db, tables);
  };
  // A failed write may still have committed (an answer lost to a timeout): told as well, at worst needlessly.
  db.on('query-response', (_response: unknown, query: QueryObject) => seen(query));
  db.on('query-error', (_error: unknown, query: QueryObject) => seen(query));

  const context = (db as unknown as { context: { transaction: (container?: unknown, config?: unknown) => Promise<unknown> } })
    .context as { transaction: (container?: unknown, config?: unknown) => Promise<unknown> };
  const transaction = context.transaction.bind(context);
  context.transaction = (container?: unknown, config?: unknown) => {
    const written = new Set<string>();
    const follow = (trx: Knex.Transaction) => {
      const record = (query: QueryObject) => {
        for (const table of (query.sql && writtenTables(query.sql)) || []) written.add(table);
      };
      trx.on('query-response', (_response: unknown, query: QueryObject) => record(query));
      trx.on('query-error', (_error: unknown, query: QueryObject) => record(query));
    };
    const settled = () => {
      if (written.size > 0) tell(db, written);
    };
    if (typeof container === 'function') {
      const run = container as (trx: Knex.Transaction) => unknown;
      return transaction((trx: Knex.Transaction) => {
        follow(trx);
        return run(trx);
      }, config).finally(settled);
    }
    // transaction() without a container: the caller commits; told when it has.
    return transaction(container, config).then((trx) => {
      const handle = trx as Knex.Transaction & { executionPromise: Promise<unknown> };
      follow(handle);
      handle.executionPromise.then(settled, settled);
      return trx;
    });
  };
}
