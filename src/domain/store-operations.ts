// The work command-line tools do on the store, by name, so that the same code runs in the tool's own process
// (no server holds the data folder) or in the running server through its loopback admin endpoint
// (src/http/admin-server.ts, called by src/cli/store-access.ts). A new tool that must work while the server
// runs adds its operations here: an input schema (spec/schemas, checked on both paths) and a run().
import type { Config } from '../config.js';
import { type KeyRole, revokeKey } from '../store/api-keys-store.js';
import { issueKey, listApiKeys } from './api-keys.js';
import type { Db } from '../store/db.js';

export interface OperationDependencies {
  db: Db;
  config: Config;
  /** Called after a write that remembered keys of a running server must not outlive (answers follow the store). */
  changed(): void;
}

export interface StoreOperation<Input = never, Output = unknown> {
  /** The spec/schemas file its input is checked against. */
  readonly input: string;
  run(dependencies: OperationDependencies, input: Input): Promise<Output>;
}

const operation = <Input, Output>(definition: StoreOperation<Input, Output>): StoreOperation<Input, Output> => definition;

const createKeyOperation = operation({
  input: 'staff-key-input.json',
  async run({ db }, input: { name: string; role?: KeyRole }) {
    return issueKey(db, input, { staff_id: null, name: 'command line' });
  },
});

const listKeysOperation = operation({
  input: 'operation-empty-input.json',
  async run({ db }, _input: Record<string, never>) {
    return listApiKeys(db);
  },
});

const revokeKeyOperation = operation({
  input: 'operation-selector-input.json',
  async run({ db, changed }, input: { selector: string }) {
    const revoked = await revokeKey(db, input.selector);
    if (revoked > 0) changed();
    return { revoked };
  },
});

export const STORE_OPERATIONS = {
  'keys.create': createKeyOperation,
  'keys.list': listKeysOperation,
  'keys.revoke': revokeKeyOperation,
} as const;

export type OperationName = keyof typeof STORE_OPERATIONS;
export type OperationInput<Name extends OperationName> = Parameters<(typeof STORE_OPERATIONS)[Name]['run']>[1];
export type OperationOutput<Name extends OperationName> = Awaited<ReturnType<(typeof STORE_OPERATIONS)[Name]['run']>>;

export function findOperation(name: string): StoreOperation<unknown> | undefined {
  return Object.hasOwn(STORE_OPERATIONS, name)
    ? (STORE_OPERATIONS[name as OperationName] as unknown as StoreOperation<unknown>)
    : undefined;
}
