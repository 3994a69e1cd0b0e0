// What a create needs before it can be written: the submitting API key and the service definition to validate
// against. Both are read on every POST and change rarely, so they are remembered for a while; they are safe to
// remember because the statement that stores a create re-checks them (key not revoked, catalog changeset
// unchanged) and stores nothing when either moved. Then the create is revalidated with fresh lookups.
// An answer that statement does not give (an Idempotency-Key replay, a refusal of the input) is sent only
// after confirmKey has read the key again, so a revoked key gets 403 from its very next request.
import { findActiveKeyByHash, hashKey, isKeyActive, type ApiKeyRecord } from '../store/api-keys-store.js';
import { findServiceForIntake } from '../store/catalog-store.js';
import type { Db } from '../store/db.js';
import type { ServiceForIntake } from './types.js';

/** The lookups a create was validated against no longer hold; revalidate with fresh ones. */
export class StaleIntake extends Error {
  constructor() {
    super('The API key or the service catalog changed while the request was being validated.');
    this.name = 'StaleIntake';
  }
}

/** A small map with an age limit and a size bound (oldest first out). Only found values are kept. */
class Remembered<T> {
  private readonly entries = new Map<string, { at: number; value: T }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { at: Date.now(), value });
  }

  clear(): void {
    this.entries.clear();
  }
}

export class IntakeLookups {
  private readonly keys: Remembered<ApiKeyRecord>;
  private readonly services: Remembered<ServiceForIntake>;

  constructor(
    private readonly db: Db,
    options: { maxAgeMs?: number; maxEntries?: number } = {},
  ) {
    const maxAgeMs = options.maxAgeMs ?? 60_000;
    const maxEntries = options.maxEntries ?? 1000;
    this.keys = new Remembered(maxAgeMs, maxEntries);
    this.services = new Remembered(maxAgeMs, maxEntries);
  }

  /** The active key; `fresh` reads the database even when the key is remembered. */
  async apiKey(key: string, fresh: boolean): Promise<ApiKeyRecord | undefined> {
    const hash = hashKey(key);
    const known = fresh ? undefined : this.keys.get(hash);
    if (known) return known;
    const record = await findActiveKeyByHash(this.db, hash);
    if (record) this.keys.set(hash, record);
    return record;
  }

  /** The active service with its attributes and the catalog changeset it was read at. */
  async service(jurisdictionId: string, serviceCode: string, fresh: boolean): Promise<ServiceForIntake | undefined> {
    const key = `${jurisdictionId}\u0000${serviceCode}`;
    const known = fresh ? undefined : this.services.get(key);
    if (known) return known;
    const service = await findServiceForIntake(this.db, jurisdictionId, serviceCode);
    if (service) this.services.set(key, service);
    return service;
  }

  /**
   * Before an answer that the storing statement did not re-check: throws StaleIntake (so the caller
   * authenticates afresh, and a revoked key gets its 403) when the remembered key was revoked since.
   */
  async confirmKey(keyId: string): Promise<void> {
    if (!(await this.isKeyActive(keyId))) throw new StaleIntake();
  }

  /** Whether the key is active now, read from the store (never from what is remembered). */
  isKeyActive(keyId: string): Promise<boolean> {
    return isKeyActive(this.db, keyId);
  }

  /** Forget everything remembered (a create found it stale, a key was revoked). */
  forget(): void {
    this.keys.clear();
    this.services.clear();
  }
}
